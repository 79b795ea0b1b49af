{
  environment.persistence."/persist" = {
    directories = [
      { directory = "/var/lib/private"; mode = "0700"; hideMount = false; }
      { directory = "/var/lib/trash-me"; allowTrash = true; }
      { directory = "/var/lib/acme"; user = "acme"; group = "acme"; }
    ];
    files = [
      { file = "/etc/adjtime"; method = "symlink"; }
      { file = "/etc/wpa_supplicant.conf"; parentDirectory.mode = "0700"; parentDirectory.user = "root"; }
    ];
  };
}
