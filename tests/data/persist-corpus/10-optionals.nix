{ lib, ... }:
let
  withDocker = true;
in
{
  environment.persistence."/persist" = {
    directories =
      [
        "/var/log"
        "/var/lib/nixos"
      ]
      ++ lib.optionals withDocker [
        "/var/lib/docker"
        "/var/lib/containers"
      ];
  };
}
