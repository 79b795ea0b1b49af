# SPDX-License-Identifier: GPL-3.0-or-later
{
  description = "Keepsake: install NixOS with a root that forgets, and choose what it keeps";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs =
    { self, nixpkgs }:
    let
      # Keepsake installs x86_64 systems with systemd-boot; one platform.
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      keepsake = pkgs.callPackage ./nix/package.nix { };
    in
    {
      packages.${system} = {
        default = keepsake;
        inherit keepsake;
      };

      checks.${system} = {
        inherit keepsake;
        core-tests = pkgs.callPackage ./nix/core-tests.nix { inherit keepsake; };
      };

      # The package's build inputs, plus what `cargo fmt` and clippy need.
      devShells.${system}.default = pkgs.mkShell {
        inputsFrom = [ keepsake ];
        packages = [
          pkgs.clippy
          pkgs.rustfmt
          pkgs.rust-analyzer
          pkgs.nixfmt
        ];
      };

      # In 25.11 `nixfmt` is the RFC 166 style (nixfmt-rfc-style is its alias).
      formatter.${system} = pkgs.nixfmt;

      nixosModules.default = ./nix/module.nix;

      nixosConfigurations.live-iso = nixpkgs.lib.nixosSystem {
        modules = [
          ./nix/live-iso.nix
          {
            nixpkgs.hostPlatform = system;
            programs.keepsake.package = self.packages.${system}.keepsake;
          }
        ];
      };
    };
}
