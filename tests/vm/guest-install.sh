# SPDX-License-Identifier: GPL-3.0-or-later
# VM test: one full `keepsake install` with stand-ins for the NixOS tools,
# then checks of what is on the disk. Runs inside the test VM.
. "$KS_SHARE/guest-lib.sh"
umask 077
printf '%s' 'Keepsake VM passphrase 7c1e' >/run/ks/passphrase
printf '%s' 'Keepsake VM wrong passphrase' >/run/ks/wrong
printf '%s' 'cbdef ghijk lnrtu vcbde fghij klnrt uvcbd efghi' >/run/ks/recovery
# Both secrets, one a line, for grep -f.
{ cat /run/ks/passphrase; echo; cat /run/ks/recovery; echo; } >/run/ks/secrets
printf '%s\n' 'alice password' >/run/ks/alice
umask 022

# Look for the passphrase and the recovery key in every process' command
# line and environment for as long as the install runs (cryptsetup gets
# both while it adds the key slot).
(
    rounds=0
    while [ ! -e /run/ks/stop-sampling ]; do
        grep -l -a -F -f /run/ks/secrets /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null >>"$KS_SHARE/passphrase-seen"
        rounds=$((rounds + 1))
        sleep 0.2
    done
    echo "$rounds" >"$KS_SHARE/sampling-rounds"
) &
sampler=$!

start=$(date +%s.%N)
"$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-target.json" --confirm "$TARGET_DISK" \
    --passphrase-file /run/ks/passphrase --recovery-key-file /run/ks/recovery \
    --user-password alice=/run/ks/alice --json \
    >"$KS_SHARE/events.jsonl" 2>"$KS_SHARE/install.stderr"
echo $? >"$KS_SHARE/install-status"
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", e - s }' >"$KS_SHARE/install-seconds"
touch /run/ks/stop-sampling
wait "$sampler"

check install-succeeded [ "$(cat "$KS_SHARE/install-status")" = 0 ]
check completed-event grep -q '"event":"completed"' "$KS_SHARE/events.jsonl"
check nothing-mounted-or-unlocked-after nothing_of_the_install_in_use
check passphrase-never-in-proc [ ! -s "$KS_SHARE/passphrase-seen" ]
check passphrase-was-sampled [ "$(cat "$KS_SHARE/sampling-rounds")" -gt 0 ]
check passphrase-not-in-events not grep -q -F -f /run/ks/secrets "$KS_SHARE/events.jsonl" "$KS_SHARE/install.stderr"
check tools-from-the-stand-in-dir grep -qF "\"nixos-install: $KS_STAND_INS/nixos-install\"" "$KS_SHARE/events.jsonl"
check passphrase-not-in-udisks-log not grep -q -F -f /run/ks/secrets "$KS_SHARE/udisksd.log"
check recovery-key-added grep -q 'recovery key added in a second key slot' "$KS_SHARE/events.jsonl"

check exactly-two-partitions [ "$(lsblk -rno NAME /dev/vda | grep -c '^vda[0-9]')" = 2 ]
check gpt [ "$(blkid -p -s PTTYPE -o value /dev/vda)" = gpt ]
check esp-type-guid [ "$(blkid -p -s PART_ENTRY_TYPE -o value /dev/vda1)" = c12a7328-f81f-11d2-ba4b-00a0c93ec93b ]
check root-type-guid [ "$(blkid -p -s PART_ENTRY_TYPE -o value /dev/vda2)" = ca7d7ccb-63ed-4c53-861c-1742536059cc ]
check esp-is-vfat [ "$(blkid -p -s TYPE -o value /dev/vda1)" = vfat ]
cryptsetup luksDump /dev/vda2 >"$KS_SHARE/luksDump.txt"
check luks2 grep -Eq '^Version:[[:space:]]+2$' "$KS_SHARE/luksDump.txt"
check passphrase-opens cryptsetup open --test-passphrase --key-file /run/ks/passphrase /dev/vda2
check wrong-passphrase-fails not cryptsetup open --test-passphrase --key-file /run/ks/wrong /dev/vda2
check two-key-slots [ "$(grep -cE '^  [0-9]+: luks2$' "$KS_SHARE/luksDump.txt")" = 2 ]
check recovery-key-opens cryptsetup open --test-passphrase --key-file /run/ks/recovery /dev/vda2

