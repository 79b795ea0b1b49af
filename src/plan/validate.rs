// SPDX-License-Identifier: GPL-3.0-or-later
//! `Plan::validate`: every problem at once, each tied to the field it belongs
//! to, with a translated message that says what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use gettextrs::gettext;
use serde::Serialize;

use super::place::Place;
use super::shown::shown;
use super::{
    Esp, ImpermanenceSource, Password, Plan, Service, Subvolume, Swap, TmpfsSize, UserPersistence,
    is_well_formed_hash,
};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate, ngettext_f};
use crate::region::locale;

/// Where in the plan a problem is, in the plan's JSON shape, for example
/// `subvolumes[2].mount_point`; the GUI maps it to a widget.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn new(path: &str) -> Self {
        Self(path.to_owned())
    }

    pub fn subvolume(index: usize) -> Self {
        Self(format!("subvolumes[{index}]"))
    }

    /// `self.name`
    pub fn field(&self, name: &str) -> Self {
        Self(format!("{}.{name}", self.0))
    }

    /// `self[index]`
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is wrong, with the values the message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    DiskTooSmall {
        needed_bytes: u64,
        available_bytes: u64,
    },
    EspTooSmall {
        minimum_mib: u64,
    },
    EspTooLarge {
        maximum_mib: u64,
    },
    DiskPathNotById {
        path: String,
    },
    MappedNameInvalid {
        name: String,
    },
    PassphraseEmpty,
    PassphraseTooShort,
    SubvolumeNameEmpty,
    SubvolumeNameInvalid {
        name: String,
    },
    SubvolumeNameTooLong {
        name: String,
    },
    SubvolumeNameDuplicate {
        name: String,
    },
    MountOptionInvalid {
        option: String,
    },
    MountOptionsTooLong {
        maximum_bytes: usize,
    },
    PathControlCharacter {
        path: String,
    },
    PathTooLong {
        path: String,
    },
    PathReserved {
        path: String,
        under: String,
    },
    ConfigurationNotOnSubvolume,
    MountPointNotAbsolute {
        path: String,
    },
    MountPointIsRoot,
    MountPointDuplicate {
        path: String,
    },
    MountPointHidden {
        path: String,
        under: String,
    },
    RequiredMountMissing {
        mount_point: String,
    },
    PersistencePathNotMounted {
        path: String,
    },
    SwapSizeZero,
    SwapTooLarge {
        maximum_gib: u32,
    },
    TmpfsSizeInvalid,
    EntryNotAbsolute {
        path: String,
    },
    EntryDuplicate {
        path: String,
    },
    EntryInsideNix {
        path: String,
    },
    EntryInsidePersistence {
        path: String,
        persistence: String,
    },
    EntryAlreadyKept {
        path: String,
        mount_point: String,
    },
    EntryShadowsMount {
        path: String,
        mount_point: String,
    },
    DirectoryModeInvalid {
        mode: String,
    },
    OwnerNameInvalid {
        name: String,
    },
    PersistenceUserUnknown {
        user: String,
    },
    PersistenceUserDuplicate {
        user: String,
    },
    HomeEntryNotRelative {
        path: String,
    },
    HomeEntryDuplicate {
        path: String,
    },
    EveryHomeEntryDuplicate {
        path: String,
    },
    HostnameInvalid {
        hostname: String,
    },
    TimeZoneUnknown {
        time_zone: String,
    },
    LocaleMalformed {
        locale: String,
    },
    LocaleUnsupported {
        locale: String,
    },
    KeyboardLayoutInvalid {
        layout: String,
    },
    StateVersionMalformed {
        version: String,
    },
    UserNameInvalid {
        name: String,
    },
    UserNameReserved {
        name: String,
    },
    UserDuplicate {
        name: String,
    },
    FullNameInvalid,
    GroupNameInvalid {
        name: String,
    },
    PasswordMissing {
        user: String,
    },
    PasswordEmpty,
    PasswordHashMalformed,
    HomeNotKept {
        user: String,
    },
    NobodyCanAdminister,
    ServiceDuplicate {
        service: String,
    },
    ServiceStateNotKept {
        service: String,
        path: String,
    },
    FlatpakWithoutDesktop,
    FlakeNeedsVendoredImpermanence,
}

