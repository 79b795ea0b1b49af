// SPDX-License-Identifier: GPL-3.0-or-later
//! The data model of an installation and its validation.
//!
//! A [`Plan`] is everything the person chose. The GUI edits one, `render`
//! turns one into Nix files, `install` executes one. It is plain data that
//! travels as JSON; secrets in it ([`Secret`]) are never serialised except by
//! [`Plan::to_helper_json`].

mod homes;
mod password;
mod place;
pub mod recovery_key;
mod required;
mod secret;
mod secret_shapes;
mod shown;
mod software;
pub mod strength;
mod summary;
mod validate;

use gettextrs::gettext;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::i18n::gettext_f;

pub use self::password::{HashError, Password, is_well_formed_hash};
pub use self::place::{Place, PlanPage};
pub use self::recovery_key::RecoveryKey;
pub use self::required::{mount_options_in_words, required_entry_reason};
pub use self::secret::Secret;
use self::shown::shown_within;
pub use self::shown::{SHOWN_CHARS, shown};
pub use self::software::{Desktop, Service};
pub use self::summary::{KeptKind, KeptPath};
pub use self::validate::{FieldPath, Problem, ValidationError, is_known_time_zone};
// The persistence editor checks added entries with the plan's rules.
pub(crate) use self::validate::{
    is_clean_absolute_path, is_clean_relative_path, is_inside, is_valid_account_name,
};

/// The plan format this build writes.
pub const SCHEMA_VERSION: u32 = 2;
/// The oldest format it reads: version 1 had no desktop and no services,
/// which is what the defaults of those fields mean.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Space the root partition needs besides swap: a NixOS system with a
/// desktop and a few generations.
pub const MINIMUM_SYSTEM_BYTES: u64 = 16 * GIB;
/// The partition table, alignment and LUKS2 header together stay below this.
pub const PARTITIONING_OVERHEAD_BYTES: u64 = 32 * MIB;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub schema_version: u32,
    /// The disk to erase; `None` while none is chosen (rendering still works,
    /// with placeholder UUIDs).
    #[serde(default)]
    pub disk: Option<TargetDisk>,
    pub esp: Esp,
    pub encryption: Encryption,
    /// The btrfs subvolumes besides the one for swap, in mount order.
    pub subvolumes: Vec<Subvolume>,
    #[serde(default)]
    pub swap: Option<Swap>,
    pub root_tmpfs: RootTmpfs,
    pub persistence: Persistence,
    pub system: System,
    /// Since version 2; absent in version 1, which installed none.
    #[serde(default)]
    pub desktop: Desktop,
    /// Services switched on, each with its state kept (since version 2).
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub root_password: Option<Password>,
    pub users: Vec<User>,
    /// Put password hashes inline in `users.nix` (a configuration that works
    /// on its own, but the hashes land in the world-readable Nix store)
    /// instead of `/persist/passwords/<user>` files.
    #[serde(default)]
    pub self_contained: bool,
    /// Where the installed configuration gets the impermanence module from.
    #[serde(default)]
    pub impermanence: ImpermanenceSource,
    /// Also write `flake.nix`, for `nixos-rebuild --flake`.
    #[serde(default)]
    pub flake: bool,
}

/// The impermanence module: the copy Keepsake carries, or the same pinned
/// revision downloaded by Nix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpermanenceSource {
    /// Written to `/etc/nixos/impermanence/` and imported by path: the
    /// install and every rebuild work without a network.
    #[default]
    Vendored,
    /// `builtins.fetchTarball` of the pinned revision, checked by hash.
    Fetch,
}

/// The disk as UDisks reports it, with the identity the review page shows and
/// the executor re-checks before the first write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDisk {
    /// For example `/org/freedesktop/UDisks2/drives/Samsung_SSD_…`.
    pub udisks_object_path: String,
    /// For example `/dev/disk/by-id/nvme-Samsung_SSD_…`.
    pub by_id_path: String,
    #[serde(default)]
    pub model: String,
    pub serial: String,
    pub size_bytes: u64,
    /// Spinning disks get no `ssd` mount option.
    pub rotational: bool,
}

/// The EFI system partition: vfat, mounted at `/boot` with
/// `fmask=0077,dmask=0077`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Esp {
    pub size_mib: u64,
}

