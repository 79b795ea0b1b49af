# SPDX-License-Identifier: GPL-3.0-or-later
# The GNOME graphical installation CD of nixpkgs with Keepsake: started at
# login and first in the dash. Build it with
#   nix build .#nixosConfigurations.live-iso.config.system.build.isoImage
{
  config,
  modulesPath,
  ...
}:

let
  desktopFile = "io.github.keepsake.Keepsake.desktop";
in
{
  imports = [
    "${modulesPath}/installer/cd-dvd/installation-cd-graphical-gnome.nix"
    ./module.nix
  ];

  programs.keepsake.enable = true;

  # The live session logs in by itself, and GNOME starts what
  # /etc/xdg/autostart lists: the installer opens without a click.
  environment.etc."xdg/autostart/${desktopFile}".source =
    "${config.programs.keepsake.package}/share/applications/${desktopFile}";

  # A user database value wins over the ISO's own favourites (a schema
  # override), so the list repeats them after Keepsake.
  programs.dconf.profiles.user.databases = [
    {
      settings."org/gnome/shell".favorite-apps = [
        desktopFile
        "firefox.desktop"
        "nixos-manual.desktop"
        "org.gnome.Console.desktop"
        "org.gnome.Nautilus.desktop"
        "gparted.desktop"
      ];
    }
  ];
}
