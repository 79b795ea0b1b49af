# SPDX-License-Identifier: GPL-3.0-or-later
# NixOS module: `programs.keepsake.enable` for the installer (the live ISO),
# `programs.keepsake.editor.enable` for an installed system that edits what
# it keeps. Usable from the flake (nixosModules.default) or imported as a
# file from a pinned source tree.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.programs.keepsake;
in
{
  options.programs.keepsake = {
    enable = lib.mkEnableOption "Keepsake, the installer of NixOS with a root that forgets; its privileged helper starts through polkit";

    editor.enable = lib.mkEnableOption ''
      the persistence editor of Keepsake on this system. For now that is the
      `keepsake persist list/add/remove` command of the same package; the
      graphical editor is not written yet'';

    package = lib.mkOption {
      type = lib.types.package;
      # Built with the system's own nixpkgs, so that the installed system
      # does not carry a second GTK from the flake's nixpkgs.
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage <keepsake-source>/nix/package.nix { }";
      description = "The Keepsake package to install.";
    };
  };

  config = lib.mkMerge [
    # Both need the binary on PATH; one entry even when both are enabled.
    (lib.mkIf (cfg.enable || cfg.editor.enable) {
      environment.systemPackages = [ cfg.package ];
    })
    # The installer's helper runs through pkexec: polkit must run, and it
    # reads the action from the system profile's share/polkit-1/actions,
    # which the package in systemPackages puts there. The editor edits
    # /etc/nixos with sudo and needs neither.
    (lib.mkIf cfg.enable {
      security.polkit.enable = true;
    })
  ];
}
