# SPDX-License-Identifier: GPL-3.0-or-later
# Evaluates flake.nix and nix/*.nix against tests/nix/stubs.nix and the
# pinned nixpkgs lib; returns what tests/nix_packaging.rs checks, as JSON-able
# data (packages by name, paths as strings).
{ libDir, repo }:

let
  lib = import "${libDir}/lib";
  stubs = import ./stubs.nix { inherit lib; };
  names = map (p: p.name);

  # The NixOS config a module gives, reduced to the options it may set.
  configOf =
    modules:
    let
      config =
        (lib.evalModules {
          modules = [ stubs.declarations ] ++ modules;
          specialArgs.modulesPath = toString ./stub-modules;
        }).config;
    in
    {
      systemPackages = names config.environment.systemPackages;
      polkit = config.security.polkit.enable;
      etc = lib.mapAttrs (_: file: { inherit (file) source text; }) config.environment.etc;
      dconfProfiles = lib.mapAttrs (_: profile: profile.databases) config.programs.dconf.profiles;
    };

  module = import "${repo}/nix/module.nix";
  moduleWith = settings: configOf [
    module
    { programs.keepsake = settings; }
  ];

  keepsake = stubs.pkgs.callPackage "${repo}/nix/package.nix" { };
  coreTests = stubs.pkgs.callPackage "${repo}/nix/core-tests.nix" { inherit keepsake; };

  liveIso = import "${repo}/nix/live-iso.nix";
  liveIsoConfig =
    (lib.evalModules {
      modules = [
        stubs.declarations
        liveIso
      ];
      specialArgs.modulesPath = toString ./stub-modules;
    }).config;

  flake = import "${repo}/flake.nix";
  outputs = flake.outputs {
    self = outputs;
    nixpkgs = stubs.nixpkgs;
  };
  system = "x86_64-linux";
  isoModules = outputs.nixosConfigurations.live-iso.modules;
in
{
  module = {
    default = moduleWith { };
    enabled = moduleWith { enable = true; };
    disabled = moduleWith { enable = false; };
    editorOnly = moduleWith { editor.enable = true; };
    both = moduleWith {
      enable = true;
      editor.enable = true;
    };
    otherPackage = moduleWith {
      enable = true;
      package = stubs.package "keepsake-patched";
    };
  };

  package = {
    inherit (keepsake)
      name
      pname
      version
      mesonFlags
      installedFiles
      dontWrapGApps
      postFixup
      doInstallCheck
      installCheckPhase
      ;
    nativeBuildInputs = names keepsake.nativeBuildInputs;
    buildInputs = names keepsake.buildInputs;
    cargoLockFile = keepsake.cargoDeps.lockFile;
    mainProgram = keepsake.meta.mainProgram;
  };

  coreTests = {
    inherit (coreTests) pname cargoTestFlags buildPhase;
    nativeBuildInputs = names coreTests.nativeBuildInputs;
    sameVendoredCrates = coreTests.cargoDeps == keepsake.cargoDeps;
  };

  liveIso = {
    imports = map toString (liveIso {
      config = liveIsoConfig;
      modulesPath = toString ./stub-modules;
    }).imports;
    edition = liveIsoConfig.isoImage.edition;
    config = configOf [ liveIso ];
  };

  flake = {
    description = flake.description;
    inputs = flake.inputs;
    outputs = lib.mapAttrs (_: lib.attrNames) outputs;
    packages = lib.mapAttrs (_: p: p.name) outputs.packages.${system};
    checks = lib.mapAttrs (_: p: p.name) outputs.checks.${system};
    devShell = {
      inputsFrom = names outputs.devShells.${system}.default.inputsFrom;
      packages = names outputs.devShells.${system}.default.packages;
    };
    formatter = outputs.formatter.${system}.name;
    nixosModule = toString outputs.nixosModules.default;
    liveIsoModules = map (m: if lib.isAttrs m then m else toString m) isoModules;
    liveIsoPackage = (lib.elemAt isoModules 1).programs.keepsake.package.name;
  };
}