impl Problem {
    /// The translated sentence shown next to the field.
    pub fn message(&self) -> String {
        use Problem::*;
        match self {
            DiskTooSmall {
                needed_bytes,
                available_bytes,
                // Translators: {available} and {needed} are amounts such as “32 GB”.
            } => gettext_f(
                "The disk holds {available} but this plan needs at least {needed}. Choose a larger disk or less swap.",
                &[
                    ("available", &isolate(&format_size(*available_bytes))),
                    ("needed", &isolate(&format_size(*needed_bytes))),
                ],
            ),
            EspTooSmall { minimum_mib } => gettext_f(
                "The EFI system partition needs at least {size} MiB.",
                &[("size", &minimum_mib.to_string())],
            ),
            EspTooLarge { maximum_mib } => gettext_f(
                "The EFI system partition can be at most {size} MiB. Make it smaller.",
                &[("size", &maximum_mib.to_string())],
            ),
            DiskPathNotById { path } => gettext_f(
                "“{path}” is not a stable name of a disk. Choose the disk again: Keepsake needs its path under /dev/disk/by-id/.",
                &[("path", &isolate(&shown(path)))],
            ),
            MappedNameInvalid { name } => gettext_f(
                "“{name}” cannot name an unlocked device. Use letters, digits, “-” and “_”.",
                &[("name", &shown(name))],
            ),
            PassphraseEmpty => gettext("Enter a passphrase for the encrypted disk."),
            PassphraseTooShort => super::strength::too_short_message(),
            SubvolumeNameEmpty => gettext("Give the subvolume a name."),
            SubvolumeNameInvalid { name } => gettext_f(
                "“{name}” cannot be a subvolume name. Use a name without “/”, “,”, quotes, spaces or control characters that is not “.” or “..”.",
                &[("name", &shown(name))],
            ),
            SubvolumeNameTooLong { name } => gettext_f(
                "The subvolume name “{name}” is longer than 255 bytes. Shorten it.",
                &[("name", &shown(name))],
            ),
            SubvolumeNameDuplicate { name } => gettext_f(
                "There is already a subvolume named “{name}”. Choose another name.",
                &[("name", &shown(name))],
            ),
            MountOptionInvalid { option } => gettext_f(
                "“{option}” cannot be used as a mount option here. Remove it; options have no commas or spaces and Keepsake sets “subvol=” itself.",
                &[("option", &shown(option))],
            ),
            MountOptionsTooLong { maximum_bytes } => ngettext_f(
                "These mount options are longer than {n} byte in all, more than the kernel takes. Remove some.",
                "These mount options are longer than {n} bytes in all, more than the kernel takes. Remove some.",
                u32::try_from(*maximum_bytes).unwrap_or(u32::MAX),
                &[],
            ),
            PathControlCharacter { path } => gettext_f(
                "“{path}” contains a control character such as a line break or a tab. Remove it.",
                &[("path", &isolate(&shown(path)))],
            ),
            PathTooLong { path } => gettext_f(
                "“{path}” is longer than 4095 bytes or has a part longer than 255 bytes. Shorten it.",
                &[("path", &isolate(&shown(path)))],
            ),
            PathReserved { path, under } => gettext_f(
                "“{path}” is in “{under}”, which the system fills by itself at every boot. Choose a path outside it.",
                &[
                    ("path", &isolate(&shown(path))),
                    ("under", &isolate(&shown(under))),
                ],
            ),
            ConfigurationNotOnSubvolume => gettext(
                "The system's configuration is written to /etc/nixos, which would be on the temporary root and lost at the first boot. Add a subvolume mounted at /etc/nixos.",
            ),
            MountPointNotAbsolute { path } => gettext_f(
                "“{path}” is not a clean absolute path. Start it with “/” and leave out “.”, “..”, doubled or trailing slashes.",
                &[("path", &isolate(&shown(path)))],
            ),
            MountPointIsRoot => gettext(
                "“/” is the temporary root and cannot be a subvolume. Choose another mount point.",
            ),
            MountPointDuplicate { path } => gettext_f(
                "Something else is already mounted at “{path}”. Choose another mount point.",
                &[("path", &isolate(&shown(path)))],
            ),
            MountPointHidden { path, under } => gettext_f(
                "“{path}” would be hidden by the mount at “{under}” and the system would not boot. Move it out of “{under}”.",
                &[
                    ("path", &isolate(&shown(path))),
                    ("under", &isolate(&shown(under))),
                ],
            ),
            RequiredMountMissing { mount_point } => gettext_f(
                "No subvolume is mounted at “{mount_point}”, which the system needs. Add one.",
                &[("mount_point", &isolate(&shown(mount_point)))],
            ),
            PersistencePathNotMounted { path } => gettext_f(
                "The persistent storage “{path}” must be a subvolume's mount point. Add a subvolume mounted there or choose another path.",
                &[("path", &isolate(&shown(path)))],
            ),
            SwapSizeZero => gettext("Give swap a size of at least 1 GiB, or turn it off."),
            SwapTooLarge { maximum_gib } => gettext_f(
                "Swap can be at most {size} GiB. Make it smaller.",
                &[("size", &maximum_gib.to_string())],
            ),
            TmpfsSizeInvalid => {
                // xgettext:no-c-format
                // ("100 % of" is no printf directive, whatever xgettext guesses.)
                gettext_f(
                    "The root file system needs a size between 1 and 100 % of the memory, or between 1 and {maximum} MiB.",
                    &[("maximum", &TmpfsSize::MAXIMUM_MIB.to_string())],
                )
            }
            EntryNotAbsolute { path } => gettext_f(
                "“{path}” is not a clean absolute path. Start it with “/” and leave out “.”, “..”, doubled or trailing slashes.",
                &[("path", &isolate(&shown(path)))],
            ),
            EntryDuplicate { path } => gettext_f(
                "“{path}” is already persisted. Remove the second entry.",
                &[("path", &isolate(&shown(path)))],
            ),
            EntryInsideNix { path } => gettext_f(
                "“{path}” is inside /nix, which is always kept. Remove the entry.",
                &[("path", &isolate(&shown(path)))],
            ),
            EntryInsidePersistence { path, persistence } => gettext_f(
                "“{path}” is inside the persistent storage “{persistence}” itself. Name the path on the running system instead.",
                &[
                    ("path", &isolate(&shown(path))),
                    ("persistence", &isolate(&shown(persistence))),
                ],
            ),
            EntryShadowsMount { path, mount_point } => gettext_f(
                "Persisting “{path}” would hide the subvolume mounted at “{mount_point}”. Remove the entry or persist something inside it.",
                &[
                    ("path", &isolate(&shown(path))),
                    ("mount_point", &isolate(&shown(mount_point))),
                ],
            ),
            EntryAlreadyKept { path, mount_point } => gettext_f(
                "“{path}” is on the subvolume mounted at “{mount_point}” and is kept anyway. Remove the entry.",
                &[
                    ("path", &isolate(&shown(path))),
                    ("mount_point", &isolate(&shown(mount_point))),
                ],
            ),
            DirectoryModeInvalid { mode } => gettext_f(
                "“{mode}” is not a file mode. Use three or four octal digits, for example 0700.",
                &[("mode", &shown(mode))],
            ),
            OwnerNameInvalid { name } => gettext_f(
                "“{name}” is not a valid user or group name. Use lower-case letters, digits, “-” and “_”.",
                &[("name", &shown(name))],
            ),
            PersistenceUserUnknown { user } => gettext_f(
                "There is no user “{user}” in this plan. Add the user or remove these entries.",
                &[("user", &shown(user))],
            ),
            PersistenceUserDuplicate { user } => gettext_f(
                "There are already persisted entries for “{user}”. Move these entries there and remove this list.",
                &[("user", &shown(user))],
            ),
            HomeEntryNotRelative { path } => gettext_f(
                "“{path}” must be a path inside the home directory, like “.ssh” or “Documents”, without “..”.",
                &[("path", &isolate(&shown(path)))],
            ),
            HomeEntryDuplicate { path } => gettext_f(
                "“{path}” is already persisted for this user. Remove the second entry.",
                &[("path", &isolate(&shown(path)))],
            ),
            EveryHomeEntryDuplicate { path } => gettext_f(
                "“{path}” is already kept in every home folder. Remove the second entry.",
                &[("path", &isolate(&shown(path)))],
            ),
            HostnameInvalid { hostname } => gettext_f(
                "“{hostname}” cannot be a host name. Use up to 63 letters, digits and “-”, not starting or ending with “-”.",
                &[("hostname", &shown(hostname))],
            ),
            TimeZoneUnknown { time_zone } => gettext_f(
                "“{time_zone}” is not a known time zone. Pick one from the list, like “Europe/Berlin”.",
                &[("time_zone", &shown(time_zone))],
            ),
            LocaleMalformed { locale } => gettext_f(
                "“{locale}” is not a locale name. Use the form “en_US.UTF-8”.",
                &[("locale", &shown(locale))],
            ),
            LocaleUnsupported { locale } => gettext_f(
                "NixOS cannot set up the locale “{locale}”. Pick one from the list.",
                &[("locale", &shown(locale))],
            ),
            KeyboardLayoutInvalid { layout } => gettext_f(
                "“{layout}” is not a keyboard layout name. Pick one from the list.",
                &[("layout", &shown(layout))],
            ),
            StateVersionMalformed { version } => gettext_f(
                "“{version}” is not a NixOS release. Use the form “25.11”.",
                &[("version", &shown(version))],
            ),
            UserNameInvalid { name } => gettext_f(
                "“{name}” cannot be a user name. Start with a lower-case letter or “_”, then use lower-case letters, digits, “-” and “_”, at most 32 in all.",
                &[("name", &shown(name))],
            ),
            UserNameReserved { name } => gettext_f(
                "The name “{name}” belongs to the system. Choose another user name.",
                &[("name", &shown(name))],
            ),
            UserDuplicate { name } => gettext_f(
                "There is already a user named “{name}”. Choose another name.",
                &[("name", &shown(name))],
            ),
            FullNameInvalid => gettext("Remove colons and line breaks from the full name."),
            GroupNameInvalid { name } => gettext_f(
                "“{name}” is not a valid group name. Use lower-case letters, digits, “-” and “_”.",
                &[("name", &shown(name))],
            ),
            PasswordMissing { user } => {
                gettext_f("Set a password for “{user}”.", &[("user", &shown(user))])
            }
            PasswordEmpty => gettext("Enter a password, or leave the account without one."),
            PasswordHashMalformed => gettext(
                "This is not a password hash. Enter the password itself, or a hash made with “mkpasswd”.",
            ),
            HomeNotKept { user } => gettext_f(
                "Everything in the home folder of “{user}” would be erased at every boot: /home is not a subvolume and nothing in this home is kept. Switch on “Keep Whole Home Folder” for this account on the Users page (“keep_whole_home” in a plan file), or keep some of its folders on the Persistence page.",
                &[("user", &shown(user))],
            ),
            NobodyCanAdminister => gettext(
                "Nobody could administer this system. Add a user to the “wheel” group or set a root password.",
            ),
            ServiceDuplicate { service } => gettext_f(
                "{service} is switched on twice. Remove the second entry.",
                &[("service", service)],
            ),
            ServiceStateNotKept { service, path } => gettext_f(
                "{service} keeps its state in “{path}”, which would be erased at every boot. Persist “{path}” or switch {service} off.",
                &[("service", service), ("path", &isolate(&shown(path)))],
            ),
            FlatpakWithoutDesktop => gettext(
                "Flatpak applications need a desktop to run in. Choose a desktop or switch Flatpak off.",
            ),
            FlakeNeedsVendoredImpermanence => gettext(
                "The flake takes the impermanence module from its input in place of the copy Keepsake carries. Use that copy, or turn the flake off.",
            ),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// One problem, the field it belongs to, and where a person finds that
/// field. Shown as the place in words and the problem, never the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: FieldPath,
    pub problem: Problem,
    pub place: Place,
}

impl ValidationError {
    /// `problem` on `field`, placed with the names `plan` holds.
    pub fn new(field: FieldPath, problem: Problem, plan: &Plan) -> Self {
        let place = field.place(plan);
        Self {
            field,
            problem,
            place,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Translators: one problem of the plan: {place} such as “Users: password of “ada””, {problem} a sentence that says what to do.
        f.write_str(&gettext_f(
            "{place} — {problem}",
            &[
                ("place", &self.place.to_string()),
                ("problem", &self.problem.message()),
            ],
        ))
    }
}

impl std::error::Error for ValidationError {}

/// Names NixOS or its common services create themselves.
const RESERVED_USER_NAMES: &[&str] = &[
    "root",
    "nobody",
    "nogroup",
    "messagebus",
    "polkituser",
    "sshd",
    "nscd",
    "dhcpcd",
    "avahi",
    "rtkit",
    "geoclue",
    "gdm",
    "sddm",
    "pulse",
    "pipewire",
    "colord",
    "uuidd",
    "wheel",
    "users",
];

const RESERVED_USER_PREFIXES: &[&str] = &["nixbld", "systemd-"];

/// Kernel and systemd file systems mounted over whatever the disk holds.
const RUNTIME_FILE_SYSTEMS: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// Those, and the read-only store on the /nix subvolume.
const MOUNT_POINTS_RESERVED: &[&str] = &["/proc", "/sys", "/dev", "/run", "/nix/store"];

/// Where the installer writes the generated configuration; it is written
/// before the first boot, so only a subvolume keeps it (impermanence's
/// bind mounts start empty).
const CONFIGURATION_DIRECTORY: &str = "/etc/nixos";

/// Linux' PATH_MAX without the terminating NUL, and NAME_MAX.
const MAXIMUM_PATH_BYTES: usize = 4095;
const MAXIMUM_NAME_BYTES: usize = 255;

/// mount(2) copies at most a page of option data, NUL included.
const MAXIMUM_MOUNT_DATA_BYTES: usize = 4095;

/// Collects problems while walking the plan.
struct Checker<'a> {
    plan: &'a Plan,
    errors: Vec<ValidationError>,
}

impl Checker<'_> {
    fn report(&mut self, field: FieldPath, problem: Problem) {
        self.errors
            .push(ValidationError::new(field, problem, self.plan));
    }
}

impl Plan {
    /// Checks the whole plan and returns every problem found, in the order of
    /// the fields.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut checker = Checker {
            plan: self,
            errors: Vec::new(),
        };
        checker.disk();
        checker.encryption();
        checker.subvolumes();
        checker.root_tmpfs();
        checker.persistence();
        checker.system();
        checker.software();
        checker.users();
        if checker.errors.is_empty() {
            Ok(())
        } else {
            Err(checker.errors)
        }
    }
}