# The stand-in for nixos-install saw the target tree.
seen=$KS_SHARE/stand-ins
check nixos-install-args [ "$(cat "$seen/nixos-install.args")" = "--root $TARGET_TREE --no-root-passwd" ]
check target-is-tmpfs [ "$(cat "$seen/target-fstype")" = tmpfs ]
check target-mode-755 [ "$(cat "$seen/target-mode")" = 755 ]
check target-tmpfs-options grep -Eq "^$TARGET_TREE tmpfs tmpfs .*mode=755" "$seen/target-mounts"
for mount in nix:/nix home:/home persist:/persist nixos-config:/etc/nixos; do
    subvolume=${mount%%:*}
    point=${mount#*:}
    check "mounted-$subvolume" grep -Eq "^$TARGET_TREE$point /dev/[^ ]+ btrfs .*noatime.*compress-force=zstd.*ssd.*subvol=/$subvolume(,|$)" "$seen/target-mounts"
done
check esp-mounted-at-boot grep -Eq "^$TARGET_TREE/boot /dev/vda1 vfat .*fmask=0077,dmask=0077" "$seen/target-mounts"
check generated-files-seen [ "$(sort "$seen/etc-nixos-files" | tr '\n' ' ')" = "configuration.nix hardware-configuration.nix impermanence persistence.nix storage.nix users.nix " ]
check build-before-erase-ran grep -q 'config.system.build.toplevel' "$seen/nix-build.args"
check hardware-config-root-args grep -qx -- "--no-filesystems --root $TARGET_TREE" "$seen/nixos-generate-config.args"
check password-dir-0700 [ "$(cat "$seen/password-dir-mode")" = 700 ]
check password-file-0600 grep -qx "600 $TARGET_TREE/persist/passwords/alice" "$seen/password-files"

# What is on the disk, looked at afresh.
cryptsetup open --key-file /run/ks/passphrase /dev/vda2 kscheck
mkdir -p /mnt/check
mount -o ro,subvolid=5 /dev/mapper/kscheck /mnt/check
btrfs subvolume list /mnt/check | awk '{print $NF}' | sort | tr '\n' ' ' >"$KS_SHARE/subvolumes"
check exactly-the-plans-subvolumes [ "$(cat "$KS_SHARE/subvolumes")" = "home nix nixos-config persist " ]
luks_uuid=$(blkid -s UUID -o value /dev/vda2)
esp_uuid=$(blkid -s UUID -o value /dev/vda1)
config=/mnt/check/nixos-config
check storage-has-real-luks-uuid grep -q "/dev/disk/by-uuid/$luks_uuid" "$config/storage.nix"
check storage-has-real-esp-uuid grep -q "/dev/disk/by-uuid/$esp_uuid" "$config/storage.nix"
check no-placeholder-left not grep -q PLACEHOLDER "$config/storage.nix"
for file in configuration.nix hardware-configuration.nix persistence.nix storage.nix users.nix; do
    check "parses-$file" nix-instantiate --parse "$config/$file"
done
cp "$config"/*.nix "$KS_SHARE/" 2>/dev/null
# The impermanence copy Keepsake carries is the pinned revision, byte for
# byte as fetchTarball would have checked it.
check vendored-impermanence-pinned [ "$(nix-hash --type sha256 --base32 "$config/impermanence")" = "$KS_IMPERMANENCE_SHA256" ]
check persistence-imports-vendored grep -q '^    ./impermanence/nixos.nix$' "$config/persistence.nix"
check password-hash-on-disk grep -q '^\$y\$' /mnt/check/persist/passwords/alice
check password-hash-mode [ "$(stat -c %a /mnt/check/persist/passwords/alice)" = 600 ]
check nixos-install-wrote-to-nix [ -f /mnt/check/nix/var/nix/keepsake-stand-in ]
check passphrase-not-in-config not grep -rq -F -f /run/ks/secrets "$config"
umount /mnt/check
cryptsetup close kscheck
check clean-at-the-end nothing_of_the_install_in_use

# Without encryption, with a swapfile.
wipe_target
rm -rf "$KS_SHARE/stand-ins"
"$KS_KEEPSAKE" install --plan "$KS_SHARE/plan-plain.json" --confirm "$TARGET_DISK" --json \
    >"$KS_SHARE/plain.jsonl" 2>"$KS_SHARE/plain.stderr"
check plain-install-succeeded [ "$?" = 0 ]
check plain-root-type-guid [ "$(blkid -p -s PART_ENTRY_TYPE -o value /dev/vda2)" = 0fc63daf-8483-4772-8e79-3d69d8477de4 ]
check plain-root-is-btrfs [ "$(blkid -p -s TYPE -o value /dev/vda2)" = btrfs ]
check plain-nothing-mounted nothing_of_the_install_in_use
check plain-swap-mounted grep -Eq "^$TARGET_TREE/swap /dev/vda2\[/swap\] btrfs .*subvol=/swap" "$KS_SHARE/stand-ins/target-mounts"
mount -o ro,subvolid=5 /dev/vda2 /mnt/check
btrfs subvolume list /mnt/check | awk '{print $NF}' | sort | tr '\n' ' ' >"$KS_SHARE/plain-subvolumes"
check plain-subvolumes [ "$(cat "$KS_SHARE/plain-subvolumes")" = "home nix nixos-config persist swap " ]
check plain-swapfile-size [ "$(stat -c %s /mnt/check/swap/swapfile)" = 1073741824 ]
# Only a NOCOW, uncompressed, fully allocated file maps.
check plain-swapfile-usable btrfs inspect-internal map-swapfile -r /mnt/check/swap/swapfile
check plain-swapfile-is-swap [ "$(blkid -p -s TYPE -o value /mnt/check/swap/swapfile)" = swap ]
check plain-storage-uuid grep -q "/dev/disk/by-uuid/$(blkid -s UUID -o value /dev/vda2)" /mnt/check/nixos-config/storage.nix
umount /mnt/check
check plain-clean-at-the-end nothing_of_the_install_in_use
exit 0
