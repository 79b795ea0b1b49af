{ lib, ... }:
{
  environment.persistence = {
    "/persist" = {
      hideMounts = true;
      directories = [
        "/var/lib/nixos"
        "/var/log"
      ];
      files = [ "/etc/machine-id" ];
    };
    "/nix/persist" = {
      hideMounts = false;
      directories = [
        "/var/cache/restic"
        "/var/lib/docker"
      ];
    };
    "/persistent" = {
      files = [ "/etc/adjtime" ];
    };
  };
}
