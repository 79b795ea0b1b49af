# SPDX-License-Identifier: GPL-3.0-or-later
# Evaluates Keepsake's generated files against the real impermanence module
# and nixpkgs lib, with the NixOS options they set declared with the types
# NixOS gives them. Returns what the tests check, as JSON-able data.
{
  libDir,
  impermanenceDir,
  configDir,
  # The NixOS release whose option names the stubs declare ("25.05" or
  # "25.11"): GNOME and GDM moved out of services.xserver in 25.11.
  release ? "25.11",
  # Evaluate the modules of flake.nix's nixosConfigurations instead of the
  # files one by one.
  flake ? false,
  expectedUrl,
  expectedSha256,
}:
let
  lib = import "${libDir}/lib";
  inherit (lib) mkOption types;

  option = type: default: mkOption { inherit type default; };
  anything = option types.anything null;

  fileSystem =
    { name, ... }:
    {
      options = {
        mountPoint = option types.str name;
        device = option (types.nullOr types.nonEmptyStr) null;
        fsType = option types.nonEmptyStr "auto";
        options = option (types.nonEmptyListOf types.nonEmptyStr) [ "defaults" ];
        neededForBoot = option types.bool false;
      };
    };

  user =
    { name, config, ... }:
    {
      options = {
        name = option types.str name;
        isNormalUser = option types.bool false;
        description = option types.str "";
        extraGroups = option (types.listOf types.str) [ ];
        group = option types.str (if config.isNormalUser then "users" else "");
        home = option types.path (if config.isNormalUser then "/home/${name}" else "/var/empty");
        uid = option (types.nullOr types.int) null;
        hashedPassword = option (types.nullOr (types.passwdEntry types.str)) null;
        hashedPasswordFile = option (types.nullOr types.str) null;
      };
    };

  gnomeMoved = lib.versionAtLeast release "25.11";
  enableOption = option types.bool false;

  # A package as types.package and string interpolation see one.
  package = name: {
    type = "derivation";
    inherit name;
    outPath = "/stub/${name}";
  };

  pkgs = {
    callPackage = path: args: import path ({ inherit lib; } // args);
    util-linux = "/stub/util-linux";
    bash = "/stub/bash";
    runCommand = name: _env: _script: "/stub/${name}";
    writeShellScript = name: _text: "/stub/${name}";
    xdg-desktop-portal-gtk = package "xdg-desktop-portal-gtk";
    xdg-desktop-portal-gnome = package "xdg-desktop-portal-gnome";
    kdePackages.xdg-desktop-portal-kde = package "xdg-desktop-portal-kde";
  };

  # Typed stand-ins for the desktop and service options the pinned lib does
  # not define, under the names of `release`; in 25.11 the old GNOME names
  # are renamed options, which warn.
  desktopDeclarations = {
    imports = lib.optionals gnomeMoved [
      (lib.mkRenamedOptionModule
        [ "services" "xserver" "displayManager" "gdm" "enable" ]
        [ "services" "displayManager" "gdm" "enable" ])
      (lib.mkRenamedOptionModule
        [ "services" "xserver" "desktopManager" "gnome" "enable" ]
        [ "services" "desktopManager" "gnome" "enable" ])
    ];
    options = lib.recursiveUpdate {
      services.xserver.enable = enableOption;
      services.xserver.displayManager.lightdm.enable = enableOption;
      services.xserver.desktopManager.xfce.enable = enableOption;
      services.displayManager.sddm.enable = enableOption;
      services.displayManager.sddm.wayland.enable = enableOption;
      xdg.portal.enable = enableOption;
      xdg.portal.extraPortals = option (types.listOf types.package) [ ];
      services.desktopManager.plasma6.enable = enableOption;
      security.rtkit.enable = enableOption;
      services.pipewire.enable = enableOption;
      services.pipewire.alsa.enable = enableOption;
      services.pipewire.pulse.enable = enableOption;
      services.openssh.enable = enableOption;
      hardware.bluetooth.enable = enableOption;
      services.printing.enable = enableOption;
      virtualisation.docker.enable = enableOption;
      virtualisation.podman.enable = enableOption;
      services.flatpak.enable = enableOption;
      services.tailscale.enable = enableOption;
      services.fwupd.enable = enableOption;
    } (
      if gnomeMoved then
        {
          services.displayManager.gdm.enable = enableOption;
          services.desktopManager.gnome.enable = enableOption;
        }
      else
        {
          services.xserver.displayManager.gdm.enable = enableOption;
          services.xserver.desktopManager.gnome.enable = enableOption;
        }
    );
  };

  gnomeEnabled =
    config:
    if gnomeMoved then
      config.services.desktopManager.gnome.enable
    else
      config.services.xserver.desktopManager.gnome.enable;

  # What the NixOS modules behind the stand-ins assert (sddm.nix,
  # flatpak.nix, xdg/portal.nix), and what the desktop modules set that
  # those assertions depend on (gnome.nix and plasma6.nix turn the portals
  # on). plasma6.nix's default of sddm.wayland is left out on purpose: the
  # generated configuration sets it itself and must not depend on it.
  moduleBehaviour =
    { config, ... }:
    {
      config = lib.mkMerge [
        (lib.mkIf (gnomeEnabled config) {
          xdg.portal.enable = true;
          xdg.portal.extraPortals = [
            pkgs.xdg-desktop-portal-gnome
            pkgs.xdg-desktop-portal-gtk
          ];
        })
        (lib.mkIf config.services.desktopManager.plasma6.enable {
          xdg.portal.enable = true;
          xdg.portal.extraPortals = [
            pkgs.kdePackages.xdg-desktop-portal-kde
            pkgs.xdg-desktop-portal-gtk
          ];
        })
        {
          assertions = [
            {
              assertion =
                config.services.displayManager.sddm.enable
                -> config.services.xserver.enable || config.services.displayManager.sddm.wayland.enable;
              message = "SDDM requires either services.xserver.enable or services.displayManager.sddm.wayland.enable to be true";
            }
            {
              assertion = config.services.flatpak.enable -> config.xdg.portal.enable;
              message = "To use Flatpak you must enable XDG Desktop Portals with xdg.portal.enable.";
            }
            {
              assertion = config.xdg.portal.enable -> config.xdg.portal.extraPortals != [ ];
              message = "Setting xdg.portal.enable to true requires a portal implementation in xdg.portal.extraPortals such as xdg-desktop-portal-gtk or xdg-desktop-portal-kde.";
            }
          ];
        }
      ];
    };

  declarations = {
    options = {
      assertions = option (types.listOf types.unspecified) [ ];
      warnings = option (types.listOf types.str) [ ];
      boot.loader.systemd-boot.enable = option types.bool false;
      boot.loader.efi.canTouchEfiVariables = option types.bool false;
      boot.initrd.luks.devices = option (types.attrsOf (types.submodule {
        options.device = mkOption { type = types.str; };
      })) { };
      boot.initrd.systemd.enable = option types.bool false;
      boot.initrd.systemd.mounts = option (types.listOf types.anything) [ ];
      boot.initrd.systemd.suppressedUnits = option (types.listOf types.str) [ ];
      boot.initrd.postMountCommands = option types.lines "";
      fileSystems = option (types.attrsOf (types.submodule fileSystem)) { };
      swapDevices = option (types.listOf (types.submodule {
        options.device = mkOption { type = types.str; };
        options.size = option (types.nullOr types.int) null;
      })) [ ];
      networking.hostName = option (types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$") "nixos";
      networking.networkmanager.enable = option types.bool false;
      time.timeZone = option (types.nullOr (types.addCheck types.str (s: !lib.hasInfix " " s))) null;
      i18n.defaultLocale = option types.str "en_US.UTF-8";
      i18n.extraLocaleSettings = option (types.attrsOf types.str) { };
      console.keyMap = option (types.either types.str types.path) "us";
      console.useXkbConfig = option types.bool false;
      services.xserver.xkb.layout = option types.str "us";
      services.xserver.xkb.variant = option types.str "";
      system.stateVersion = option types.str "";
      system.activationScripts = option (types.attrsOf types.anything) { };
      systemd.services = option (types.attrsOf types.anything) { };
      systemd.mounts = option (types.listOf types.anything) [ ];
      users.mutableUsers = option types.bool true;
      users.users = option (types.attrsOf (types.submodule user)) { };
      users.groups = option (types.attrsOf (types.submodule {
        options.gid = option (types.nullOr types.int) null;
      })) { };
    };
    config._module.args = {
      inherit pkgs;
      utils = {
        escapeSystemdPath = path: lib.replaceStrings [ "/" ] [ "-" ] (lib.removePrefix "/" path);
        pathsNeededForBoot = [ "/" "/nix" "/nix/store" "/var" "/var/log" "/var/lib" "/var/lib/nixos" "/etc" "/usr" ];
      };
    };
  };

  # The generated persistence.nix fetches impermanence; here the pinned
  # arguments are checked and the local copy is used instead.
  pinnedFetch =
    args:
    assert args.url == expectedUrl;
    assert args.sha256 == expectedSha256;
    impermanenceDir;
  persistence = builtins.scopedImport {
    builtins = builtins // { fetchTarball = pinnedFetch; };
  } "${configDir}/persistence.nix";

  # configuration.nix is a module function when it names packages; called
  # here, its imports can be read and left out (hardware-configuration.nix
  # is not evaluated).
  configurationFile = import "${configDir}/configuration.nix";
  configuration =
    if lib.isFunction configurationFile then
      configurationFile { inherit lib pkgs; }
    else
      configurationFile;

  # flake.nix's outputs with stand-in inputs: nixosSystem returns its
  # arguments, the impermanence input is the pinned source.
  flakeOutputs = (import "${configDir}/flake.nix").outputs {
    self = flakeOutputs;
    nixpkgs.lib = lib // { nixosSystem = args: args; };
    impermanence.nixosModules.impermanence = "${impermanenceDir}/nixos.nix";
  };
  flakeHost = lib.head (lib.attrValues flakeOutputs.nixosConfigurations);

  evaluated = lib.evalModules {
    modules = [
      declarations
      desktopDeclarations
      moduleBehaviour
    ]
    ++ (
      if flake then
        flakeHost.modules
      else
        [
          (removeAttrs configuration [ "imports" ])
          (import "${configDir}/storage.nix")
          persistence
          (import "${configDir}/users.nix")
        ]
    );
  };
  config = evaluated.config;
in
{
  imports = map toString configuration.imports;
  flake =
    if flake then
      {
        hosts = lib.attrNames flakeOutputs.nixosConfigurations;
        inputs = lib.mapAttrs (_: input: input.url) (import "${configDir}/flake.nix").inputs;
      }
    else
      null;
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);
  inherit (config) warnings;
  desktop = {
    gdm = if gnomeMoved then config.services.displayManager.gdm.enable else config.services.xserver.displayManager.gdm.enable;
    gnome = gnomeEnabled config;
    sddm = config.services.displayManager.sddm.enable;
    plasma6 = config.services.desktopManager.plasma6.enable;
    xserver = config.services.xserver.enable;
    lightdm = config.services.xserver.displayManager.lightdm.enable;
    xfce = config.services.xserver.desktopManager.xfce.enable;
    pipewire = config.services.pipewire.enable && config.services.pipewire.pulse.enable;
  };
  services = {
    ssh = config.services.openssh.enable;
    bluetooth = config.hardware.bluetooth.enable;
    printing = config.services.printing.enable;
    docker = config.virtualisation.docker.enable;
    podman = config.virtualisation.podman.enable;
    flatpak = config.services.flatpak.enable;
    tailscale = config.services.tailscale.enable;
    fwupd = config.services.fwupd.enable;
  };
  fileSystems = lib.mapAttrs (_: fs: {
    inherit (fs) device fsType options neededForBoot;
  }) config.fileSystems;
  luksDevices = lib.mapAttrs (_: device: device.device) config.boot.initrd.luks.devices;
  swapDevices = map (swap: { inherit (swap) device size; }) config.swapDevices;
  system = {
    inherit (config.networking) hostName;
    inherit (config.time) timeZone;
    inherit (config.i18n) defaultLocale extraLocaleSettings;
    inherit (config.console) keyMap useXkbConfig;
    xkbLayout = config.services.xserver.xkb.layout;
    xkbVariant = config.services.xserver.xkb.variant;
    inherit (config.system) stateVersion;
  };
  mutableUsers = config.users.mutableUsers;
  users = lib.mapAttrs (_: u: {
    inherit (u) isNormalUser description extraGroups hashedPassword hashedPasswordFile;
  }) config.users.users;
  persistence = lib.mapAttrs (_: store: {
    inherit (store) hideMounts;
    directories = map (d: { inherit (d) dirPath user group mode; }) store.directories;
    files = map (f: f.filePath) store.files;
    users = lib.mapAttrs (_: u: {
      directories = map (d: d.dirPath) u.directories;
      files = map (f: f.filePath) u.files;
    }) store.users;
  }) config.environment.persistence;
}
