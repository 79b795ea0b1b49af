{ config, lib, ... }:
{
  options.custom.persistRoot = lib.mkOption {
    type = lib.types.str;
    default = "/persist";
  };

  config.environment.persistence."/persist" = {
    directories = [
      "/var/lib/nixos"
    ];
  };
}
