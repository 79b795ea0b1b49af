// SPDX-License-Identifier: GPL-3.0-or-later
//! A fake installed system for `keepsake --demo --edit` and the editor's
//! tests: a scratch tree standing for `/` of a NixOS with a tmpfs root and
//! `/persist`, created in well under a second and removed by the caller.
//!
//! What it holds:
//! * `/etc/NIXOS`, `/etc/os-release` (no installer variant), and
//!   `/etc/nixos/configuration.nix` importing `persistence.nix` and
//!   `users.nix`; `persistence.nix` has comments, a `users.alice` block,
//!   an entry written as an attribute set, and a list computed with
//!   `lib.optionals`, which the editor shows read-only.
//! * `/persist` with the kept data, `passwords/alice` (alice's
//!   `hashedPasswordFile`, mode 0600, the password is “demo”), and an
//!   orphan: `/persist/var/lib/postgresql`, kept by an entry removed since.
//! * Live data nobody keeps: `/var/lib/docker`, with Docker enabled by a
//!   `wants` link, and Firefox in the system profile with a profile in
//!   alice's home that is not kept; alice's `.cache` and `.config`.
//! * A mount table ([`DemoSystem::mountinfo`]) with `/` on tmpfs, `/etc/nixos`
//!   bind-mounted from `/persist/etc/nixos` (only in the table: the demo's
//!   files are in its `/etc/nixos`), and most entries bind-mounted; `~alice/.bash_history` is a symbolic link into
//!   `/persist`, and `/var/lib/systemd/coredump` is kept but not active
//!   (added since the last boot).
//!
//! **Sizes.** Every size Keepsake shows is allocated bytes, as `du`
//! counts them, so the demo's files really take their space: they are
//! allocated with `fallocate` (no data is written, so this is fast) and
//! add up to about 64 MiB in total — a system of the same shape scaled
//! down, so that tests running side by side on a tmpfs `/tmp` stay cheap.
//! Where `fallocate` is not supported the files are sparse and show as
//! nearly empty: the sizes shown are always the real ones.

use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use rustix::fs::FallocateFlags;

use super::SystemView;

const MIB: u64 = 1024 * 1024;

/// The yescrypt hash of “demo”, as `mkpasswd` would write it.
const DEMO_HASH: &str = "$y$j9T$UYY5IXWZmLlCsl9KxIUOK1$8nUTVw2Sgs6.GDKwadeg9pHQnZCNZogJhfPxIvWIZ.7";

const CONFIGURATION: &str = r#"# Edit this configuration file to define what should be installed on
# your system. Help is available in the configuration.nix(5) man page
# and in the NixOS manual (accessible by running `nixos-help`).
{ config, lib, pkgs, ... }:

{
  imports = [
    ./hardware-configuration.nix
    ./persistence.nix
    ./users.nix
  ];

  boot.loader.systemd-boot.enable = true;
  networking.hostName = "demo";
  networking.networkmanager.enable = true;
  virtualisation.docker.enable = true;
  programs.firefox.enable = true;

  system.stateVersion = "25.05";
}
"#;

const HARDWARE: &str = r#"# Written by Keepsake's demo: a tmpfs root and a btrfs storage root.
{ ... }:

{
  fileSystems."/" = {
    device = "none";
    fsType = "tmpfs";
    options = [ "defaults" "size=2G" "mode=755" ];
  };
  fileSystems."/persist" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "btrfs";
    options = [ "subvol=persist" ];
    neededForBoot = true;
  };
  # The configuration itself lives in the storage root.
  fileSystems."/etc/nixos" = {
    device = "/persist/etc/nixos";
    options = [ "bind" ];
  };
}
"#;

const PERSISTENCE: &str = r#"# What survives a reboot: everything else is erased with the tmpfs root.
{ config, lib, ... }:

{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/log"
      "/var/lib/nixos"
      "/var/lib/systemd/coredump"
      "/etc/NetworkManager/system-connections"
      # Colour profiles, owned by colord.
      { directory = "/var/lib/colord"; user = "colord"; group = "colord"; mode = "u=rwx,g=rx,o="; }
    ] ++ lib.optionals config.hardware.bluetooth.enable [ "/var/lib/bluetooth" ];
    files = [
      "/etc/machine-id"
      "/etc/ssh/ssh_host_ed25519_key"
      "/etc/ssh/ssh_host_ed25519_key.pub"
    ];
    users.alice = {
      directories = [
        "Documents"
        "Music"
        { directory = ".ssh"; mode = "0700"; }
      ];
      files = [ ".bash_history" ];
    };
  };
}
"#;

