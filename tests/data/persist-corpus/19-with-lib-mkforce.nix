{ lib, ... }:
with lib;
{
  environment.persistence."/persist" = mkForce {
    hideMounts = mkDefault true;
    directories = mkAfter [
      "/var/lib/fprint"
      "/var/log"
    ];
    files = mkBefore [ "/etc/machine-id" ];
  };
}