impl Esp {
    pub const DEFAULT_SIZE_MIB: u64 = 1024;
    /// Below this, a few kernels and initrds no longer fit.
    pub const MINIMUM_SIZE_MIB: u64 = 256;
    /// Far more than any number of boot entries needs; it keeps every size
    /// computed from it well inside `u64`.
    pub const MAXIMUM_SIZE_MIB: u64 = 64 * 1024;

    /// The partition size, or `None` if it does not fit in `u64` (only in a
    /// plan that failed validation).
    pub fn size_bytes(&self) -> Option<u64> {
        self.size_mib.checked_mul(MIB)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// LUKS2 around the btrfs partition.
    pub enabled: bool,
    /// The device-mapper name, `/dev/mapper/<name>`.
    pub mapped_name: String,
    /// Read from the helper's stdin; never written by `Serialize`.
    #[serde(default, skip_serializing)]
    pub passphrase: Option<Secret>,
    /// Also add a recovery key ([`RecoveryKey`]) in a second key slot.
    /// Left out of the file when off, so plans without one stay as they
    /// were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery_key: bool,
    /// That key: like the passphrase, only in the helper's input.
    #[serde(default, skip_serializing)]
    pub recovery_key_secret: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subvolume {
    pub name: String,
    pub mount_point: String,
    pub options: Vec<String>,
}

impl Subvolume {
    /// What it is mounted with, at install time and in `storage.nix`:
    /// `subvol=<name>`, then the plan's options.
    pub fn mount_options(&self) -> Vec<String> {
        std::iter::once(format!("subvol={}", self.name))
            .chain(self.options.iter().cloned())
            .collect()
    }
}

/// A swapfile on its own subvolume (btrfs cannot snapshot a subvolume that
/// holds an active swapfile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Swap {
    pub size_gib: u32,
}

impl Swap {
    /// 16 TiB: more than the memory of any machine Keepsake installs on.
    pub const MAXIMUM_SIZE_GIB: u32 = 16 * 1024;
    pub const SUBVOLUME: &'static str = "swap";
    pub const MOUNT_POINT: &'static str = "/swap";
    pub const FILE: &'static str = "/swap/swapfile";
}

/// The tmpfs at `/`; always mounted with `mode=755`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootTmpfs {
    pub size: TmpfsSize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TmpfsSize {
    PercentOfRam(u8),
    Mebibytes(u64),
}

impl TmpfsSize {
    /// 16 TiB; the kernel parses larger `size=` values with an overflow.
    pub const MAXIMUM_MIB: u64 = 16 * 1024 * 1024;

    /// The value of tmpfs' `size=` mount option.
    pub fn mount_option_value(self) -> String {
        match self {
            TmpfsSize::PercentOfRam(percent) => format!("{percent}%"),
            TmpfsSize::Mebibytes(mib) => format!("{mib}M"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    /// Where the persisted data lives; must be a subvolume mount point.
    pub path: String,
    pub hide_mounts: bool,
    pub directories: Vec<PersistentDirectory>,
    pub files: Vec<String>,
    #[serde(default)]
    pub users: Vec<UserPersistence>,
    /// Entries kept in the home of every account whose home is erased at
    /// boot, those created later included. Left out of the file while
    /// empty, so plans without it read and write as before.
    #[serde(default, skip_serializing_if = "EveryHome::is_empty")]
    pub every_home: EveryHome,
    /// Identifiers of the presets the entries came from, so the editor can
    /// show them as such.
    #[serde(default)]
    pub presets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistentDirectory {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Octal, for example `0700`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl PersistentDirectory {
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            user: None,
            group: None,
            mode: None,
        }
    }
}

/// Entries in the home directory of every account, relative to it.
///
/// An account whose whole home survives a reboot (on a subvolume, or
/// `keep_whole_home`) gets none of them: everything in it is kept already,
/// and a second bind mount inside the kept home would only hide its copy.
/// Every other account gets them besides its own `persistence.users`
/// entries, see [`Plan::kept_in_homes`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveryHome {
    #[serde(default)]
    pub directories: Vec<PersistentDirectory>,
    #[serde(default)]
    pub files: Vec<String>,
}

impl EveryHome {
    pub fn is_empty(&self) -> bool {
        self.directories.is_empty() && self.files.is_empty()
    }
}

/// Entries in a user's home directory, relative to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPersistence {
    pub user: String,
    pub directories: Vec<PersistentDirectory>,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub hostname: String,
    pub time_zone: String,
    /// The language, for example `en_US.UTF-8`.
    pub locale: String,
    /// The locale of dates, numbers, money, paper and units, for example
    /// `de_CH.UTF-8`; empty for those of `locale`.
    #[serde(default)]
    pub formats: String,
    /// No longer rendered: the console follows `xkb_layout` and
    /// `xkb_variant` (`console.useXkbConfig`). Kept so plans of schema 1 load.
    pub console_keymap: String,
    pub xkb_layout: String,
    /// xkb variant of the layout, for example `dvorak`; empty for the
    /// layout's default. The console follows layout and variant.
    #[serde(default)]
    pub xkb_variant: String,
    /// `system.stateVersion`, for example `25.11`.
    pub state_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub password: Option<Password>,
    /// Keep the whole home, `/home/<name>`, in the persistent storage. Only
    /// matters without a subvolume at /home: there the home is otherwise
    /// erased at every boot but for the user's `persistence.users` entries
    /// and those of `persistence.every_home`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_whole_home: bool,
}

impl User {
    /// Members of this group may use sudo.
    pub const ADMINISTRATOR_GROUP: &'static str = "wheel";

