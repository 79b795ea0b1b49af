{ lib, ... }:
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = map (name: "/var/lib/${name}") [
      "tailscale"
      "fail2ban"
      "acme"
    ];
    files = [
      "/etc/machine-id"
      "/etc/ssh/ssh_host_ed25519_key"
    ];
  };
}
