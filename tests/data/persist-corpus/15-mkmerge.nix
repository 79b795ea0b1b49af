{ config, lib, ... }:
let
  laptop = true;
in
{
  config = lib.mkMerge [
    {
      environment.persistence."/persist".directories = [
        "/var/lib/nixos"
        "/var/log"
      ];
    }
    (lib.mkIf laptop {
      environment.persistence."/persist".directories = [
        "/var/lib/upower"
      ];
      environment.persistence."/persist".files = [
        "/var/lib/tlp/rf-devices"
      ];
    })
  ];
}