impl Checker<'_> {
    fn disk(&mut self) {
        let plan = self.plan;
        if plan.esp.size_mib < Esp::MINIMUM_SIZE_MIB {
            self.report(
                FieldPath::new("esp.size_mib"),
                Problem::EspTooSmall {
                    minimum_mib: Esp::MINIMUM_SIZE_MIB,
                },
            );
        } else if plan.esp.size_mib > Esp::MAXIMUM_SIZE_MIB {
            self.report(
                FieldPath::new("esp.size_mib"),
                Problem::EspTooLarge {
                    maximum_mib: Esp::MAXIMUM_SIZE_MIB,
                },
            );
        }
        if let Some(disk) = &plan.disk {
            if !is_by_id_path(&disk.by_id_path) {
                self.report(
                    FieldPath::new("disk.by_id_path"),
                    Problem::DiskPathNotById {
                        path: disk.by_id_path.clone(),
                    },
                );
            }
            let needed_bytes = plan.minimum_disk_bytes();
            if disk.size_bytes < needed_bytes {
                self.report(
                    FieldPath::new("disk.size_bytes"),
                    Problem::DiskTooSmall {
                        needed_bytes,
                        available_bytes: disk.size_bytes,
                    },
                );
            }
        }
    }

    fn encryption(&mut self) {
        let encryption = &self.plan.encryption;
        if !encryption.enabled {
            return;
        }
        let name = &encryption.mapped_name;
        let valid_name = !name.is_empty()
            && name.len() <= 127
            && name != "control"
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !valid_name {
            self.report(
                FieldPath::new("encryption.mapped_name"),
                Problem::MappedNameInvalid { name: name.clone() },
            );
        }
        if let Some(passphrase) = &encryption.passphrase {
            let chars = passphrase.expose().chars().count();
            if chars == 0 {
                self.report(
                    FieldPath::new("encryption.passphrase"),
                    Problem::PassphraseEmpty,
                );
            } else if chars < super::strength::MINIMUM_PASSPHRASE_CHARS {
                self.report(
                    FieldPath::new("encryption.passphrase"),
                    Problem::PassphraseTooShort,
                );
            }
        }
    }

    fn subvolumes(&mut self) {
        let plan = self.plan;
        let created = plan.created_subvolumes();
        if let Some(swap) = &plan.swap {
            if swap.size_gib == 0 {
                self.report(FieldPath::new("swap.size_gib"), Problem::SwapSizeZero);
            } else if swap.size_gib > Swap::MAXIMUM_SIZE_GIB {
                self.report(
                    FieldPath::new("swap.size_gib"),
                    Problem::SwapTooLarge {
                        maximum_gib: Swap::MAXIMUM_SIZE_GIB,
                    },
                );
            }
        }
        let mut names = BTreeSet::new();
        // The ESP is mounted at /boot by every plan.
        let mut mount_points = BTreeMap::from([("/boot", FieldPath::new("esp"))]);
        for (field, subvolume) in &created {
            self.subvolume_name(field, subvolume, &mut names);
            for (index, option) in subvolume.options.iter().enumerate() {
                if !is_valid_mount_option(option) {
                    self.report(
                        field.field("options").index(index),
                        Problem::MountOptionInvalid {
                            option: option.clone(),
                        },
                    );
                }
            }
            // mount(2) takes the file system options as one page.
            if subvolume.mount_options().join(",").len() > MAXIMUM_MOUNT_DATA_BYTES {
                self.report(
                    field.field("options"),
                    Problem::MountOptionsTooLong {
                        maximum_bytes: MAXIMUM_MOUNT_DATA_BYTES,
                    },
                );
            }
            let path = &subvolume.mount_point;
            let field = field.field("mount_point");
            if let Some(problem) = path_text_problem(path) {
                self.report(field, problem);
            } else if !is_clean_absolute_path(path) {
                self.report(field, Problem::MountPointNotAbsolute { path: path.clone() });
            } else if path == "/" {
                self.report(field, Problem::MountPointIsRoot);
            } else if let Some(problem) = reserved_parent(path, MOUNT_POINTS_RESERVED) {
                self.report(field, problem);
            } else if mount_points.insert(path, field.clone()).is_some() {
                self.report(field, Problem::MountPointDuplicate { path: path.clone() });
            }
        }
        self.hidden_mounts(&created);
        let configuration_kept = created.iter().any(|(_, subvolume)| {
            subvolume.mount_point != "/"
                && is_inside(CONFIGURATION_DIRECTORY, &subvolume.mount_point)
        });
        if !configuration_kept {
            self.report(
                FieldPath::new("subvolumes"),
                Problem::ConfigurationNotOnSubvolume,
            );
        }
        if !created.iter().any(|(_, s)| s.mount_point == "/nix") {
            self.report(
                FieldPath::new("subvolumes"),
                Problem::RequiredMountMissing {
                    mount_point: "/nix".to_owned(),
                },
            );
        }
        let persistence = &plan.persistence.path;
        if !created.iter().any(|(_, s)| &s.mount_point == persistence) {
            self.report(
                FieldPath::new("persistence.path"),
                Problem::PersistencePathNotMounted {
                    path: persistence.clone(),
                },
            );
        }
    }

    fn subvolume_name<'s>(
        &mut self,
        field: &FieldPath,
        subvolume: &'s Subvolume,
        names: &mut BTreeSet<&'s str>,
    ) {
        let name = &subvolume.name;
        let field = field.field("name");
        let problem = if name.is_empty() {
            Some(Problem::SubvolumeNameEmpty)
        } else if name == "."
            || name == ".."
            || name.contains('/')
            || !is_mount_option_text(&format!("subvol={name}"))
        {
            Some(Problem::SubvolumeNameInvalid { name: name.clone() })
        } else if name.len() > 255 {
            Some(Problem::SubvolumeNameTooLong { name: name.clone() })
        } else if !names.insert(name) {
            Some(Problem::SubvolumeNameDuplicate { name: name.clone() })
        } else {
            None
        };
        if let Some(problem) = problem {
            self.report(field, problem);
        }
    }

    /// Mounts that a later mount would cover: anything below the vfat ESP or
    /// the read-only store, and a mount the initrd makes (needed for boot)
    /// below one that only stage 2 makes.
    fn hidden_mounts(&mut self, created: &[(FieldPath, Subvolume)]) {
        for (field, subvolume) in created {
            let path = &subvolume.mount_point;
            if !is_clean_absolute_path(path)
                || path == "/"
                || reserved_parent(path, MOUNT_POINTS_RESERVED).is_some()
            {
                continue;
            }
            let fixed_cover = is_strictly_inside(path, "/boot").then_some("/boot");
            let later_cover = || {
                created
                    .iter()
                    .map(|(_, other)| other.mount_point.as_str())
                    .find(|other| {
                        self.plan.needed_for_boot(path)
                            && !self.plan.needed_for_boot(other)
                            && is_strictly_inside(path, other)
                    })
            };
            if let Some(under) = fixed_cover.or_else(later_cover) {
                let problem = Problem::MountPointHidden {
                    path: path.clone(),
                    under: under.to_owned(),
                };
                self.report(field.field("mount_point"), problem);
            }
        }
    }

    fn root_tmpfs(&mut self) {
        let valid = match self.plan.root_tmpfs.size {
            TmpfsSize::PercentOfRam(percent) => (1..=100).contains(&percent),
            TmpfsSize::Mebibytes(mib) => (1..=TmpfsSize::MAXIMUM_MIB).contains(&mib),
        };
        if !valid {
            self.report(FieldPath::new("root_tmpfs.size"), Problem::TmpfsSizeInvalid);
        }
    }

    fn persistence(&mut self) {
        let plan = self.plan;
        let persistence = &plan.persistence;
        let root = FieldPath::new("persistence");
        let mount_points: Vec<String> = plan
            .created_subvolumes()
            .into_iter()
            .map(|(_, s)| s.mount_point)
            .chain(["/boot".to_owned()])
            .collect();
        let mut seen = BTreeSet::new();
        let entries = persistence
            .directories
            .iter()
            .enumerate()
            .map(|(i, d)| (root.field("directories").index(i), &d.path))
            .chain(
                persistence
                    .files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (root.field("files").index(i), f)),
            );
        for (field, path) in entries {
            let problem = if let Some(problem) = path_text_problem(path) {
                Some(problem)
            } else if !is_clean_absolute_path(path) {
                Some(Problem::EntryNotAbsolute { path: path.clone() })
            } else if let Some(problem) = reserved_parent(path, RUNTIME_FILE_SYSTEMS) {
                Some(problem)
            } else if is_inside(path, "/nix") {
                Some(Problem::EntryInsideNix { path: path.clone() })
            } else if is_inside(path, &persistence.path) {
                Some(Problem::EntryInsidePersistence {
                    path: path.clone(),
                    persistence: persistence.path.clone(),
                })
            } else if let Some(mount_point) = mount_points.iter().find(|m| is_inside(m, path)) {
                Some(Problem::EntryShadowsMount {
                    path: path.clone(),
                    mount_point: mount_point.clone(),
                })
            } else if let Some(mount_point) =
                mount_points.iter().find(|m| is_strictly_inside(path, m))
            {
                Some(Problem::EntryAlreadyKept {
                    path: path.clone(),
                    mount_point: mount_point.clone(),
                })
            } else if !seen.insert(path.as_str()) {
                Some(Problem::EntryDuplicate { path: path.clone() })
            } else {
                None
            };
            if let Some(problem) = problem {
                self.report(field, problem);
            }
        }
        for (index, directory) in persistence.directories.iter().enumerate() {
            self.directory_attributes(&root.field("directories").index(index), directory);
        }
        let mut users = BTreeSet::new();
        for (index, home) in persistence.users.iter().enumerate() {
            let field = root.field("users").index(index);
            // impermanence's `users.<name>` is an attribute: a second list
            // for the same user would bind it twice.
            if !users.insert(home.user.as_str()) {
                self.report(
                    field.field("user"),
                    Problem::PersistenceUserDuplicate {
                        user: home.user.clone(),
                    },
                );
            }
            let home_directory = format!("/home/{}", home.user);
            if let Some(mount_point) = mount_points.iter().find(|m| is_inside(&home_directory, m)) {
                self.report(
                    field.field("user"),
                    Problem::EntryAlreadyKept {
                        path: home_directory,
                        mount_point: mount_point.clone(),
                    },
                );
            }
            self.home_entries(&field, home);
        }
        // The longest home the entries of every home go into.
        let longest_home = plan
            .users
            .iter()
            .map(|user| format!("/home/{}", user.name))
            .max_by_key(String::len)
            .unwrap_or_else(|| "/home".to_owned());
        let every_home = &persistence.every_home;
        self.entries_in_home(
            &root.field("every_home"),
            (&every_home.directories, &every_home.files),
            &longest_home,
            |path| Problem::EveryHomeEntryDuplicate { path },
        );
    }

    fn directory_attributes(&mut self, field: &FieldPath, directory: &super::PersistentDirectory) {
        for (name, owner) in [("user", &directory.user), ("group", &directory.group)] {
            if let Some(owner) = owner.as_ref().filter(|o| !is_valid_account_name(o)) {
                self.report(
                    field.field(name),
                    Problem::OwnerNameInvalid {
                        name: owner.clone(),
                    },
                );
            }
        }
        if let Some(mode) = &directory.mode {
            let valid =
                (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
            if !valid {
                self.report(
                    field.field("mode"),
                    Problem::DirectoryModeInvalid { mode: mode.clone() },
                );
            }
        }
    }

    fn home_entries(&mut self, field: &FieldPath, home: &UserPersistence) {
        if !self.plan.users.iter().any(|user| user.name == home.user) {
            self.report(
                field.field("user"),
                Problem::PersistenceUserUnknown {
                    user: home.user.clone(),
                },
            );
        }
        self.entries_in_home(
            field,
            (&home.directories, &home.files),
            &format!("/home/{}", home.user),
            |path| Problem::HomeEntryDuplicate { path },
        );
    }

    /// The rules of the directories and files of a home, relative to
    /// `home`: clean relative paths, short enough there, each listed once
    /// (else `duplicate`), directories with valid owners and modes.
    fn entries_in_home(
        &mut self,
        field: &FieldPath,
        (directories, files): (&[super::PersistentDirectory], &[String]),
        home: &str,
        duplicate: fn(String) -> Problem,
    ) {
        let mut seen = BTreeSet::new();
        let entries = directories
            .iter()
            .enumerate()
            .map(|(i, d)| (field.field("directories").index(i), &d.path))
            .chain(
                files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (field.field("files").index(i), f)),
            );
        for (entry_field, path) in entries {
            if path.contains(char::is_control) {
                self.report(
                    entry_field,
                    Problem::PathControlCharacter { path: path.clone() },
                );
            } else if !is_clean_relative_path(path) {
                self.report(
                    entry_field,
                    Problem::HomeEntryNotRelative { path: path.clone() },
                );
            } else if is_too_long(&format!("{home}/{path}")) {
                self.report(entry_field, Problem::PathTooLong { path: path.clone() });
            } else if !seen.insert(path.as_str()) {
                self.report(entry_field, duplicate(path.clone()));
            }
        }
        for (index, directory) in directories.iter().enumerate() {
            self.directory_attributes(&field.field("directories").index(index), directory);
        }
    }

    fn system(&mut self) {
        let system = &self.plan.system;
        if !is_rfc1123_label(&system.hostname) {
            self.report(
                FieldPath::new("system.hostname"),
                Problem::HostnameInvalid {
                    hostname: system.hostname.clone(),
                },
            );
        }
        if !is_known_time_zone(&system.time_zone) {
            self.report(
                FieldPath::new("system.time_zone"),
                Problem::TimeZoneUnknown {
                    time_zone: system.time_zone.clone(),
                },
            );
        }
        let formats = (!system.formats.is_empty()).then_some(("formats", &system.formats));
        for (name, locale) in [("locale", &system.locale)].into_iter().chain(formats) {
            let problem = if !is_locale_name(locale) {
                Problem::LocaleMalformed {
                    locale: locale.clone(),
                }
            } else if !locale::is_supported(locale) {
                Problem::LocaleUnsupported {
                    locale: locale.clone(),
                }
            } else {
                continue;
            };
            self.report(FieldPath::new("system").field(name), problem);
        }
        for (name, layout) in [
            ("console_keymap", &system.console_keymap),
            ("xkb_layout", &system.xkb_layout),
        ]
        .into_iter()
        .chain((!system.xkb_variant.is_empty()).then_some(("xkb_variant", &system.xkb_variant)))
        {
            if !is_keyboard_layout_name(layout) {
                self.report(
                    FieldPath::new("system").field(name),
                    Problem::KeyboardLayoutInvalid {
                        layout: layout.clone(),
                    },
                );
            }
        }
        if !is_release_version(&system.state_version) {
            self.report(
                FieldPath::new("system.state_version"),
                Problem::StateVersionMalformed {
                    version: system.state_version.clone(),
                },
            );
        }
    }

    fn software(&mut self) {
        let plan = self.plan;
        let mut seen = BTreeSet::new();
        for (index, service) in plan.services.iter().enumerate() {
            let field = FieldPath::new("services").index(index);
            if !seen.insert(*service) {
                self.report(
                    field,
                    Problem::ServiceDuplicate {
                        service: service.label(),
                    },
                );
                continue;
            }
            for path in service.required_paths() {
                if !plan.keeps(path) {
                    self.report(
                        field.clone(),
                        Problem::ServiceStateNotKept {
                            service: service.label(),
                            path: path.to_owned(),
                        },
                    );
                }
            }
            if *service == Service::Flatpak && !plan.desktop.is_graphical() {
                self.report(field, Problem::FlatpakWithoutDesktop);
            }
        }
        if plan.flake && plan.impermanence != ImpermanenceSource::Vendored {
            self.report(
                FieldPath::new("flake"),
                Problem::FlakeNeedsVendoredImpermanence,
            );
        }
    }

    fn users(&mut self) {
        let plan = self.plan;
        let kept_in_homes = plan.kept_in_homes();
        let mut names = BTreeSet::new();
        for (index, user) in plan.users.iter().enumerate() {
            let field = FieldPath::new("users").index(index);
            let name = &user.name;
            let name_problem = if !is_valid_account_name(name) {
                Some(Problem::UserNameInvalid { name: name.clone() })
            } else if is_reserved_user_name(name) {
                Some(Problem::UserNameReserved { name: name.clone() })
            } else if !names.insert(name.as_str()) {
                Some(Problem::UserDuplicate { name: name.clone() })
            } else {
                None
            };
            let named = name_problem.is_none();
            if let Some(problem) = name_problem {
                self.report(field.field("name"), problem);
            }
            if user
                .full_name
                .contains(|c: char| c == ':' || c.is_control())
            {
                self.report(field.field("full_name"), Problem::FullNameInvalid);
            }
            for (group_index, group) in user.groups.iter().enumerate() {
                if !is_valid_account_name(group) {
                    self.report(
                        field.field("groups").index(group_index),
                        Problem::GroupNameInvalid {
                            name: group.clone(),
                        },
                    );
                }
            }
            match &user.password {
                None => self.report(
                    field.field("password"),
                    Problem::PasswordMissing { user: name.clone() },
                ),
                Some(password) => self.password(field.field("password"), password),
            }
            if named {
                self.home(index, &field, &kept_in_homes);
            }
        }
        if let Some(password) = &plan.root_password {
            self.password(FieldPath::new("root_password"), password);
        }
        let admin_exists = plan
            .users
            .iter()
            .any(|user| user.groups.iter().any(|g| g == "wheel"));
        if !admin_exists && plan.root_password.is_none() {
            self.report(FieldPath::new("users"), Problem::NobodyCanAdminister);
        }
    }

    /// A home that is neither kept whole nor keeps any entry, its own or
    /// one of every home, loses everything at every boot: almost surely
    /// not what was meant.
    fn home(&mut self, index: usize, field: &FieldPath, kept_in_homes: &[UserPersistence]) {
        let plan = self.plan;
        let name = &plan.users[index].name;
        let has_entries = kept_in_homes.iter().any(|home| {
            &home.user == name && (!home.directories.is_empty() || !home.files.is_empty())
        });
        if !plan.home_kept_whole(index) && !has_entries {
            self.report(
                field.field("keep_whole_home"),
                Problem::HomeNotKept { user: name.clone() },
            );
        }
    }

    fn password(&mut self, field: FieldPath, password: &Password) {
        match password {
            Password::Clear(secret) if secret.is_empty() => {
                self.report(field, Problem::PasswordEmpty);
            }
            Password::Hashed(hash) if !is_well_formed_hash(hash) => {
                self.report(field, Problem::PasswordHashMalformed);
            }
            _ => {}
        }
    }
}

