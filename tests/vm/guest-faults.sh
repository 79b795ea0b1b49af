# SPDX-License-Identifier: GPL-3.0-or-later
# VM test: a failure injected after every step, SIGTERM during
# nixos-install, and input that must be refused before any write.
. "$KS_SHARE/guest-lib.sh"
umask 077
printf '%s' 'Keepsake VM passphrase 7c1e' >/run/ks/passphrase
umask 022
steps=12

install_args() {
    echo --plan "$KS_SHARE/plan-target.json" --confirm "$TARGET_DISK" --passphrase-file /run/ks/passphrase --json
}

n=1
while [ "$n" -le "$steps" ]; do
    wipe_target
    before=$(first_mib_hash /dev/vda)
    events=$KS_SHARE/fault-$n.jsonl
    # shellcheck disable=SC2046
    "$KS_KEEPSAKE" install $(install_args) --fail-after-step "$n" >"$events" 2>"$KS_SHARE/fault-$n.stderr"
    status=$?
    check "fault-$n-exit-status" [ "$status" = 1 ]
    check "fault-$n-reported" grep -q "\"event\":\"failed\",\"step\":\"[a-z_]*\",\"message\":\"[^\"]*\",\"detail\":\"failure injected after step $n\"" "$events"
    check "fault-$n-clean" nothing_of_the_install_in_use
    state=$(reported_state "$events")
    echo "step $n: $state" >>"$KS_SHARE/fault-states"
    check "fault-$n-state-matches-disk" state_matches_disk "$state" "$before"
    n=$((n + 1))
done

# SIGTERM while nixos-install runs (the stand-in sleeps).
wipe_target
events=$KS_SHARE/sigterm.jsonl
# shellcheck disable=SC2046
KS_NIXOS_INSTALL_SLEEP=600 "$KS_KEEPSAKE" install $(install_args) >"$events" 2>"$KS_SHARE/sigterm.stderr" &
pid=$!
until grep -q '"event":"started","step":"install_nixos"' "$events" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
sleep 1
kill -TERM "$pid"
wait "$pid"
check sigterm-exit-status [ "$?" = 1 ]
check sigterm-cancelled grep -q '"event":"cancelled","step":"install_nixos"' "$events"
check sigterm-clean nothing_of_the_install_in_use
check sigterm-no-stand-in-left not pgrep -f stand-ins/nixos-install
state=$(reported_state "$events")
echo "sigterm: $state" >>"$KS_SHARE/fault-states"
check sigterm-state-matches-disk state_matches_disk "$state" unused

# Refused before any write: a disk too small for the plan.
before=$(first_mib_hash /dev/vdc)
"$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-small.json" --confirm /dev/disk/by-id/virtio-small \
    --passphrase-file /run/ks/passphrase --json >"$KS_SHARE/small.jsonl" 2>&1
check small-refused [ "$?" = 1 ]
check small-refused-at-check grep -q '"event":"failed","step":"check_plan"' "$KS_SHARE/small.jsonl"
check small-unchanged [ "$(first_mib_hash /dev/vdc)" = "$before" ]

# A disk with a mounted partition.
printf 'label: gpt\n,,L\n' | sfdisk -q /dev/vdd
udevadm settle
mkfs.vfat -n BUSY /dev/vdd1 >/dev/null
mkdir -p /mnt/busy
mount /dev/vdd1 /mnt/busy
udevadm settle
before=$(first_mib_hash /dev/vdd)
"$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-busy.json" --confirm /dev/disk/by-id/virtio-busy \
    --passphrase-file /run/ks/passphrase --json >"$KS_SHARE/busy.jsonl" 2>&1
check busy-refused [ "$?" = 1 ]
check busy-refused-because-mounted grep -q 'is mounted at .*/mnt/busy' "$KS_SHARE/busy.jsonl"
check busy-unchanged [ "$(first_mib_hash /dev/vdd)" = "$before" ]
check busy-still-mounted grep -q '^/dev/vdd1 /mnt/busy ' /proc/mounts
umount /mnt/busy

# A --confirm that names another disk, and a caller that is not root.
wipe_target
before=$(first_mib_hash /dev/vda)
"$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-target.json" --confirm /dev/disk/by-id/virtio-bystander \
    --passphrase-file /run/ks/passphrase >"$KS_SHARE/confirm.out" 2>&1
check mismatched-confirm-refused [ "$?" = 2 ]
check mismatched-confirm-unchanged [ "$(first_mib_hash /dev/vda)" = "$before" ]
setpriv --reuid=65534 --regid=65534 --clear-groups "$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-target.json" \
    --confirm "$TARGET_DISK" >"$KS_SHARE/not-root.out" 2>&1
check not-root-refused [ "$?" = 2 ]
check not-root-unchanged [ "$(first_mib_hash /dev/vda)" = "$before" ]
exit 0