const USERS: &str = r#"# The accounts of this system. Password hashes live in root-only files
# under the persistent storage, not in the Nix store.
{ ... }:

{
  users.mutableUsers = false;
  users.users.root.hashedPassword = "!";

  users.users.alice = {
    isNormalUser = true;
    description = "Alice Liddell";
    extraGroups = [ "wheel" "networkmanager" "docker" ];
    hashedPasswordFile = "/persist/passwords/alice";
  };
}
"#;

/// A fake installed system, created by [`DemoSystem::create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSystem {
    /// The directory standing for `/`.
    pub root: PathBuf,
    /// `<root>/etc/nixos/persistence.nix`: the file that defines
    /// `environment.persistence`.
    pub config_file: PathBuf,
    /// `/persist`, as the demo system sees it.
    pub storage_root: PathBuf,
    /// alice's `hashedPasswordFile`, as the demo system sees it.
    pub password_file: PathBuf,
    /// The text of the demo system's `/proc/self/mountinfo`.
    pub mountinfo: String,
}

impl DemoSystem {
    /// Builds the demo system in `dir` (which should be empty; the caller
    /// removes it when done).
    pub fn create(dir: &Path) -> io::Result<DemoSystem> {
        let root = dir.to_path_buf();
        let put = |path: &str, text: &str| write(&root, path, text.as_bytes());
        put("etc/NIXOS", "")?;
        put(
            "etc/os-release",
            "NAME=NixOS\nID=nixos\nVERSION_ID=\"25.05\"\nPRETTY_NAME=\"NixOS 25.05 (Warbler)\"\n",
        )?;
        put("etc/nixos/configuration.nix", CONFIGURATION)?;
        put("etc/nixos/hardware-configuration.nix", HARDWARE)?;
        put("etc/nixos/persistence.nix", PERSISTENCE)?;
        put("etc/nixos/users.nix", USERS)?;
        put("etc/machine-id", "")?;
        put("etc/ssh/ssh_host_ed25519_key", "")?;
        put("etc/ssh/ssh_host_ed25519_key.pub", "")?;

        // The storage root: what the entries keep.
        put(
            "persist/etc/machine-id",
            "5f0c3a4b6d2e4c1f9a8b7c6d5e4f3a2b\n",
        )?;
        put(
            "persist/etc/ssh/ssh_host_ed25519_key",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n(demo)\n-----END OPENSSH PRIVATE KEY-----\n",
        )?;
        put(
            "persist/etc/ssh/ssh_host_ed25519_key.pub",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemo root@demo\n",
        )?;
        put(
            "persist/etc/NetworkManager/system-connections/Home.nmconnection",
            "[connection]\nid=Home\ntype=wifi\n[wifi-security]\npsk=(demo)\n",
        )?;
        allocate(
            &root,
            "persist/var/log/journal/5f0c3a4b/system.journal",
            8 * MIB,
        )?;
        put("persist/var/lib/nixos/uid-map", "{\"alice\":1000}\n")?;
        put("persist/var/lib/nixos/gid-map", "{\"users\":100}\n")?;
        put("persist/var/lib/colord/mapping.db", "")?;
        allocate(&root, "persist/home/alice/Documents/thesis.pdf", 3 * MIB)?;
        allocate(&root, "persist/home/alice/Documents/budget.ods", MIB)?;
        put("persist/home/alice/Documents/notes.txt", "Buy milk.\n")?;
        allocate(&root, "persist/home/alice/Music/01 Overture.flac", 7 * MIB)?;
        allocate(&root, "persist/home/alice/Music/02 Allegro.flac", 6 * MIB)?;
        put("persist/home/alice/.ssh/id_ed25519", "(demo key)\n")?;
        put(
            "persist/home/alice/.ssh/known_hosts",
            "github.com ssh-ed25519 AAAA\n",
        )?;
        put(
            "persist/home/alice/.bash_history",
            "ls\nsudo nixos-rebuild switch\n",
        )?;
        put("persist/passwords/alice", &format!("{DEMO_HASH}\n"))?;
        fs::set_permissions(
            root.join("persist/passwords/alice"),
            fs::Permissions::from_mode(0o600),
        )?;
        fs::set_permissions(
            root.join("persist/home/alice/.ssh"),
            fs::Permissions::from_mode(0o700),
        )?;
        // An orphan: PostgreSQL was kept once, its entry is gone.
        allocate(
            &root,
            "persist/var/lib/postgresql/16/base/16384/1259",
            10 * MIB,
        )?;
        put("persist/var/lib/postgresql/16/PG_VERSION", "16\n")?;

        // The live root: mount points of the kept paths, and what is lost.
        for dir in [
            "var/log",
            "var/lib/nixos",
            "var/lib/colord",
            "var/lib/systemd/coredump",
            "etc/NetworkManager/system-connections",
            "home/alice/Documents",
            "home/alice/Music",
            "home/alice/.ssh",
        ] {
            fs::create_dir_all(root.join(dir))?;
        }
        allocate(&root, "var/lib/systemd/coredump/core.firefox.1000.zst", MIB)?;
        symlink(
            "/persist/home/alice/.bash_history",
            root.join("home/alice/.bash_history"),
        )?;
        allocate(
            &root,
            "var/lib/docker/overlay2/3f9a1c/diff/usr/lib/libpython3.12.so",
            20 * MIB,
        )?;
        put("var/lib/docker/image/overlay2/repositories.json", "{}\n")?;
        let wants = root.join("etc/systemd/system/multi-user.target.wants");
        fs::create_dir_all(&wants)?;
        symlink(
            "/etc/systemd/system/docker.service",
            wants.join("docker.service"),
        )?;
        put(
            "etc/systemd/system/docker.service",
            "[Unit]\nDescription=Docker\n",
        )?;
        let bin = root.join("run/current-system/sw/bin");
        fs::create_dir_all(&bin)?;
        symlink("/nix/store/demo-firefox/bin/firefox", bin.join("firefox"))?;
        allocate(
            &root,
            "home/alice/.mozilla/firefox/demo.default/places.sqlite",
            5 * MIB,
        )?;
        allocate(
            &root,
            "home/alice/.cache/thumbnails/large/0a1b.png",
            2 * MIB,
        )?;
        put("home/alice/.config/htop/htoprc", "fields=0 48 17 18\n")?;

        let mountinfo = mountinfo();
        Ok(DemoSystem {
            config_file: root.join("etc/nixos/persistence.nix"),
            root,
            storage_root: PathBuf::from("/persist"),
            password_file: PathBuf::from("/persist/passwords/alice"),
            mountinfo,
        })
    }

