{ config, pkgs, ... }:
let
  persist = "/nix/persist";
in
{
  environment.persistence."/nix/persist" = {
    hideMounts = true;
    directories = [ "/var/lib/nixos" ];
    users.carol = {
      home = "/home/carol";
      directories = [ ".cache/nix" ".local/state/wireplumber" ];
      files = [ ".config/monitors.xml" ];
    };
  };
  users.users.carol.isNormalUser = true;
}
