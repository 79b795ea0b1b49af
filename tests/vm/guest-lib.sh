# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by the guest scripts of the install VM tests. Sourced; expects
# $KS_SHARE (the results directory) and env.sh there (KS_KEEPSAKE,
# KS_STAND_INS).
. "$KS_SHARE/env.sh"
# The install finds its tools in this directory first (root only).
export KEEPSAKE_TOOLS_DIR="$KS_STAND_INS"
TARGET_DISK=/dev/disk/by-id/virtio-target
TARGET_TREE=/run/keepsake/target
mkdir -p /run/ks
chmod 700 /run/ks

# check NAME COMMAND...: records "ok NAME" or "FAIL NAME" in $KS_SHARE/checks.
check() {
    name=$1
    shift
    if "$@" >>"$KS_SHARE/check-output.log" 2>&1; then
        echo "ok $name" >>"$KS_SHARE/checks"
    else
        echo "FAIL $name" >>"$KS_SHARE/checks"
        echo "FAIL $name: $*" >>"$KS_SHARE/check-output.log"
    fi
}

not() { ! "$@"; }

nothing_of_the_install_in_use() {
    ! grep -q -e "$TARGET_TREE" -e '^/dev/vda' -e '^/dev/mapper/' -e '^/dev/dm-' -e '/media/root' /proc/mounts &&
        [ -z "$(ls /sys/class/block | grep '^dm-')" ]
}

first_mib_hash() { dd if="$1" bs=1M count=1 status=none | sha256sum | cut -d' ' -f1; }

wipe_target() {
    for part in /dev/vda?*; do [ -b "$part" ] && wipefs -a -q "$part"; done
    wipefs -a -q /dev/vda
    dd if=/dev/zero of=/dev/vda bs=1M count=8 conv=fsync status=none
    blockdev --rereadpt /dev/vda
    udevadm settle
}

# The disk_state sentence of the last Stopped event in an event file.
reported_state() { sed -n 's/.*"event":"stopped","disk_state":"\([^"]*\)".*/\1/p' "$1" | tail -n1; }

# Does the disk hold what the sentence says? $2: first MiB hash before.
state_matches_disk() {
    sentence=$1
    before=$2
    parts=$(lsblk -rno NAME /dev/vda | grep -c '^vda[0-9]')
    case "$sentence" in
        "Nothing was written"*) [ "$(first_mib_hash /dev/vda)" = "$before" ] ;;
        *"new, empty partition table"*) [ "$parts" = 0 ] && [ "$(blkid -p -s PTTYPE -o value /dev/vda)" = gpt ] ;;
        *"partition table and an EFI system partition ("*)
            [ "$parts" = 1 ] && [ "$(blkid -p -s TYPE -o value /dev/vda1)" = vfat ] ;;
        *"encrypted partition"*)
            [ "$parts" = 2 ] && [ "$(blkid -p -s TYPE -o value /dev/vda2)" = crypto_LUKS ] ;;
        *) echo "unknown state: $sentence"; false ;;
    esac
}
