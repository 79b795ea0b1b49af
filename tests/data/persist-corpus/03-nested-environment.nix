{ ... }:
{
  environment = {
    systemPackages = [ ];
    persistence = {
      "/persist" = {
        hideMounts = true;
        directories = [
          "/var/db/sudo/lectured"
          "/var/lib/AccountsService"
          "/var/lib/upower"
          "/var/log"
        ];
        files = [
          "/etc/ssh/ssh_host_ed25519_key"
          "/etc/ssh/ssh_host_ed25519_key.pub"
        ];
      };
    };
  };
}
