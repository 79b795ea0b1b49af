{
  environment.persistence."/persist" = {
    enable = false;
    directories = [ "/var/log" ];
  };
  environment.persistence."/backup" = {
    enable = true;
    hideMounts = true;
    directories = [ "/var/lib/nixos" ];
  };
}