/// `/a/b`: absolute, no empty, `.` or `..` component, no trailing slash.
pub(crate) fn is_clean_absolute_path(path: &str) -> bool {
    path == "/" || path.strip_prefix('/').is_some_and(is_clean_relative_path)
}

pub(crate) fn is_clean_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\0')
        && path
            .split('/')
            .all(|component| !matches!(component, "" | "." | ".."))
}

/// `path` is `parent` or below it.
pub(crate) fn is_inside(path: &str, parent: &str) -> bool {
    path == parent || is_strictly_inside(path, parent)
}

fn is_strictly_inside(path: &str, parent: &str) -> bool {
    let parent = parent.trim_end_matches('/');
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
}

/// An option the user may add: Keepsake chooses the subvolume itself.
fn is_valid_mount_option(option: &str) -> bool {
    is_mount_option_text(option)
        && !option.starts_with("subvol=")
        && !option.starts_with("subvolid=")
}

/// One item of a comma-separated option list that stays one item in
/// mount(2)'s data and in NixOS' fstab (which escapes only space and tab).
fn is_mount_option_text(option: &str) -> bool {
    !option.is_empty()
        && !option.contains(|c: char| c == ',' || c == '"' || c.is_whitespace() || c.is_control())
}

/// A path no file system call takes (PATH_MAX and NAME_MAX of Linux), or
/// one that a line-based file such as fstab would split.
fn path_text_problem(path: &str) -> Option<Problem> {
    if path.contains(char::is_control) {
        Some(Problem::PathControlCharacter {
            path: path.to_owned(),
        })
    } else if is_too_long(path) {
        Some(Problem::PathTooLong {
            path: path.to_owned(),
        })
    } else {
        None
    }
}

