// SPDX-License-Identifier: GPL-3.0-or-later
//! Every validation rule: one plan that breaks it (reported on the right
//! field) and one close to it that passes.

use keepsake::plan::{
    Password, PersistentDirectory, Plan, PlanPage, Problem, Secret, Subvolume, Swap, TargetDisk,
    TmpfsSize, User, UserPersistence,
};

type Change = fn(&mut Plan);

struct Rule {
    name: &'static str,
    breaks: Change,
    field: &'static str,
    passes: Change,
}

fn subvolume(name: &str, mount_point: &str) -> Subvolume {
    Subvolume {
        name: name.to_owned(),
        mount_point: mount_point.to_owned(),
        options: vec!["noatime".to_owned()],
    }
}

fn disk(size_bytes: u64) -> TargetDisk {
    TargetDisk {
        udisks_object_path: "/org/freedesktop/UDisks2/drives/disk".to_owned(),
        by_id_path: "/dev/disk/by-id/ata-disk".to_owned(),
        model: "Disk".to_owned(),
        serial: "S1".to_owned(),
        size_bytes,
        rotational: false,
    }
}

fn home_entries(plan: &mut Plan, paths: &[&str]) {
    plan.subvolumes.retain(|s| s.name != "home");
    plan.persistence.users.push(UserPersistence {
        user: "alice".to_owned(),
        directories: paths.iter().map(|p| PersistentDirectory::new(p)).collect(),
        files: Vec::new(),
    });
}

/// `paths` kept in every home, which /home no longer keeps whole.
fn every_home(plan: &mut Plan, paths: &[&str]) {
    plan.subvolumes.retain(|s| s.name != "home");
    plan.persistence.every_home.directories =
        paths.iter().map(|p| PersistentDirectory::new(p)).collect();
}

const GIB: u64 = 1024 * 1024 * 1024;