    /// The demo system for the functions of [`crate::kept`].
    pub fn view(&self) -> SystemView {
        SystemView::new(&self.root, self.mountinfo.as_bytes())
    }
}

/// `/` on tmpfs, `/persist` on btrfs, and bind mounts of the active entries.
fn mountinfo() -> String {
    let mut text = String::from(
        "22 1 0:21 / / rw,relatime shared:1 - tmpfs none rw,size=2097152k,mode=755\n\
         23 22 0:25 / /nix ro,relatime shared:2 - btrfs /dev/mapper/root rw,subvol=/nix\n\
         24 22 0:25 /persist /persist rw,relatime shared:3 - btrfs /dev/mapper/root rw,subvol=/persist\n\
         25 22 0:25 /persist/etc/nixos /etc/nixos rw,relatime shared:4 - btrfs /dev/mapper/root rw,subvol=/persist\n",
    );
    let active = [
        "/var/log",
        "/var/lib/nixos",
        "/var/lib/colord",
        "/etc/NetworkManager/system-connections",
        "/etc/machine-id",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_ed25519_key.pub",
        "/home/alice/Documents",
        "/home/alice/Music",
        "/home/alice/.ssh",
    ];
    for (index, path) in active.iter().enumerate() {
        text.push_str(&format!(
            "{} 22 0:25 /persist{path} {path} rw,relatime shared:{} - btrfs /dev/mapper/root rw,subvol=/persist\n",
            30 + index,
            10 + index,
        ));
    }
    text
}

fn write(root: &Path, path: &str, contents: &[u8]) -> io::Result<()> {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, contents)
}

/// A file of `bytes` allocated bytes, without writing them.
fn allocate(root: &Path, path: &str, bytes: u64) -> io::Result<()> {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let file = fs::File::create(&path)?;
    match rustix::fs::fallocate(&file, FallocateFlags::empty(), 0, bytes) {
        Ok(()) => Ok(()),
        // Documented above: the file is then sparse and shows as such.
        Err(_) => file.set_len(bytes),
    }
}
