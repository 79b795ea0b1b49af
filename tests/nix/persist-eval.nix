# SPDX-License-Identifier: GPL-3.0-or-later
# Evaluates one hand-written module that sets environment.persistence
# against the real impermanence module and nixpkgs lib. Options the module
# sets that are not declared here are accepted as free-form values and
# never forced, so only what impermanence reads needs a declaration.
# Returns the paths of every storage root, as written in the module.
{
  libDir,
  impermanenceDir,
  module,
}:
let
  lib = import "${libDir}/lib";
  inherit (lib) mkOption types;

  # The user names the corpus uses; impermanence reads their home and group.
  userNames = [ "alice" "bob" "carol" ];

  declarations = {
    freeformType = types.lazyAttrsOf types.anything;
    options.users.users = mkOption {
      type = types.attrsOf (types.submodule ({ name, ... }: {
        freeformType = types.lazyAttrsOf types.anything;
        options.home = mkOption { type = types.str; default = "/home/${name}"; };
        options.group = mkOption { type = types.str; default = "users"; };
      }));
      default = { };
    };
    config.users.users = lib.genAttrs userNames (_: { });
    config._module.args = {
      pkgs = {
        callPackage = path: args: import path ({ inherit lib; } // args);
        util-linux = "/stub/util-linux";
        bash = "/stub/bash";
        runCommand = name: _env: _script: "/stub/${name}";
        writeShellScript = name: _text: "/stub/${name}";
      };
      utils = {
        escapeSystemdPath = path: lib.replaceStrings [ "/" ] [ "-" ] (lib.removePrefix "/" path);
        pathsNeededForBoot = [ "/" "/nix" "/nix/store" "/var" "/var/log" "/var/lib" "/var/lib/nixos" "/etc" "/usr" ];
      };
    };
  };

  evaluated = lib.evalModules {
    # What flake-style modules of the corpus take as arguments.
    specialArgs.inputs.impermanence.nixosModules.impermanence = { };
    modules = [
      declarations
      "${impermanenceDir}/nixos.nix"
      module
      # Modules that guard their persistence with an enable option.
      { custom.impermanence.enable = true; }
    ];
  };
in
lib.mapAttrs (_: store: {
  directories = map (d: d.directory) store.directories;
  files = map (f: f.file) store.files;
  users = lib.mapAttrs (_: user: {
    directories = map (d: d.directory) user.directories;
    files = map (f: f.file) user.files;
  }) store.users;
}) evaluated.config.environment.persistence