fn rules() -> Vec<Rule> {
    vec![
        Rule {
            name: "disk too small",
            breaks: |p| p.disk = Some(disk(8 * GIB)),
            field: "disk.size_bytes",
            passes: |p| p.disk = Some(disk(64 * GIB)),
        },
        Rule {
            name: "disk too small for swap",
            breaks: |p| {
                p.disk = Some(disk(20 * GIB));
                p.swap = Some(Swap { size_gib: 16 });
            },
            field: "disk.size_bytes",
            passes: |p| {
                p.disk = Some(disk(20 * GIB));
                p.swap = Some(Swap { size_gib: 2 });
            },
        },
        Rule {
            name: "ESP too small",
            breaks: |p| p.esp.size_mib = 64,
            field: "esp.size_mib",
            passes: |p| p.esp.size_mib = 512,
        },
        Rule {
            name: "ESP size overflows u64",
            breaks: |p| {
                p.disk = Some(disk(64 * GIB));
                p.esp.size_mib = 1 << 44;
            },
            field: "esp.size_mib",
            passes: |p| {
                p.disk = Some(disk(128 * GIB));
                p.esp.size_mib = 65536;
            },
        },
        Rule {
            name: "ESP larger than the bound",
            breaks: |p| p.esp.size_mib = 65537,
            field: "esp.size_mib",
            passes: |p| p.esp.size_mib = 4096,
        },
        Rule {
            name: "ESP size u64::MAX",
            breaks: |p| p.esp.size_mib = u64::MAX,
            field: "esp.size_mib",
            passes: |p| p.esp.size_mib = 256,
        },
        Rule {
            name: "swap larger than the bound",
            breaks: |p| p.swap = Some(Swap { size_gib: u32::MAX }),
            field: "swap.size_gib",
            passes: |p| p.swap = Some(Swap { size_gib: 16384 }),
        },
        Rule {
            name: "tmpfs size beyond the bound",
            breaks: |p| p.root_tmpfs.size = TmpfsSize::Mebibytes(u64::MAX),
            field: "root_tmpfs.size",
            passes: |p| p.root_tmpfs.size = TmpfsSize::Mebibytes(16 * 1024 * 1024),
        },
        Rule {
            name: "disk path not under /dev/disk/by-id",
            breaks: |p| {
                let mut target = disk(64 * GIB);
                target.by_id_path = "/dev/sda".to_owned();
                p.disk = Some(target);
            },
            field: "disk.by_id_path",
            passes: |p| p.disk = Some(disk(64 * GIB)),
        },
        Rule {
            name: "disk path escaping /dev/disk/by-id",
            breaks: |p| {
                let mut target = disk(64 * GIB);
                target.by_id_path = "/dev/disk/by-id/../../sda".to_owned();
                p.disk = Some(target);
            },
            field: "disk.by_id_path",
            passes: |p| {
                let mut target = disk(64 * GIB);
                target.by_id_path = "/dev/disk/by-id/nvme-Samsung_SSD_980_S123".to_owned();
                p.disk = Some(target);
            },
        },
        Rule {
            name: "mapped name invalid",
            breaks: |p| p.encryption.mapped_name = "crypt root".to_owned(),
            field: "encryption.mapped_name",
            passes: |p| p.encryption.mapped_name = "crypt-root_1".to_owned(),
        },
        Rule {
            name: "empty passphrase",
            breaks: |p| p.encryption.passphrase = Some(Secret::from("")),
            field: "encryption.passphrase",
            passes: |p| p.encryption.passphrase = Some(Secret::from("long passphrase")),
        },
        Rule {
            name: "passphrase of seven characters",
            breaks: |p| p.encryption.passphrase = Some(Secret::from("seven c")),
            field: "encryption.passphrase",
            passes: |p| p.encryption.passphrase = Some(Secret::from("eight ch")),
        },
        Rule {
            name: "empty subvolume name",
            breaks: |p| p.subvolumes[1].name = String::new(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "home2".to_owned(),
        },
        Rule {
            name: "subvolume name /",
            breaks: |p| p.subvolumes[1].name = "/".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "@home".to_owned(),
        },
        Rule {
            name: "subvolume name .",
            breaks: |p| p.subvolumes[1].name = ".".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = ".home".to_owned(),
        },
        Rule {
            name: "subvolume name ..",
            breaks: |p| p.subvolumes[1].name = "..".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "...".to_owned(),
        },
        Rule {
            name: "subvolume name too long",
            breaks: |p| p.subvolumes[1].name = "h".repeat(256),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "h".repeat(255),
        },
        Rule {
            name: "subvolume name with a comma",
            breaks: |p| p.subvolumes[1].name = "home,subvolid=5".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "home.subvolid-5".to_owned(),
        },
        Rule {
            name: "subvolume name with a line break",
            breaks: |p| p.subvolumes[1].name = "home\nx".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "home_x".to_owned(),
        },
        Rule {
            name: "subvolume name with a tab",
            breaks: |p| p.subvolumes[1].name = "home\tx".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "home@x".to_owned(),
        },
        Rule {
            name: "subvolume name with an escape",
            breaks: |p| p.subvolumes[1].name = "home\u{1b}[2J".to_owned(),
            field: "subvolumes[1].name",
            passes: |p| p.subvolumes[1].name = "home[2J".to_owned(),
        },
        Rule {
            name: "subvolume name data,old",
            breaks: |p| p.subvolumes.push(subvolume("data,old", "/data")),
            field: "subvolumes[4].name",
            passes: |p| p.subvolumes.push(subvolume("data-old", "/data")),
        },
        Rule {
            name: "mount options longer than mount(2) takes",
            breaks: |p| {
                p.subvolumes[1].options = (0..600).map(|i| format!("opt{i:04}")).collect();
            },
            field: "subvolumes[1].options",
            passes: |p| {
                p.subvolumes[1].options = (0..400).map(|i| format!("opt{i:04}")).collect();
            },
        },
        Rule {
            name: "mount point with a line break",
            breaks: |p| p.subvolumes.push(subvolume("srv", "/srv\n/etc")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("srv", "/srv etc")),
        },
        Rule {
            name: "mount point /nix/store",
            breaks: |p| p.subvolumes.push(subvolume("store", "/nix/store")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("store", "/nix/stor")),
        },
        Rule {
            name: "mount point /proc",
            breaks: |p| p.subvolumes.push(subvolume("proc", "/proc")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("proc", "/process")),
        },
        Rule {
            name: "mount point below /sys",
            breaks: |p| p.subvolumes.push(subvolume("sys", "/sys/fs/x")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("sys", "/system/fs/x")),
        },
        Rule {
            name: "mount point /dev",
            breaks: |p| p.subvolumes.push(subvolume("dev", "/dev")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("dev", "/devel")),
        },
        Rule {
            name: "mount point below /run",
            breaks: |p| p.subvolumes.push(subvolume("run", "/run/media")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("run", "/srv/run/media")),
        },
        Rule {
            name: "mount point longer than PATH_MAX",
            breaks: |p| {
                let path = "/srv".to_owned() + &"/abcdefgh".repeat(455);
                p.subvolumes.push(subvolume("srv", &path));
            },
            field: "subvolumes[4].mount_point",
            passes: |p| {
                let path = "/srv".to_owned() + &"/abcdefgh".repeat(454);
                p.subvolumes.push(subvolume("srv", &path));
            },
        },
        Rule {
            name: "mount point component longer than NAME_MAX",
            breaks: |p| {
                p.subvolumes
                    .push(subvolume("srv", &format!("/{}", "s".repeat(256))))
            },
            field: "subvolumes[4].mount_point",
            passes: |p| {
                p.subvolumes
                    .push(subvolume("srv", &format!("/{}", "s".repeat(255))))
            },
        },
        Rule {
            name: "/etc/nixos not on a subvolume",
            breaks: |p| p.subvolumes.retain(|s| s.mount_point != "/etc/nixos"),
            field: "subvolumes",
            passes: |p| p.subvolumes[3].name = "etc-nixos".to_owned(),
        },
        Rule {
            name: "/etc/nixos only kept by impermanence",
            breaks: |p| {
                p.subvolumes.retain(|s| s.mount_point != "/etc/nixos");
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/etc/nixos"));
            },
            field: "subvolumes",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/etc/nixos-old"));
            },
        },
        Rule {
            name: "duplicate subvolume name",
            breaks: |p| p.subvolumes.push(subvolume("home", "/srv")),
            field: "subvolumes[4].name",
            passes: |p| p.subvolumes.push(subvolume("srv", "/srv")),
        },
        Rule {
            name: "swap subvolume name taken",
            breaks: |p| {
                p.subvolumes.push(subvolume("swap", "/srv"));
                p.swap = Some(Swap { size_gib: 4 });
            },
            field: "swap.name",
            passes: |p| {
                p.subvolumes.push(subvolume("srv", "/srv"));
                p.swap = Some(Swap { size_gib: 4 });
            },
        },
        Rule {
            name: "swap size zero",
            breaks: |p| p.swap = Some(Swap { size_gib: 0 }),
            field: "swap.size_gib",
            passes: |p| p.swap = Some(Swap { size_gib: 1 }),
        },
        Rule {
            name: "mount option with a comma",
            breaks: |p| p.subvolumes[0].options.push("ssd,discard".to_owned()),
            field: "subvolumes[0].options[3]",
            passes: |p| p.subvolumes[0].options.push("discard=async".to_owned()),
        },
        Rule {
            name: "mount option subvol=",
            breaks: |p| p.subvolumes[0].options.push("subvol=home".to_owned()),
            field: "subvolumes[0].options[3]",
            passes: |p| p.subvolumes[0].options.push("space_cache=v2".to_owned()),
        },
        Rule {
            name: "mount point relative",
            breaks: |p| p.subvolumes.push(subvolume("srv", "srv")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("srv", "/srv")),
        },
        Rule {
            name: "mount point not normal",
            breaks: |p| p.subvolumes.push(subvolume("srv", "/srv/../etc/")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("srv", "/srv/data")),
        },
        Rule {
            name: "mount point /",
            breaks: |p| p.subvolumes.push(subvolume("root", "/")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("root", "/root")),
        },
        Rule {
            name: "duplicate mount point",
            breaks: |p| p.subvolumes.push(subvolume("home2", "/home")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("home2", "/home2")),
        },
        Rule {
            name: "mount point is the ESP's",
            breaks: |p| p.subvolumes.push(subvolume("boot", "/boot")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("boot", "/bootstrap")),
        },
        Rule {
            name: "mount point under the ESP",
            breaks: |p| p.subvolumes.push(subvolume("efi", "/boot/efi")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("efi", "/efi")),
        },
        Rule {
            name: "mount point under the store",
            breaks: |p| p.subvolumes.push(subvolume("store", "/nix/store/x")),
            field: "subvolumes[4].mount_point",
            passes: |p| p.subvolumes.push(subvolume("store", "/nix/var")),
        },
        Rule {
            name: "boot mount under a later mount",
            breaks: |p| {
                p.subvolumes.push(subvolume("data", "/data"));
                p.subvolumes[2].mount_point = "/data/persist".to_owned();
                p.persistence.path = "/data/persist".to_owned();
            },
            field: "subvolumes[2].mount_point",
            passes: |p| {
                p.subvolumes.push(subvolume("data", "/data"));
                p.subvolumes[2].mount_point = "/persistent".to_owned();
                p.persistence.path = "/persistent".to_owned();
            },
        },
        Rule {
            name: "/nix missing",
            breaks: |p| p.subvolumes[0].mount_point = "/nixstore".to_owned(),
            field: "subvolumes",
            passes: |p| p.subvolumes[0].name = "@nix".to_owned(),
        },
        Rule {
            name: "persistence path not mounted",
            breaks: |p| p.persistence.path = "/state".to_owned(),
            field: "persistence.path",
            passes: |p| {
                p.persistence.path = "/state".to_owned();
                p.subvolumes[2].mount_point = "/state".to_owned();
            },
        },
        Rule {
            name: "tmpfs size over 100 %",
            breaks: |p| p.root_tmpfs.size = TmpfsSize::PercentOfRam(150),
            field: "root_tmpfs.size",
            passes: |p| p.root_tmpfs.size = TmpfsSize::PercentOfRam(100),
        },
        Rule {
            name: "tmpfs size zero",
            breaks: |p| p.root_tmpfs.size = TmpfsSize::Mebibytes(0),
            field: "root_tmpfs.size",
            passes: |p| p.root_tmpfs.size = TmpfsSize::Mebibytes(2048),
        },
        Rule {
            name: "relative persistence entry",
            breaks: |p| p.persistence.files.push("etc/adjtime".to_owned()),
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/etc/adjtime".to_owned()),
        },
        Rule {
            name: "duplicate persistence entry",
            breaks: |p| p.persistence.files.push("/var/log".to_owned()),
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/var/log.old".to_owned()),
        },
        Rule {
            name: "persistence entry inside /nix",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/nix/var"))
            },
            field: "persistence.directories[6]",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/nixos"))
            },
        },
        Rule {
            name: "persistence entry inside the persistent storage",
            breaks: |p| p.persistence.files.push("/persist/x".to_owned()),
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/persistent/x".to_owned()),
        },
        Rule {
            name: "persistence entry shadows a mount",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/etc"))
            },
            field: "persistence.directories[6]",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/etc/ssh"))
            },
        },
        Rule {
            name: "persistence entry on a subvolume already",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/home/alice"))
            },
            field: "persistence.directories[6]",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/srv/alice"))
            },
        },
        Rule {
            name: "persistence entry with an escape",
            breaks: |p| p.persistence.files.push("/etc/\u{1b}]0;x\u{7}".to_owned()),
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/etc/]0;x".to_owned()),
        },
        Rule {
            name: "persistence directory with a line break",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/var/lib/a\nb"))
            },
            field: "persistence.directories[6]",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/var/lib/a b"))
            },
        },
        Rule {
            name: "persistence entry in /proc",
            breaks: |p| p.persistence.files.push("/proc/cmdline".to_owned()),
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/etc/cmdline".to_owned()),
        },
        Rule {
            name: "persistence entry /run",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/run"))
            },
            field: "persistence.directories[6]",
            passes: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/runtime"))
            },
        },
        Rule {
            name: "persistence entry in /dev or /sys",
            breaks: |p| {
                p.persistence
                    .directories
                    .push(PersistentDirectory::new("/sys/class"));
                p.persistence.files.push("/dev/null".to_owned());
            },
            field: "persistence.files[1]",
            passes: |p| p.persistence.files.push("/devices/null".to_owned()),
        },
        Rule {
            name: "persistence entry component longer than NAME_MAX",
            breaks: |p| {
                p.persistence
                    .files
                    .push(format!("/etc/{}", "f".repeat(256)))
            },
            field: "persistence.files[1]",
            passes: |p| {
                p.persistence
                    .files
                    .push(format!("/etc/{}", "f".repeat(255)))
            },
        },
        Rule {
            name: "persistence entry longer than PATH_MAX",
            breaks: |p| {
                let path = "/var".to_owned() + &"/abcdefgh".repeat(455);
                p.persistence.files.push(path);
            },
            field: "persistence.files[1]",
            passes: |p| {
                let path = "/var".to_owned() + &"/abcdefgh".repeat(454);
                p.persistence.files.push(path);
            },
        },
        Rule {
            name: "home entry with a control character",
            breaks: |p| home_entries(p, &[".config/a\tb"]),
            field: "persistence.users[0].directories[0]",
            passes: |p| home_entries(p, &[".config/a b"]),
        },
        Rule {
            name: "home entry too long with the home directory",
            breaks: |p| home_entries(p, &[&"abcdefgh/".repeat(454)[..4085]]),
            field: "persistence.users[0].directories[0]",
            passes: |p| home_entries(p, &[&"abcdefgh/".repeat(454)[..4080]]),
        },
        Rule {
            name: "two home entry lists for one user",
            breaks: |p| {
                home_entries(p, &[".ssh"]);
                home_entries(p, &[".gnupg"]);
            },
            field: "persistence.users[1].user",
            passes: |p| home_entries(p, &[".ssh", ".gnupg"]),
        },
        Rule {
            name: "directory mode",
            breaks: |p| p.persistence.directories[0].mode = Some("rwx".to_owned()),
            field: "persistence.directories[0].mode",
            passes: |p| p.persistence.directories[0].mode = Some("0750".to_owned()),
        },
        Rule {
            name: "directory owner",
            breaks: |p| p.persistence.directories[0].user = Some("Bad User".to_owned()),
            field: "persistence.directories[0].user",
            passes: |p| p.persistence.directories[0].user = Some("systemd-journal".to_owned()),
        },
        Rule {
            name: "home entries of an unknown user",
            breaks: |p| {
                home_entries(p, &[".ssh"]);
                p.persistence.users[0].user = "mallory".to_owned();
            },
            field: "persistence.users[0].user",
            passes: |p| home_entries(p, &[".ssh"]),
        },
        Rule {
            name: "home entries while /home is kept",
            breaks: |p| {
                p.persistence.users.push(UserPersistence {
                    user: "alice".to_owned(),
                    directories: vec![PersistentDirectory::new(".ssh")],
                    files: Vec::new(),
                })
            },
            field: "persistence.users[0].user",
            passes: |p| home_entries(p, &[".ssh"]),
        },
        Rule {
            name: "home entry not relative",
            breaks: |p| home_entries(p, &["../bob"]),
            field: "persistence.users[0].directories[0]",
            passes: |p| home_entries(p, &[".config/bob"]),
        },
        Rule {
            name: "home entry duplicate",
            breaks: |p| home_entries(p, &[".ssh", ".ssh"]),
            field: "persistence.users[0].directories[1]",
            passes: |p| home_entries(p, &[".ssh", ".gnupg"]),
        },
        Rule {
            name: "every-home entry with a control character",
            breaks: |p| every_home(p, &[".config/a\nb"]),
            field: "persistence.every_home.directories[0]",
            passes: |p| every_home(p, &[".config/a b"]),
        },
        Rule {
            name: "every-home entry not relative",
            breaks: |p| every_home(p, &["/etc/ssh"]),
            field: "persistence.every_home.directories[0]",
            passes: |p| every_home(p, &[".config/ssh"]),
        },
        Rule {
            name: "every-home entry too long in the longest home",
            breaks: |p| {
                every_home(p, &[&"abcdefgh/".repeat(454)[..4080]]);
                p.users[0].name = "alexandra".to_owned();
            },
            field: "persistence.every_home.directories[0]",
            passes: |p| every_home(p, &[&"abcdefgh/".repeat(454)[..4080]]),
        },
        Rule {
            name: "every-home entry duplicate",
            breaks: |p| {
                every_home(p, &[".ssh"]);
                p.persistence.every_home.files.push(".ssh".to_owned());
            },
            field: "persistence.every_home.files[0]",
            passes: |p| {
                every_home(p, &[".ssh"]);
                p.persistence
                    .every_home
                    .files
                    .push(".bash_history".to_owned());
            },
        },
        Rule {
            name: "every-home directory mode",
            breaks: |p| {
                every_home(p, &[".ssh"]);
                p.persistence.every_home.directories[0].mode = Some("0800".to_owned());
            },
            field: "persistence.every_home.directories[0].mode",
            passes: |p| {
                every_home(p, &[".ssh"]);
                p.persistence.every_home.directories[0].mode = Some("0700".to_owned());
            },
        },
        Rule {
            name: "host name",
            breaks: |p| p.system.hostname = "my_laptop".to_owned(),
            field: "system.hostname",
            passes: |p| p.system.hostname = "my-laptop".to_owned(),
        },
        Rule {
            name: "host name too long",
            breaks: |p| p.system.hostname = "a".repeat(64),
            field: "system.hostname",
            passes: |p| p.system.hostname = "a".repeat(63),
        },
        Rule {
            name: "time zone",
            breaks: |p| p.system.time_zone = "Europe/Springfield".to_owned(),
            field: "system.time_zone",
            passes: |p| p.system.time_zone = "America/Argentina/Buenos_Aires".to_owned(),
        },
        Rule {
            name: "locale",
            breaks: |p| p.system.locale = "English".to_owned(),
            field: "system.locale",
            passes: |p| p.system.locale = "fr_CA.UTF-8".to_owned(),
        },
        Rule {
            name: "locale glibc does not have",
            breaks: |p| p.system.locale = "en_DE.UTF-8".to_owned(),
            field: "system.locale",
            passes: |p| p.system.locale = "de_DE.utf8".to_owned(),
        },
        Rule {
            name: "formats",
            breaks: |p| p.system.formats = "Swiss".to_owned(),
            field: "system.formats",
            passes: |p| p.system.formats = "de_CH.UTF-8".to_owned(),
        },
        Rule {
            name: "formats glibc does not have",
            breaks: |p| p.system.formats = "de_US.UTF-8".to_owned(),
            field: "system.formats",
            passes: |p| p.system.formats = String::new(),
        },
        Rule {
            name: "console keymap",
            breaks: |p| p.system.console_keymap = "de latin1".to_owned(),
            field: "system.console_keymap",
            passes: |p| p.system.console_keymap = "de-latin1".to_owned(),
        },
        Rule {
            name: "xkb layout",
            breaks: |p| p.system.xkb_layout = String::new(),
            field: "system.xkb_layout",
            passes: |p| p.system.xkb_layout = "us,de".to_owned(),
        },
        Rule {
            name: "xkb variant",
            breaks: |p| p.system.xkb_variant = "dvorak\"; evil".to_owned(),
            field: "system.xkb_variant",
            passes: |p| p.system.xkb_variant = "dvorak".to_owned(),
        },
        Rule {
            name: "state version",
            breaks: |p| p.system.state_version = "unstable".to_owned(),
            field: "system.state_version",
            passes: |p| p.system.state_version = "24.05".to_owned(),
        },
        Rule {
            name: "user name",
            breaks: |p| p.users[0].name = "Alice".to_owned(),
            field: "users[0].name",
            passes: |p| p.users[0].name = "_alice-2".to_owned(),
        },
        Rule {
            name: "user name too long",
            breaks: |p| p.users[0].name = "a".repeat(33),
            field: "users[0].name",
            passes: |p| p.users[0].name = "a".repeat(32),
        },
        Rule {
            name: "reserved user name",
            breaks: |p| p.users[0].name = "nixbld1".to_owned(),
            field: "users[0].name",
            passes: |p| p.users[0].name = "nix".to_owned(),
        },
        Rule {
            name: "root as a normal user",
            breaks: |p| p.users[0].name = "root".to_owned(),
            field: "users[0].name",
            passes: |p| p.users[0].name = "rooty".to_owned(),
        },
        Rule {
            name: "duplicate user",
            breaks: |p| p.users.push(p.users[0].clone()),
            field: "users[1].name",
            passes: |p| {
                let mut bob = p.users[0].clone();
                bob.name = "bob".to_owned();
                p.users.push(bob);
            },
        },
        Rule {
            name: "full name",
            breaks: |p| p.users[0].full_name = "Alice: admin".to_owned(),
            field: "users[0].full_name",
            passes: |p| p.users[0].full_name = "Alice (admin) “Ä”".to_owned(),
        },
        Rule {
            name: "group name",
            breaks: |p| p.users[0].groups.push("Video".to_owned()),
            field: "users[0].groups[2]",
            passes: |p| p.users[0].groups.push("video".to_owned()),
        },
        Rule {
            name: "password missing",
            breaks: |p| p.users[0].password = None,
            field: "users[0].password",
            passes: |p| p.users[0].password = Some(Password::Clear(Secret::from("pw"))),
        },
        Rule {
            name: "password empty",
            breaks: |p| p.users[0].password = Some(Password::Clear(Secret::from(""))),
            field: "users[0].password",
            passes: |p| p.users[0].password = Some(Password::Clear(Secret::from(" "))),
        },
        Rule {
            name: "password hash malformed",
            breaks: |p| p.root_password = Some(Password::Hashed("hunter2".to_owned())),
            field: "root_password",
            passes: |p| p.root_password = Some(Password::Hashed("$6$salt$hash".to_owned())),
        },
        Rule {
            name: "service state not kept",
            breaks: |p| {
                p.persistence
                    .directories
                    .retain(|d| d.path != "/var/lib/cups");
            },
            field: "services[1]",
            passes: |p| {
                p.persistence
                    .directories
                    .retain(|d| d.path != "/var/lib/cups");
                p.persistence
                    .directories
                    .push(keepsake::plan::PersistentDirectory::new("/var/lib"));
            },
        },
        Rule {
            name: "flatpak without a desktop",
            breaks: |p| {
                p.set_service(keepsake::plan::Service::Flatpak, true);
                p.desktop = keepsake::plan::Desktop::None;
            },
            field: "services[2]",
            passes: |p| {
                p.set_service(keepsake::plan::Service::Flatpak, true);
                p.desktop = keepsake::plan::Desktop::Xfce;
            },
        },
        Rule {
            name: "home erased with nothing kept",
            breaks: |p| p.subvolumes.retain(|s| s.name != "home"),
            field: "users[0].keep_whole_home",
            passes: |p| {
                p.subvolumes.retain(|s| s.name != "home");
                p.users[0].keep_whole_home = true;
            },
        },
        Rule {
            name: "home erased with some entries kept",
            breaks: |p| {
                home_entries(p, &[]);
            },
            field: "users[0].keep_whole_home",
            passes: |p| home_entries(p, &["Documents"]),
        },
        Rule {
            name: "home erased with entries kept in every home",
            breaks: |p| every_home(p, &[]),
            field: "users[0].keep_whole_home",
            passes: |p| every_home(p, &["Documents"]),
        },
        Rule {
            name: "nobody can administer",
            breaks: |p| p.users[0].groups.clear(),
            field: "users",
            passes: |p| {
                p.users[0].groups.clear();
                p.root_password = Some(Password::Hashed("$6$salt$hash".to_owned()));
            },
        },
    ]
}

