// SPDX-License-Identifier: GPL-3.0-or-later
//! Checks that every catalogue path is one impermanence can keep, and that
//! no two presets ask for the same path with different owners or modes.

use std::collections::HashMap;
use std::fmt;

use thiserror::Error;

use super::{Catalogue, Location, PresetPath};

/// Directories that are never on the erased root, so keeping a path inside
/// them means nothing (or breaks the boot).
const NOT_ON_THE_ROOT: &[&str] = &["/nix", "/proc", "/sys", "/dev", "/run", "/tmp"];

/// Errors in the catalogue's data. The catalogue is compiled in, so these are
/// found by its tests; the checks also guard catalogues read at run time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogueError {
    #[error("{file}: {message}")]
    Toml { file: String, message: String },
    #[error("preset {preset}: every path needs exactly one of `path` and `home`")]
    PathOrHome { preset: String },
    #[error("preset {preset}: {path}: mode {mode:?} is not octal permission bits")]
    BadMode {
        preset: String,
        path: String,
        mode: String,
    },
    #[error("preset {preset}: {path}: {problem}")]
    BadPath {
        preset: String,
        path: String,
        problem: PathProblem,
    },
    #[error("preset {preset}: {what}")]
    Incomplete { preset: String, what: &'static str },
    #[error("two presets are called {id}")]
    DuplicateId { id: String },
    #[error("{path}: presets {first} and {second} ask for different owners, modes or kinds")]
    Contradiction {
        path: String,
        first: String,
        second: String,
    },
}

/// Why a path cannot be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    NotAbsolute,
    NotRelative,
    TrailingSlash,
    EmptyComponent,
    DotComponent,
    ControlCharacter,
    NotOnTheRoot,
    Root,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "the path is empty",
            PathProblem::NotAbsolute => "a system path must start with /",
            PathProblem::NotRelative => "a home path must be relative to the home directory",
            PathProblem::TrailingSlash => "the path ends with /",
            PathProblem::EmptyComponent => "the path has an empty component (//)",
            PathProblem::DotComponent => "the path has a . or .. component",
            PathProblem::ControlCharacter => "the path has a control character",
            PathProblem::NotOnTheRoot => {
                "the path is in /nix, /proc, /sys, /dev, /run or /tmp, which are not on the erased root"
            }
            PathProblem::Root => "the whole root cannot be kept",
        })
    }
}

/// Checks an absolute path of the system, such as `/var/lib/docker`.
pub fn check_system_path(path: &str) -> Result<(), PathProblem> {
    let rest = path.strip_prefix('/').ok_or(if path.is_empty() {
        PathProblem::Empty
    } else {
        PathProblem::NotAbsolute
    })?;
    if rest.is_empty() {
        return Err(PathProblem::Root);
    }
    check_components(rest)?;
    let inside = |dir: &&str| path == *dir || path.starts_with(&format!("{dir}/"));
    if NOT_ON_THE_ROOT.iter().any(inside) {
        return Err(PathProblem::NotOnTheRoot);
    }
    Ok(())
}

/// Checks a path relative to a home directory, such as `.config/Code`.
pub fn check_home_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.starts_with('/') || path.starts_with('~') {
        return Err(PathProblem::NotRelative);
    }
    check_components(path)
}

fn check_components(relative: &str) -> Result<(), PathProblem> {
    if relative.chars().any(char::is_control) {
        return Err(PathProblem::ControlCharacter);
    }
    if relative.ends_with('/') {
        return Err(PathProblem::TrailingSlash);
    }
    for component in relative.split('/') {
        match component {
            "" => return Err(PathProblem::EmptyComponent),
            "." | ".." => return Err(PathProblem::DotComponent),
            _ => {}
        }
    }
    Ok(())
}

