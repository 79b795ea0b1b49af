// SPDX-License-Identifier: GPL-3.0-or-later
//! The files the install writes into `/etc/nixos`, rendered from the plan
//! with the UUIDs of what the install created (or placeholders for the
//! build before erase).

use std::path::PathBuf;

use crate::plan::{Password, Plan};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskUuids {
    /// The LUKS container's UUID; `None` for an unencrypted root.
    pub luks: Option<String>,
    pub btrfs: String,
    /// The vfat volume ID, `ABCD-1234`.
    pub esp: String,
}

impl DiskUuids {
    /// Stand-ins of the right shape, for building the configuration before
    /// the disk is touched.
    pub fn placeholders() -> Self {
        Self {
            luks: Some("00000000-0000-4000-8000-000000000001".to_owned()),
            btrfs: "00000000-0000-4000-8000-000000000002".to_owned(),
            esp: "0000-0001".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative to `/etc/nixos`.
    pub path: PathBuf,
    pub contents: String,
}

/// A user's password hash, for `/persist/passwords/<user>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordFile {
    pub user: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedInstall {
    pub files: Vec<RenderedFile>,
    pub password_files: Vec<PasswordFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

pub fn render_install(plan: &Plan, uuids: &DiskUuids) -> Result<RenderedInstall, RenderError> {
    let mut storage = String::from("{ ... }:\n{\n");
    if let Some(luks) = &uuids.luks {
        storage += &format!(
            "  boot.initrd.luks.devices.\"{}\".device = \"/dev/disk/by-uuid/{luks}\";\n",
            plan.encryption.mapped_name
        );
    }
    storage += &format!(
        "  fileSystems.\"/\" = {{ device = \"none\"; fsType = \"tmpfs\"; options = [ \"defaults\" \"size={}\" \"mode=755\" ]; }};\n",
        plan.root_tmpfs.size.mount_option_value()
    );
    for (_, subvolume) in plan.created_subvolumes() {
        let options: Vec<String> = std::iter::once(format!("subvol={}", subvolume.name))
            .chain(subvolume.options.iter().cloned())
            .map(|option| format!("\"{option}\""))
            .collect();
        storage += &format!(
            "  fileSystems.\"{}\" = {{ device = \"/dev/disk/by-uuid/{}\"; fsType = \"btrfs\"; options = [ {} ]; }};\n",
            subvolume.mount_point,
            uuids.btrfs,
            options.join(" ")
        );
    }
    storage += &format!(
        "  fileSystems.\"/boot\" = {{ device = \"/dev/disk/by-uuid/{}\"; fsType = \"vfat\"; options = [ \"fmask=0077\" \"dmask=0077\" ]; }};\n}}\n",
        uuids.esp
    );
    let configuration =
        "{ ... }:\n{\n  imports = [ ./hardware-configuration.nix ./storage.nix ];\n}\n";
    let password_files = plan
        .users
        .iter()
        .filter_map(|user| match &user.password {
            Some(Password::Hashed(hash)) => Some(PasswordFile {
                user: user.name.clone(),
                hash: format!("{hash}\n"),
            }),
            _ => None,
        })
        .collect();
    Ok(RenderedInstall {
        files: vec![
            RenderedFile {
                path: PathBuf::from("configuration.nix"),
                contents: configuration.to_owned(),
            },
            RenderedFile {
                path: PathBuf::from("storage.nix"),
                contents: storage,
            },
        ],
        password_files,
    })
}
