# SPDX-License-Identifier: GPL-3.0-or-later
# Small typed stand-ins for the nixpkgs functions and NixOS options that
# flake.nix and nix/*.nix use, so that they evaluate here, where nixpkgs'
# packages and NixOS modules are not available (only its lib is).
{ lib }:

let
  inherit (lib) mkOption types;
  option = type: default: mkOption { inherit type default; };

  # A package as types.package and string interpolation see one.
  package = name: {
    type = "derivation";
    inherit name;
    outPath = "/stub/${name}";
  };

  # Returns its attributes, with finalAttrs and passthru as stdenv has them,
  # and refuses inputs that are not packages.
  mkDerivation =
    fn:
    let
      attrs = if lib.isFunction fn then fn final else fn;
      inputs = (attrs.nativeBuildInputs or [ ]) ++ (attrs.buildInputs or [ ]);
      final =
        assert lib.all lib.isDerivation inputs;
        attrs // (attrs.passthru or { }) // package attrs.pname;
    in
    final;

  # callPackage passes a function only the arguments it names, as nixpkgs'
  # does, so a misspelt argument fails here too.
  callPackage =
    path: overrides:
    let
      fn = import path;
    in
    fn (builtins.intersectAttrs (lib.functionArgs fn) pkgs // overrides);

  pkgs =
    lib.genAttrs [
      "cargo"
      "rustc"
      "meson"
      "ninja"
      "pkg-config"
      "wrapGAppsHook4"
      "desktop-file-utils"
      "appstream"
      "gettext"
      "glib"
      "gtk4"
      "libadwaita"
      "gtksourceview5"
      "clippy"
      "rustfmt"
      "rust-analyzer"
      "nixfmt"
    ] package
    // {
      inherit lib callPackage;
      stdenv = { inherit mkDerivation; };
      rustPlatform = {
        cargoSetupHook = package "cargoSetupHook";
        # Records which lock file the vendored crates come from.
        importCargoLock =
          { lockFile }:
          package "cargo-vendor" // { lockFile = toString lockFile; };
      };
      mkShell = args: package "shell" // { inherit (args) inputsFrom packages; };
    };

  # The NixOS options Keepsake's modules set, with the types NixOS gives them.
  dconfDatabase = {
    options = {
      settings = option (types.attrsOf (types.attrsOf types.anything)) { };
      locks = option (types.listOf types.str) [ ];
      lockAll = option types.bool false;
      keyfiles = option (types.listOf types.path) [ ];
    };
  };

  declarations = {
    options = {
      environment.systemPackages = option (types.listOf types.package) [ ];
      environment.etc = option (types.attrsOf (
        types.submodule {
          options.source = mkOption { type = types.path; };
          options.text = option (types.nullOr types.lines) null;
        }
      )) { };
      security.polkit.enable = option types.bool false;
      programs.dconf.profiles = option (types.attrsOf (
        types.submodule {
          options.enableUserDb = option types.bool true;
          options.databases = option (types.listOf (types.either types.path (types.submodule dconfDatabase))) [ ];
        }
      )) { };
    };
    config._module.args.pkgs = pkgs;
  };

  # What the flake gets as its nixpkgs input: the stub packages, and a
  # nixosSystem that returns the modules it was given.
  nixpkgs = {
    legacyPackages.x86_64-linux = pkgs;
    lib = lib // {
      nixosSystem = args: { inherit (args) modules; };
    };
  };
in
{
  inherit
    package
    pkgs
    declarations
    nixpkgs
    ;
}