fn is_too_long(path: &str) -> bool {
    path.len() > MAXIMUM_PATH_BYTES || path.split('/').any(|part| part.len() > MAXIMUM_NAME_BYTES)
}

/// `path` is one of `reserved` or below it.
fn reserved_parent(path: &str, reserved: &[&str]) -> Option<Problem> {
    reserved
        .iter()
        .find(|parent| is_inside(path, parent))
        .map(|parent| Problem::PathReserved {
            path: path.to_owned(),
            under: (*parent).to_owned(),
        })
}

/// `/dev/disk/by-id/<name>`: the one name of a disk that does not change
/// between boots or when other disks come and go.
fn is_by_id_path(path: &str) -> bool {
    path.strip_prefix("/dev/disk/by-id/").is_some_and(|name| {
        !matches!(name, "" | "." | "..")
            && name.len() <= MAXIMUM_NAME_BYTES
            && !name.contains(|c: char| c == '/' || c.is_control())
    })
}

/// POSIX-portable user and group names as shadow-utils accept them.
pub(crate) fn is_valid_account_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    first_ok
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn is_reserved_user_name(name: &str) -> bool {
    RESERVED_USER_NAMES.contains(&name)
        || RESERVED_USER_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

fn is_rfc1123_label(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A name from the IANA time zone database (embedded, so the answer does
/// not depend on the machine's tzdata).
pub fn is_known_time_zone(name: &str) -> bool {
    chrono_tz::TZ_VARIANTS
        .iter()
        .any(|zone| zone.name() == name)
}

/// `language[_TERRITORY][.codeset][@modifier]`, or C / POSIX.
fn is_locale_name(locale: &str) -> bool {
    if matches!(locale, "C" | "POSIX" | "C.UTF-8") {
        return true;
    }
    let (rest, modifier) = match locale.split_once('@') {
        Some((rest, modifier)) => (rest, Some(modifier)),
        None => (locale, None),
    };
    let (rest, codeset) = match rest.split_once('.') {
        Some((rest, codeset)) => (rest, Some(codeset)),
        None => (rest, None),
    };
    let (language, territory) = match rest.split_once('_') {
        Some((language, territory)) => (language, Some(territory)),
        None => (rest, None),
    };
    let word = |text: &str| {
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && territory.is_none_or(|t| t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()))
        && codeset.is_none_or(word)
        && modifier.is_none_or(word)
}

fn is_keyboard_layout_name(layout: &str) -> bool {
    !layout.is_empty()
        && layout.len() <= 64
        && layout
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b','))
}

/// `YY.MM`, like `25.11`.
fn is_release_version(version: &str) -> bool {
    version.split_once('.').is_some_and(|(year, month)| {
        year.len() == 2
            && month.len() == 2
            && year
                .bytes()
                .chain(month.bytes())
                .all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_helpers() {
        assert!(is_clean_absolute_path("/var/lib"));
        assert!(is_clean_absolute_path("/"));
        assert!(!is_clean_absolute_path("var"));
        assert!(!is_clean_absolute_path("/var/"));
        assert!(!is_clean_absolute_path("/var//lib"));
        assert!(!is_clean_absolute_path("/var/../etc"));
        assert!(is_strictly_inside("/persist/a", "/persist"));
        assert!(!is_strictly_inside("/persistent", "/persist"));
        assert!(!is_strictly_inside("/persist", "/persist"));
        assert!(is_strictly_inside("/a", "/"));
    }

    #[test]
    fn locale_names() {
        for good in [
            "en_US.UTF-8",
            "de_DE.UTF-8",
            "C.UTF-8",
            "sr_RS@latin",
            "fil_PH.UTF-8",
        ] {
            assert!(is_locale_name(good), "{good}");
        }
        for bad in [
            "",
            "english",
            "en_us.UTF-8",
            "en_US.",
            "EN_US.UTF-8",
            "en_US.UTF 8",
        ] {
            assert!(!is_locale_name(bad), "{bad}");
        }
    }

    #[test]
    fn time_zones_come_from_the_embedded_database() {
        assert!(is_known_time_zone("Europe/Berlin"));
        assert!(is_known_time_zone("UTC"));
        assert!(!is_known_time_zone("Mars/Olympus_Mons"));
    }
}
