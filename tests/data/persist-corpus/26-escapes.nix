{
  environment.persistence."/persist" = {
    directories = [
      "/var/lib/with space"
      "/srv/quote\"d"
      ''/srv/indented''
      "/srv/dollar$sign"
    ];
  };
}
