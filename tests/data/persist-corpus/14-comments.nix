# Everything that must survive a reboot.
{ ... }:
{
  environment.persistence."/persist" = {
    hideMounts = true; # keep the mounts out of file managers
    directories = [
      # system state
      "/var/lib/nixos" # uids and gids
      "/var/lib/systemd/coredump"

      # networking
      "/etc/NetworkManager/system-connections"
      # "/var/lib/iwd"
      "/var/lib/bluetooth" /* pairings */
    ];
    files = [
      "/etc/machine-id" # journald needs a stable one
    ];
  };
}
