# SPDX-License-Identifier: GPL-3.0-or-later
# `cargo test` of the headless core (no GTK), for `nix flake check`. Only the
# tests that need no outside tool: the others want udisksd, nix-instantiate
# with pinned sources, a VM or a display, none of which is in the sandbox.
{
  stdenv,
  rustPlatform,
  cargo,
  rustc,
  keepsake,
}:

stdenv.mkDerivation {
  pname = "keepsake-core-tests";
  inherit (keepsake) version src cargoDeps;

  nativeBuildInputs = [
    rustPlatform.cargoSetupHook
    cargo
    rustc
  ];

  cargoTestFlags = [
    "--offline"
    "--no-default-features"
    "--lib"
    "--bins"
    "--test"
    "plan_validation"
    "--test"
    "persist_edit"
    "--test"
    "install_fake"
    "--test"
    "polkit_policy"
  ];

  buildPhase = ''
    runHook preBuild
    cargo test $cargoTestFlags
    runHook postBuild
  '';

  # A check only has to succeed; its output is a stamp.
  installPhase = ''
    touch "$out"
  '';
}
