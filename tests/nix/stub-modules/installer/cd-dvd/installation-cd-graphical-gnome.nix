# SPDX-License-Identifier: GPL-3.0-or-later
# Stands in for nixpkgs' GNOME installation CD module when tests evaluate
# nix/live-iso.nix: the tests pass this directory as modulesPath. It sets one
# recognisable value, so a test sees that it was imported.
{ lib, ... }:
{
  options.isoImage.edition = lib.mkOption {
    type = lib.types.str;
    default = "";
  };
  config.isoImage.edition = "gnome";
}
