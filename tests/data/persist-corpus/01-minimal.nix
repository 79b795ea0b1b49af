{
  environment.persistence."/persist".directories = [ "/var/log" ];
}
