{ lib, ... }:
let
  server = false;
in
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = if server then [ "/srv" ] else [ "/var/lib/flatpak" ];
    files = [ "/etc/machine-id" ];
  };
}