    pub fn is_administrator(&self) -> bool {
        self.groups
            .iter()
            .any(|group| group == Self::ADMINISTRATOR_GROUP)
    }

    pub fn set_administrator(&mut self, administrator: bool) {
        self.groups
            .retain(|group| group != Self::ADMINISTRATOR_GROUP);
        if administrator {
            self.groups.insert(0, Self::ADMINISTRATOR_GROUP.to_owned());
        }
    }
}

/// Room for serde's list of the fields it expected besides the quoted
/// value.
const SYNTAX_MESSAGE_CHARS: usize = 320;

/// Why a plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanReadError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "this plan has format version {found}, but this Keepsake reads versions {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}"
    )]
    UnsupportedSchema { found: u64 },
    /// A password in a shape serde would quote back; the value is a secret,
    /// so only the field is named.
    #[error("{}", password_malformed(field))]
    PasswordMalformed { field: String },
    #[error("{}", passphrase_malformed())]
    PassphraseMalformed,
}

fn password_malformed(field: &str) -> String {
    gettext_f(
        "{field}: this is not a password Keepsake reads (its value is not shown). Write {\"hashed\": \"…\"} with a hash made by “mkpasswd”, or leave the field out and give the password with --password-file.",
        &[("field", field)],
    )
}

fn passphrase_malformed() -> String {
    gettext(
        "encryption.passphrase: the passphrase must be text (its value is not shown). Leave it out of the plan file and give it when installing.",
    )
}

impl Plan {
    /// The recipe's layout on no particular disk: LUKS2, subvolumes `nix`,
    /// `home`, `persist`, `nixos-config`, a tmpfs root of 25 % of RAM, the
    /// usual system state persisted, and GNOME with Bluetooth and printing.
    pub fn example() -> Plan {
        let mut plan = Plan::example_without_software();
        plan.set_desktop(Desktop::Gnome);
        plan
    }

