# SPDX-License-Identifier: GPL-3.0-or-later
# Keepsake as meson installs it: the GUI, the privileged helper, the desktop
# file, metainfo, icons, translations and the polkit action. Cargo runs inside
# meson's build (src/meson.build), offline, from the vendored Cargo.lock.
{
  lib,
  stdenv,
  rustPlatform,
  cargo,
  rustc,
  meson,
  ninja,
  pkg-config,
  wrapGAppsHook4,
  desktop-file-utils,
  appstream,
  gettext,
  glib,
  gtk4,
  libadwaita,
  gtksourceview5,
}:

let
  appId = "io.github.keepsake.Keepsake";
in
stdenv.mkDerivation (finalAttrs: {
  pname = "keepsake";
  # One version for cargo, meson and Nix: Cargo.toml's.
  version = (lib.importTOML ../Cargo.toml).package.version;

  # Only what the build reads, so that editing the Nix files or the README
  # does not rebuild. Cargo wants every target the manifest declares, hence
  # tests/ and benches/.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../build.rs
      ../meson.build
      ../meson_options.txt
      ../src
      ../data
      ../po
      ../tests
      ../benches
    ];
  };

  cargoDeps = rustPlatform.importCargoLock { lockFile = ../Cargo.lock; };

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
    rustPlatform.cargoSetupHook
    cargo
    rustc
    wrapGAppsHook4
    # update-desktop-database, run by gnome.post_install.
    desktop-file-utils
    appstream
    # msgfmt, for the translations and i18n.merge_file.
    gettext
    # glib-compile-resources, called by build.rs.
    glib
    # gtk4-update-icon-cache, which gnome.post_install looks up at setup.
    gtk4
  ];

  buildInputs = [
    glib
    gtk4
    libadwaita
    gtksourceview5
  ];

  mesonFlags = [ (lib.mesonOption "profile" "default") ];

  # keepsake-helper runs as root through pkexec: the polkit action names its
  # exact path and it links no GTK, so it must stay the real binary rather
  # than a wrapper script setting GTK's environment.
  dontWrapGApps = true;
  postFixup = ''
    wrapGApp "$out/bin/keepsake"
  '';

  # What meson installs (meson.build, data/meson.build, po/LINGUAS); the
  # install check fails the build when one is missing.
  passthru.installedFiles = [
    "bin/keepsake"
    "bin/keepsake-helper"
    "share/applications/${appId}.desktop"
    "share/metainfo/${appId}.metainfo.xml"
    "share/icons/hicolor/scalable/apps/${appId}.svg"
    "share/icons/hicolor/symbolic/apps/${appId}-symbolic.svg"
  ]
  ++ map (language: "share/locale/${language}/LC_MESSAGES/keepsake.mo") (
    lib.filter (language: language != "") (lib.splitString "\n" (builtins.readFile ../po/LINGUAS))
  )
  ++ [
    "share/polkit-1/actions/${appId}.policy"
  ];

  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    for file in ${lib.escapeShellArgs finalAttrs.passthru.installedFiles}; do
      test -e "$out/$file" || { echo "not installed: $file" >&2; exit 1; }
    done
    # pkexec only runs the helper when the action names this very path.
    grep -F "<annotate key=\"org.freedesktop.policykit.exec.path\">$out/bin/keepsake-helper</annotate>" \
      "$out/share/polkit-1/actions/${appId}.policy"
    runHook postInstallCheck
  '';

  meta = {
    description = "Install NixOS with a root that forgets, and choose what it keeps";
    license = lib.licenses.gpl3Plus;
    mainProgram = "keepsake";
    platforms = lib.platforms.linux;
  };
})
