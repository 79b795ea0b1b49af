{ ... }:
let
  user = "alice";
  state = "/var/lib";
in
{
  environment.persistence."/persist" = {
    directories = [
      "/var/log"
      "${state}/nixos"
      { directory = "/home/${user}/.ssh"; user = user; mode = "0700"; }
      "/var/lib/libvirt"
    ];
  };
}