    fn example_without_software() -> Plan {
        let subvolume = |name: &str, mount_point: &str| Subvolume {
            name: name.to_owned(),
            mount_point: mount_point.to_owned(),
            options: default_mount_options(false),
        };
        Plan {
            schema_version: SCHEMA_VERSION,
            disk: None,
            esp: Esp {
                size_mib: Esp::DEFAULT_SIZE_MIB,
            },
            encryption: Encryption {
                enabled: true,
                mapped_name: "cryptroot".to_owned(),
                passphrase: None,
                recovery_key: false,
                recovery_key_secret: None,
            },
            subvolumes: vec![
                subvolume("nix", "/nix"),
                subvolume("home", "/home"),
                subvolume("persist", "/persist"),
                subvolume("nixos-config", "/etc/nixos"),
            ],
            swap: None,
            root_tmpfs: RootTmpfs {
                size: TmpfsSize::PercentOfRam(25),
            },
            persistence: Persistence {
                path: "/persist".to_owned(),
                hide_mounts: true,
                directories: [
                    "/var/log",
                    "/var/lib/bluetooth",
                    "/var/lib/nixos",
                    "/var/lib/systemd/coredump",
                    "/etc/NetworkManager/system-connections",
                ]
                .into_iter()
                .map(PersistentDirectory::new)
                .collect(),
                files: vec!["/etc/machine-id".to_owned()],
                users: Vec::new(),
                every_home: EveryHome::default(),
                presets: Vec::new(),
            },
            system: System {
                hostname: "nixos".to_owned(),
                time_zone: "UTC".to_owned(),
                locale: "en_US.UTF-8".to_owned(),
                formats: String::new(),
                console_keymap: "us".to_owned(),
                xkb_layout: "us".to_owned(),
                xkb_variant: String::new(),
                state_version: "25.11".to_owned(),
            },
            desktop: Desktop::None,
            services: Vec::new(),
            root_password: None,
            users: vec![User {
                name: "alice".to_owned(),
                full_name: "Alice".to_owned(),
                groups: vec!["wheel".to_owned(), "networkmanager".to_owned()],
                password: Some(Password::Hashed(EXAMPLE_PASSWORD_HASH.to_owned())),
                keep_whole_home: false,
            }],
            self_contained: false,
            impermanence: ImpermanenceSource::Vendored,
            flake: false,
        }
    }

