{ config, ... }:
{
  environment.persistence."/persist" = {
    directories = [ "/var/lib/nixos" ];
    users.alice = {
      home = "/home/alice";
      directories = [
        "Downloads"
        "Music"
        "Pictures"
        "Documents"
        "VirtualBox VMs"
        { directory = ".gnupg"; mode = "0700"; }
        { directory = ".ssh"; mode = "0700"; }
        { directory = ".local/share/keyrings"; mode = "0700"; }
        ".local/share/direnv"
      ];
      files = [
        ".screenrc"
      ];
    };
  };
}
