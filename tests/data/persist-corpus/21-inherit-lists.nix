let
  directories = [
    "/var/lib/nixos"
    "/var/log"
  ];
in
{
  environment.persistence."/persist" = {
    inherit directories;
    files = [
      "/etc/machine-id"
    ];
  };
}
