{
  environment.persistence."/persist".hideMounts = true;
  environment.persistence."/persist".directories = [
    "/var/log"
    "/srv"
  ];
  environment.persistence."/persist".files = [
    "/etc/machine-id"
  ];
  environment.persistence."/persist".users.alice.directories = [ "Documents" ];
  services.openssh.enable = true;
}
