{ lib, ... }:
let
  user = "alice";
in
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/etc/nixos"
      "/etc/ssh"
    ];
    users.${user} = {
      directories = [
        "Src"
        { directory = "Sec"; mode = "0700"; }
      ];
      files = [ ".npmrc" ];
    };
    users."${"bob"}".files = [ ".profile" ];
  };
}
