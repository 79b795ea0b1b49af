{
  environment.persistence."/persist" = {
    hideMounts = true;
    users = {
      alice = {
        directories = [ "Projects" ".mozilla" ];
        files = [ ".bash_history" ];
      };
      bob = {
        directories = [
          ".config/syncthing"
          ".local/share/Steam"
        ];
      };
    };
  };
}
