{ config, pkgs, ... }:
{
  imports = [ ./hardware-configuration.nix ];
  networking.hostName = "quiet";
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
