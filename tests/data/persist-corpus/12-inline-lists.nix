{ environment.persistence."/persist" = { hideMounts = true; directories = [ "/var/log" "/var/lib/nixos" ]; files = [ "/etc/machine-id" ]; }; }