pub(super) fn check_catalogue(catalogue: &Catalogue) -> Result<(), CatalogueError> {
    let mut ids = HashMap::new();
    let mut seen: HashMap<&Location, (&str, &PresetPath)> = HashMap::new();
    for preset in &catalogue.presets {
        let incomplete = |what| CatalogueError::Incomplete {
            preset: preset.id.clone(),
            what,
        };
        if preset.id.is_empty()
            || !preset
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(incomplete(
                "the id must be lower-case letters, digits and -",
            ));
        }
        if preset.name.trim().is_empty() {
            return Err(incomplete("the name is empty"));
        }
        if preset.paths.is_empty() {
            return Err(incomplete("there are no paths"));
        }
        if ids.insert(preset.id.as_str(), ()).is_some() {
            return Err(CatalogueError::DuplicateId {
                id: preset.id.clone(),
            });
        }
        for path in &preset.paths {
            let checked = match &path.location {
                Location::System(text) => check_system_path(text),
                Location::Home(text) => check_home_path(text),
            };
            checked.map_err(|problem| CatalogueError::BadPath {
                preset: preset.id.clone(),
                path: path.location.as_str().to_owned(),
                problem,
            })?;
            if path.reason.trim().is_empty() {
                return Err(incomplete("a path has no reason"));
            }
            if path.source.trim().is_empty() {
                return Err(incomplete("a path has no source"));
            }
            if let Some((first, earlier)) = seen.get(&path.location) {
                let same = earlier.file == path.file
                    && earlier.user == path.user
                    && earlier.group == path.group
                    && earlier.mode == path.mode;
                if !same {
                    return Err(CatalogueError::Contradiction {
                        path: path.location.as_str().to_owned(),
                        first: (*first).to_owned(),
                        second: preset.id.clone(),
                    });
                }
            } else {
                seen.insert(&path.location, (preset.id.as_str(), path));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_paths_must_be_keepable() {
        assert_eq!(check_system_path("/var/lib/docker"), Ok(()));
        assert_eq!(check_system_path(""), Err(PathProblem::Empty));
        assert_eq!(check_system_path("/"), Err(PathProblem::Root));
        assert_eq!(check_system_path("var/lib"), Err(PathProblem::NotAbsolute));
        assert_eq!(
            check_system_path("/var/lib/"),
            Err(PathProblem::TrailingSlash)
        );
        assert_eq!(
            check_system_path("/var//lib"),
            Err(PathProblem::EmptyComponent)
        );
        assert_eq!(
            check_system_path("/var/../etc"),
            Err(PathProblem::DotComponent)
        );
        assert_eq!(
            check_system_path("/var/./lib"),
            Err(PathProblem::DotComponent)
        );
        assert_eq!(
            check_system_path("/var/li\nb"),
            Err(PathProblem::ControlCharacter)
        );
        assert_eq!(
            check_system_path("/nix/store"),
            Err(PathProblem::NotOnTheRoot)
        );
        assert_eq!(check_system_path("/run"), Err(PathProblem::NotOnTheRoot));
        assert_eq!(check_system_path("/tmpfiles"), Ok(()));
    }

    #[test]
    fn home_paths_must_be_relative() {
        assert_eq!(check_home_path(".ssh"), Ok(()));
        assert_eq!(
            check_home_path("/home/a/.ssh"),
            Err(PathProblem::NotRelative)
        );
        assert_eq!(check_home_path("~/.ssh"), Err(PathProblem::NotRelative));
        assert_eq!(check_home_path(".config/"), Err(PathProblem::TrailingSlash));
        assert_eq!(check_home_path("../x"), Err(PathProblem::DotComponent));
    }

    fn preset(id: &str, body: &str) -> String {
        format!(
            "[[preset]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"service\"\n\
             [[preset.paths]]\nreason = \"r\"\nsource = \"s\"\n{body}\n"
        )
    }

    #[test]
    fn contradicting_presets_are_refused() {
        let a = preset("a", "path = \"/var/lib/x\"\nmode = \"0700\"");
        let b = preset("b", "path = \"/var/lib/x\"\nmode = \"0755\"");
        let error = Catalogue::parse(&[("a", &a), ("b", &b)]).unwrap_err();
        assert!(
            matches!(error, CatalogueError::Contradiction { .. }),
            "{error}"
        );
        let same = preset("c", "path = \"/var/lib/x\"\nmode = \"0700\"");
        assert!(Catalogue::parse(&[("a", &a), ("c", &same)]).is_ok());
        for (first, second) in [
            ("user = \"postgres\"", "user = \"root\""),
            ("group = \"docker\"", "group = \"root\""),
            ("user = \"postgres\"", ""),
        ] {
            let d = preset("d", &format!("path = \"/var/lib/y\"\n{first}"));
            let e = preset("e", &format!("path = \"/var/lib/y\"\n{second}"));
            let error = Catalogue::parse(&[("d", &d), ("e", &e)]).unwrap_err();
            assert!(
                matches!(&error, CatalogueError::Contradiction { path, .. } if path == "/var/lib/y"),
                "{first} against {second}: {error}"
            );
        }
    }

    #[test]
    fn every_path_needs_a_reason_and_a_source() {
        let entry = |reason: &str, source: &str| {
            format!(
                "[[preset]]\nid = \"a\"\nname = \"a\"\nkind = \"service\"\n\
                 [[preset.paths]]\nreason = \"{reason}\"\nsource = \"{source}\"\npath = \"/x\"\n"
            )
        };
        for (reason, source) in [(" ", "s"), ("r", "")] {
            let text = entry(reason, source);
            assert!(
                matches!(
                    Catalogue::parse(&[("a", &text)]),
                    Err(CatalogueError::Incomplete { .. })
                ),
                "reason {reason:?}, source {source:?}"
            );
        }
        assert!(Catalogue::parse(&[("a", &entry("r", "s"))]).is_ok());
    }

    #[test]
    fn malformed_entries_are_refused() {
        let both = preset("a", "path = \"/x\"\nhome = \".x\"");
        assert!(matches!(
            Catalogue::parse(&[("a", &both)]),
            Err(CatalogueError::PathOrHome { .. })
        ));
        let mode = preset("a", "path = \"/x\"\nmode = \"0999\"");
        assert!(matches!(
            Catalogue::parse(&[("a", &mode)]),
            Err(CatalogueError::BadMode { .. })
        ));
        let unknown = preset("a", "path = \"/x\"\ncolour = \"red\"");
        assert!(matches!(
            Catalogue::parse(&[("a", &unknown)]),
            Err(CatalogueError::Toml { .. })
        ));
        let twice = preset("a", "path = \"/x\"");
        assert!(matches!(
            Catalogue::parse(&[("a", &twice), ("b", &twice)]),
            Err(CatalogueError::DuplicateId { .. })
        ));
    }
}