    /// Reads a plan from JSON. Syntax and type errors carry line and column.
    pub fn from_json(json: &str) -> Result<Plan, PlanReadError> {
        let syntax = |error: serde_json::Error| {
            // serde_json's message ends with the position, which the error
            // already states first.
            let position = format!(" at line {} column {}", error.line(), error.column());
            let message = error.to_string();
            PlanReadError::Syntax {
                line: error.line(),
                column: error.column(),
                message: shown_within(
                    message.strip_suffix(&position).unwrap_or(&message),
                    SYNTAX_MESSAGE_CHARS,
                ),
            }
        };
        // Look at the version first, so an old or new plan gets a clear
        // message instead of a complaint about some field. Typed, with every
        // other field skipped unread: an untyped copy of the JSON would hold
        // the passphrase in memory that is never wiped.
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<u64>,
        }
        match serde_json::from_str::<Version>(json) {
            Ok(Version {
                schema_version: Some(found),
            }) if !(u64::from(OLDEST_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION))
                .contains(&found) =>
            {
                return Err(PlanReadError::UnsupportedSchema { found });
            }
            Err(error) if error.is_syntax() || error.is_eof() => return Err(syntax(error)),
            // A version of the wrong type: the full read below names it.
            _ => {}
        }
        match secret_shapes::first_malformed_secret(json) {
            Some(field) if field == "encryption.passphrase" => {
                return Err(PlanReadError::PassphraseMalformed);
            }
            Some(field) => return Err(PlanReadError::PasswordMalformed { field }),
            None => {}
        }
        let mut plan: Plan = serde_json::from_str(json).map_err(syntax)?;
        plan.migrate();
        Ok(plan)
    }

    /// Brings a plan of an older format to the current one. Version 1 to 2:
    /// the fields version 2 added are absent and read as no desktop and no
    /// services, so the plan installs what it did before. Fields added
    /// within version 2 (`encryption.recovery_key`,
    /// `persistence.every_home`) are left out of the file while unused and
    /// read as unused when absent, so they need no version of their own.
    fn migrate(&mut self) {
        self.schema_version = SCHEMA_VERSION;
    }

    /// Pretty JSON without any secret: what `keepsake plan` prints and what
    /// the GUI saves. Fails only while a password is still clear text.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self).map(|json| json + "\n")
    }

    /// The JSON `keepsake-helper` reads on stdin: the plan with the LUKS
    /// passphrase and recovery key. Wiped from memory when dropped; never
    /// write it to a file.
    ///
    /// The passphrase goes straight from the [`Secret`] into one buffer
    /// reserved large enough up front, so no untyped JSON value and no
    /// reallocation leaves a copy of it behind.
    pub fn to_helper_json(&self) -> Result<Zeroizing<String>, serde_json::Error> {
        let mut rest = serde_json::to_value(self)?;
        let encryption = rest
            .as_object_mut()
            .and_then(|plan| plan.remove("encryption"))
            .unwrap_or_default();
        let input = HelperInput {
            rest: &rest,
            encryption: HelperEncryption {
                public: &encryption,
                passphrase: self.encryption.passphrase.as_ref(),
                recovery_key_secret: self.encryption.recovery_key_secret.as_ref(),
            },
        };
        let secrets_len: usize = [
            &self.encryption.passphrase,
            &self.encryption.recovery_key_secret,
        ]
        .into_iter()
        .flatten()
        .map(|secret| secret.expose().len())
        .sum();
        // JSON escapes a byte as at most six (`\u001f`).
        let capacity = serde_json::to_vec(&rest)?.len()
            + serde_json::to_vec(&encryption)?.len()
            + secrets_len * 6
            + 128;
        let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
        serde_json::to_writer(&mut *buffer, &input)?;
        let text = String::from_utf8(std::mem::take(&mut *buffer))
            .map_err(|error| serde::ser::Error::custom(error.utf8_error()))?;
        Ok(Zeroizing::new(text))
    }

    /// Replaces every clear-text password with its yescrypt hash. An empty
    /// one stays clear text, so that [`Plan::validate`] still refuses it on
    /// its field (a hash of nothing looks like any other hash).
    pub fn hash_passwords(&mut self) -> Result<(), HashError> {
        let passwords = self.root_password.iter_mut().chain(
            self.users
                .iter_mut()
                .filter_map(|user| user.password.as_mut()),
        );
        for password in passwords {
            if matches!(password, Password::Clear(secret) if !secret.is_empty()) {
                *password = password.hashed()?;
            }
        }
        Ok(())
    }

    /// Every subvolume the installer creates, the swap subvolume included,
    /// with the `FieldPath` it comes from.
    pub fn created_subvolumes(&self) -> Vec<(FieldPath, Subvolume)> {
        let listed = self
            .subvolumes
            .iter()
            .enumerate()
            .map(|(index, subvolume)| (FieldPath::subvolume(index), subvolume.clone()));
        let swap = self.swap.as_ref().map(|_| {
            (
                FieldPath::new("swap"),
                Subvolume {
                    name: Swap::SUBVOLUME.to_owned(),
                    mount_point: Swap::MOUNT_POINT.to_owned(),
                    // Compression and copy-on-write do not work with
                    // swapfiles.
                    options: vec!["noatime".to_owned()],
                },
            )
        });
        listed.chain(swap).collect()
    }

    /// Mount points that must be mounted in the initrd: /nix (the system
    /// lives there) and the persistence path (impermanence binds from it
    /// before activation).
    pub fn needed_for_boot(&self, mount_point: &str) -> bool {
        mount_point == "/nix" || mount_point == self.persistence.path
    }

    /// The smallest disk this plan fits on; `u64::MAX` (no disk is large
    /// enough) for sizes beyond what validation allows.
    pub fn minimum_disk_bytes(&self) -> u64 {
        let swap = match &self.swap {
            Some(swap) => u64::from(swap.size_gib).checked_mul(GIB),
            None => Some(0),
        };
        self.esp
            .size_bytes()
            .and_then(|esp| esp.checked_add(PARTITIONING_OVERHEAD_BYTES))
            .and_then(|bytes| bytes.checked_add(MINIMUM_SYSTEM_BYTES))
            .and_then(|bytes| bytes.checked_add(swap?))
            .unwrap_or(u64::MAX)
    }

    /// The fields that hold a secret in clear text: a plan file with one is
    /// readable by anyone who can read the file.
    pub fn clear_text_secrets(&self) -> Vec<FieldPath> {
        let passphrase = self
            .encryption
            .passphrase
            .as_ref()
            .map(|_| FieldPath::new("encryption.passphrase"));
        let recovery_key = self
            .encryption
            .recovery_key_secret
            .as_ref()
            .map(|_| FieldPath::new("encryption.recovery_key_secret"));
        let root = self
            .root_password
            .as_ref()
            .filter(|password| password.hash().is_none())
            .map(|_| FieldPath::new("root_password"));
        let users = self.users.iter().enumerate().filter_map(|(index, user)| {
            user.password
                .as_ref()
                .filter(|password| password.hash().is_none())
                .map(|_| FieldPath::new("users").index(index).field("password"))
        });
        passphrase
            .into_iter()
            .chain(recovery_key)
            .chain(root)
            .chain(users)
            .collect()
    }
}

