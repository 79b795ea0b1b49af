{ ... }:
{
  environment.persistence."/persistent" = {
    hideMounts = true;
    directories = [
    ];
    files = [ ];
    users.alice = {
      directories = [ ];
      files = [];
    };
  };
}
