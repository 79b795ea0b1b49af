# SPDX-License-Identifier: GPL-3.0-or-later
# Evaluates the disko configuration of `keepsake render --disko` against
# typed stand-ins for disko's option types (disko itself is not pinned
# here). Content is a union tagged by `type`, as in disko: each variant's
# required fields are checked, and an unknown variant is refused.
{
  libDir,
  impermanenceDir,
  configDir,
}:
let
  lib = import "${libDir}/lib";
  inherit (lib) mkOption types;
  option = type: default: mkOption { inherit type default; };
  required = type: mkOption { inherit type; };

  content = types.submodule {
    options = {
      type = required (types.enum [ "gpt" "filesystem" "luks" "btrfs" ]);
      # gpt
      partitions = option (types.attrsOf partition) { };
      # filesystem
      format = option (types.nullOr (types.enum [ "vfat" "ext4" "btrfs" ])) null;
      mountpoint = option (types.nullOr types.str) null;
      mountOptions = option (types.listOf types.str) [ "defaults" ];
      # luks
      name = option (types.nullOr (types.strMatching "[A-Za-z0-9_-]+")) null;
      content = option (types.nullOr content) null;
      # btrfs
      extraArgs = option (types.listOf types.str) [ ];
      subvolumes = option (types.attrsOf subvolume) { };
    };
  };

  partition = types.submodule {
    options = {
      size = required (types.strMatching "[0-9]+[KMGT]?|100%");
      type = option (types.strMatching "[0-9A-F]{4}") "8300";
      content = required content;
    };
  };

  subvolume = types.submodule {
    options = {
      mountpoint = option (types.nullOr types.str) null;
      mountOptions = option (types.listOf types.str) [ "defaults" ];
      swap = option (types.attrsOf (types.submodule {
        options.size = required (types.strMatching "[0-9]+[KMGT]");
      })) { };
    };
  };

  declarations = {
    options.disko.devices = {
      disk = option (types.attrsOf (types.submodule {
        options = {
          type = required (types.enum [ "disk" ]);
          device = required (types.strMatching "/dev/.+");
          content = required content;
        };
      })) { };
      nodev = option (types.attrsOf (types.submodule {
        options = {
          fsType = required types.str;
          mountOptions = option (types.listOf types.str) [ "defaults" ];
        };
      })) { };
    };
  };

  config = (lib.evalModules {
    modules = [
      declarations
      (import "${configDir}/disko.nix")
    ];
  }).config;

  # The fields each variant needs, as disko's own types require them.
  problems =
    path: c:
    lib.optional (c.type == "gpt" && c.partitions == { }) "${path}: a gpt table without partitions"
    ++ lib.optional (c.type == "filesystem" && (c.format == null || c.mountpoint == null)) "${path}: a file system without format or mount point"
    ++ lib.optional (c.type == "luks" && (c.name == null || c.content == null)) "${path}: luks without name or content"
    ++ lib.optional (c.type == "btrfs" && c.subvolumes == { }) "${path}: btrfs without subvolumes"
    ++ lib.optionals (c.content != null) (problems "${path}.content" c.content)
    ++ lib.concatLists (lib.mapAttrsToList (name: p: problems "${path}.${name}" p.content) c.partitions);

  btrfsOf = c: if c.type == "btrfs" then c else if c.content != null then btrfsOf c.content else null;
  disk = config.disko.devices.disk.main;
  root = disk.content.partitions.root.content;
in
{
  problems = problems "main" disk.content;
  inherit (disk) device;
  esp = {
    inherit (disk.content.partitions.ESP) size type;
    inherit (disk.content.partitions.ESP.content) format mountpoint mountOptions;
  };
  luksName = if root.type == "luks" then root.name else null;
  subvolumes = lib.mapAttrs (_: s: {
    inherit (s) mountpoint mountOptions;
    swap = lib.mapAttrs (_: f: f.size) s.swap;
  }) (btrfsOf root).subvolumes;
  root = config.disko.devices.nodev."/";
}