/// The recipe's btrfs mount options; `ssd` only for non-rotational disks.
pub fn default_mount_options(rotational: bool) -> Vec<String> {
    let mut options = vec!["compress-force=zstd".to_owned(), "noatime".to_owned()];
    if !rotational {
        options.push("ssd".to_owned());
    }
    options
}

/// yescrypt hash of "keepsake", so the example plan validates and renders
/// without asking for a password.
const EXAMPLE_PASSWORD_HASH: &str =
    "$y$j9T$HpIFY0O8.QXQbrMticl7Q.$TBZj/CrhA03cdAfMNBQfr84waJ0NgN5cO53IlYjild6";

/// The helper's input: the plan, with the passphrase beside the other
/// encryption settings.
#[derive(Serialize)]
struct HelperInput<'a> {
    #[serde(flatten)]
    rest: &'a serde_json::Value,
    encryption: HelperEncryption<'a>,
}

#[derive(Serialize)]
struct HelperEncryption<'a> {
    #[serde(flatten)]
    public: &'a serde_json::Value,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_secret"
    )]
    passphrase: Option<&'a Secret>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_secret"
    )]
    recovery_key_secret: Option<&'a Secret>,
}

fn expose_secret<S: serde::Serializer>(
    secret: &Option<&Secret>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_is_valid() {
        assert_eq!(Plan::example().validate(), Ok(()));
    }

    #[test]
    fn example_round_trips_through_json() {
        let plan = Plan::example();
        let json = plan.to_json().unwrap();
        assert_eq!(Plan::from_json(&json).unwrap(), plan);
    }

    #[test]
    fn passphrase_is_only_in_helper_json() {
        let mut plan = Plan::example();
        plan.encryption.passphrase = Some(Secret::from("open sesame"));
        assert!(!plan.to_json().unwrap().contains("open sesame"));
        assert!(!format!("{plan:?}").contains("open sesame"));
        let helper_json = plan.to_helper_json().unwrap();
        assert!(helper_json.contains("open sesame"));
        let read_back = Plan::from_json(&helper_json).unwrap();
        assert_eq!(read_back, plan);

        plan.encryption.passphrase = Some(Secret::from("quote \" back\\slash \u{1} ünï"));
        let read_back = Plan::from_json(&plan.to_helper_json().unwrap()).unwrap();
        assert_eq!(read_back, plan);
        plan.encryption.passphrase = None;
        let helper_json = plan.to_helper_json().unwrap();
        assert!(!helper_json.contains("passphrase"));
        assert_eq!(Plan::from_json(&helper_json).unwrap(), plan);
    }

    #[test]
    fn the_recovery_key_is_a_switch_in_the_plan_and_a_secret_only_for_the_helper() {
        let mut plan = Plan::example();
        assert!(
            !plan.to_json().unwrap().contains("recovery_key"),
            "a plan without a recovery key reads as before"
        );
        let key = RecoveryKey::generate().unwrap();
        plan.encryption.passphrase = Some(Secret::from("open sesame"));
        plan.encryption.recovery_key = true;
        plan.encryption.recovery_key_secret = Some(key.secret().clone());
        let json = plan.to_json().unwrap();
        assert!(json.contains("\"recovery_key\": true"), "{json}");
        assert!(!json.contains(key.expose()));
        assert!(!format!("{plan:?}").contains(key.expose()));
        let read = Plan::from_json(&json).unwrap();
        assert!(read.encryption.recovery_key && read.encryption.recovery_key_secret.is_none());

        let helper_json = plan.to_helper_json().unwrap();
        assert!(helper_json.contains(key.expose()) && helper_json.contains("open sesame"));
        let read_back = Plan::from_json(&helper_json).unwrap();
        assert_eq!(read_back, plan);
        assert_eq!(
            read_back.encryption.recovery_key_secret.as_ref(),
            Some(key.secret())
        );
        assert!(
            plan.clear_text_secrets()
                .iter()
                .any(|field| field.as_str() == "encryption.recovery_key_secret")
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let error = Plan::from_json("{\n  \"schema_version\": 1,\n  oops\n}").unwrap_err();
        match error {
            PlanReadError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 3)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_version_1_plan_reads_as_version_2_without_desktop_or_services() {
        let mut v1 = Plan::example_without_software();
        v1.schema_version = 1;
        let json = v1
            .to_json()
            .unwrap()
            .replace("  \"desktop\": \"none\",\n", "")
            .replace("  \"services\": [],\n", "");
        assert!(!json.contains("desktop") && !json.contains("services"));
        let read = Plan::from_json(&json).unwrap();
        assert_eq!(read.schema_version, SCHEMA_VERSION);
        assert_eq!(read.desktop, Desktop::None);
        assert!(read.services.is_empty());
        assert_eq!(read.validate(), Ok(()));
        assert_eq!(
            crate::nix::render(&read, &crate::nix::DiskIds::placeholders()),
            crate::nix::render(&v1, &crate::nix::DiskIds::placeholders())
        );
    }

    #[test]
    fn what_every_home_keeps_is_in_the_file_only_when_there_is_some() {
        let mut plan = Plan::example();
        assert!(!plan.to_json().unwrap().contains("every_home"));
        plan.persistence
            .every_home
            .files
            .push(".bash_history".to_owned());
        let json = plan.to_json().unwrap();
        assert!(json.contains("\"every_home\": {"), "{json}");
        assert_eq!(Plan::from_json(&json).unwrap(), plan);
        let only_files = json.replace("\"directories\": [],\n      ", "");
        assert_ne!(only_files, json);
        assert_eq!(Plan::from_json(&only_files).unwrap(), plan);
    }

    #[test]
    fn other_schema_versions_are_refused_by_name() {
        let error = Plan::from_json("{\"schema_version\": 7}").unwrap_err();
        assert!(matches!(
            error,
            PlanReadError::UnsupportedSchema { found: 7 }
        ));
    }

    #[test]
    fn empty_clear_text_stays_for_validation_to_refuse() {
        let mut plan = Plan::example();
        plan.users[0].password = Some(Password::Clear(Secret::from("")));
        plan.hash_passwords().unwrap();
        let errors = plan.validate().unwrap_err();
        assert_eq!(errors[0].field.as_str(), "users[0].password");
        assert_eq!(errors[0].problem, Problem::PasswordEmpty);
    }

    #[test]
    fn sizes_saturate_instead_of_overflowing() {
        let mut plan = Plan::example();
        plan.esp.size_mib = u64::MAX;
        plan.swap = Some(Swap { size_gib: u32::MAX });
        assert_eq!(plan.esp.size_bytes(), None);
        assert_eq!(plan.minimum_disk_bytes(), u64::MAX);
        plan.esp.size_mib = Esp::MAXIMUM_SIZE_MIB;
        plan.swap = Some(Swap {
            size_gib: Swap::MAXIMUM_SIZE_GIB,
        });
        assert!(plan.minimum_disk_bytes() < u64::MAX);
    }

    #[test]
    fn a_secret_of_the_wrong_shape_is_named_but_not_quoted() {
        let json = Plan::example()
            .to_json()
            .unwrap()
            .replace("\"hashed\": \"$y$", "\"Hunter2Secret\": \"$y$");
        let error = Plan::from_json(&json).unwrap_err();
        assert!(
            matches!(&error, PlanReadError::PasswordMalformed { field } if field == "users[0].password")
        );
        assert!(!error.to_string().contains("Hunter2"), "{error}");

        // The last of two keys is the one a JSON value keeps; serde reads
        // the first as well.
        let twice = Plan::example().to_json().unwrap().replace(
            "\"password\": {",
            "\"password\": \"Hunter2Secret\", \"password\": {",
        );
        let error = Plan::from_json(&twice).unwrap_err();
        assert!(!error.to_string().contains("Hunter2"), "{error}");
    }

    #[test]
    fn the_administrator_switch_is_the_wheel_group() {
        let mut user = Plan::example().users.remove(0);
        assert!(user.is_administrator());
        user.set_administrator(false);
        assert_eq!(user.groups, ["networkmanager"]);
        user.set_administrator(true);
        user.set_administrator(true);
        assert_eq!(user.groups, ["wheel", "networkmanager"]);
    }

    #[test]
    fn hashing_replaces_clear_text() {
        let mut plan = Plan::example();
        plan.users[0].password = Some(Password::Clear(Secret::from("pw")));
        plan.hash_passwords().unwrap();
        let hash = plan.users[0].password.as_ref().unwrap().hash().unwrap();
        assert!(hash.starts_with("$y$"));
    }
}