#[test]
fn the_example_plan_is_valid() {
    assert_eq!(Plan::example().validate(), Ok(()));
}

#[test]
fn each_rule_has_a_failing_and_a_passing_case() {
    // Every rule is tried, a panic included, so one run names all that fail.
    let failures: Vec<String> = rules()
        .iter()
        .filter_map(|rule| {
            std::panic::catch_unwind(|| check_rule(rule))
                .unwrap_or_else(|_| Err(format!("{}: validation panicked", rule.name)))
                .err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check_rule(rule: &Rule) -> Result<(), String> {
    let mut broken = Plan::example();
    (rule.breaks)(&mut broken);
    let Err(errors) = broken.validate() else {
        return Err(format!("{}: the broken plan passed", rule.name));
    };
    if !errors.iter().any(|e| e.field.as_str() == rule.field) {
        return Err(format!(
            "{}: no error on {}, got {errors:#?}",
            rule.name, rule.field
        ));
    }
    if errors
        .iter()
        .any(|error| error.problem.message().is_empty())
    {
        return Err(format!("{}: a message is empty", rule.name));
    }
    // Said with the page and the field in words, never the JSON path.
    if let Some(error) = errors.iter().find(|error| {
        let text = error.to_string();
        let path = error.field.as_str();
        (path.contains(['.', '[']) && text.contains(path))
            || error.place.field.is_empty()
            || (error.place.page == PlanPage::Review && error.field.as_str() != "flake")
    }) {
        return Err(format!(
            "{}: “{error}” does not say where in words",
            rule.name
        ));
    }
    let mut fixed = Plan::example();
    (rule.passes)(&mut fixed);
    match fixed.validate() {
        Ok(()) => Ok(()),
        Err(errors) => Err(format!("{}: the passing case: {errors:#?}", rule.name)),
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let mut plan = Plan::example();
    plan.system.hostname = "-".to_owned();
    plan.system.time_zone = "Nowhere".to_owned();
    plan.users[0].name = "Alice".to_owned();
    let errors = plan.validate().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["system.hostname", "system.time_zone", "users[0].name"]
    );
    assert!(matches!(errors[1].problem, Problem::TimeZoneUnknown { .. }));
}

#[test]
fn messages_name_the_value_and_say_what_to_do() {
    let mut plan = Plan::example();
    plan.users.push(User {
        name: "alice".to_owned(),
        full_name: String::new(),
        groups: Vec::new(),
        password: None,
        keep_whole_home: false,
    });
    let errors = plan.validate().unwrap_err();
    let message = errors[0].problem.message();
    assert!(message.contains("alice"), "{message}");
    assert!(message.contains("Choose another name"), "{message}");
}

#[test]
fn a_service_needs_its_state_kept_and_flatpak_a_desktop() {
    use keepsake::plan::{Desktop, Service};
    let mut plan = Plan::example();
    plan.services.push(Service::Docker);
    plan.services.push(Service::Bluetooth);
    let errors = plan.validate().unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
    assert_eq!(fields, ["services[2]", "services[3]"], "{errors:?}");
    assert!(matches!(
        &errors[0].problem,
        Problem::ServiceStateNotKept { path, .. } if path == "/var/lib/docker"
    ));
    assert!(matches!(
        errors[1].problem,
        Problem::ServiceDuplicate { .. }
    ));

    let mut plan = Plan::example();
    plan.set_service(Service::Flatpak, true);
    assert_eq!(plan.validate(), Ok(()));
    plan.desktop = Desktop::None;
    let errors = plan.validate().unwrap_err();
    assert_eq!(errors[0].problem, Problem::FlatpakWithoutDesktop);
}
