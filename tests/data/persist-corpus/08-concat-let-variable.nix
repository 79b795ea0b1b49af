{ lib, ... }:
let
  serviceDirs = [
    "/var/lib/postgresql"
    "/var/lib/grafana"
  ];
in
{
  environment.persistence."/persist" = {
    directories = [
      "/var/log"
      "/var/lib/nixos"
    ] ++ serviceDirs;
    files = [ "/etc/machine-id" ];
  };
}
