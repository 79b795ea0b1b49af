// SPDX-License-Identifier: GPL-3.0-or-later
//! build-aux/check-translations fails, naming the file, the message and the
//! fix, for each kind of translation problem. Each test breaks one thing in
//! a copy of po/ whose only catalogue is complete (English copied into every
//! msgstr by msgen), so it does not depend on the real catalogues' state.
//! Needs python3 and gettext's tools (the build root has them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const LANGUAGE: &str = "xx";
const HEADER: &str = "msgid \"\"\nmsgstr \"\"\n\
\"Content-Type: text/plain; charset=UTF-8\\n\"\n\
\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\"\n\n";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary po/ with the real template and a complete catalogue xx.po.
fn po_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory for the po/ copy");
    let pot = root().join("po/keepsake.pot");
    fs::copy(&pot, dir.path().join("keepsake.pot")).expect("po/keepsake.pot copied");
    let output = Command::new("msgen")
        .arg(&pot)
        .output()
        .expect("msgen runs (is gettext installed?)");
    assert!(output.status.success(), "msgen failed: {output:?}");
    let english = String::from_utf8(output.stdout).expect("msgen writes UTF-8");
    // The template's header is fuzzy and has no plural forms: replace it.
    let body = &english[english.find("\n\n").expect("msgen output has a header") + 2..];
    fs::write(catalogue(&dir), format!("{HEADER}{body}")).expect("xx.po written");
    fs::write(dir.path().join("LINGUAS"), format!("{LANGUAGE}\n")).expect("LINGUAS written");
    dir
}

fn catalogue(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(format!("{LANGUAGE}.po"))
}

/// Replaces `from` (which must occur) by `to` in `path`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("the file to break is readable");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    fs::write(path, text.replacen(from, to, 1)).expect("the broken file is written");
}

/// Runs the check on `dir`; its exit status and what it printed.
fn check(dir: &tempfile::TempDir) -> (bool, String) {
    let output = Command::new(root().join("build-aux/check-translations"))
        .arg("--po-dir")
        .arg(dir.path())
        .current_dir(root())
        .output()
        .expect("build-aux/check-translations runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// The check fails, and one line of its output has every one of `needles`.
fn assert_fails_with(dir: &tempfile::TempDir, needles: &[&str]) {
    let (passed, output) = check(dir);
    assert!(!passed, "the check passed a broken copy of po/:\n{output}");
    assert!(
        output
            .lines()
            .any(|line| needles.iter().all(|needle| line.contains(needle))),
        "no line of the check's output has all of {needles:?}:\n{output}"
    );
}

#[test]
fn an_unbroken_copy_passes() {
    let dir = po_copy();
    let (passed, output) = check(&dir);
    assert!(
        passed,
        "the check failed on a complete copy of po/:\n{output}"
    );
}

#[test]
fn an_out_of_date_template_fails() {
    let dir = po_copy();
    edit(
        &dir.path().join("keepsake.pot"),
        "msgid \"Welcome\"\nmsgstr \"\"\n",
        "msgid \"Welcome to an older Keepsake\"\nmsgstr \"\"\n",
    );
    assert_fails_with(
        &dir,
        &["keepsake.pot", "lacks msgid \"Welcome\"", "update-pot"],
    );
    assert_fails_with(
        &dir,
        &[
            "keepsake.pot",
            "\"Welcome to an older Keepsake\"",
            "update-pot",
        ],
    );
}

#[test]
fn an_untranslated_message_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgid \"Welcome\"\nmsgstr \"Welcome\"\n",
        "msgid \"Welcome\"\nmsgstr \"\"\n",
    );
    assert_fails_with(
        &dir,
        &["xx.po", "\"Welcome\"", "untranslated", "Translate it"],
    );
}

#[test]
fn a_fuzzy_message_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgid \"Welcome\"\n",
        "#, fuzzy\nmsgid \"Welcome\"\n",
    );
    assert_fails_with(&dir, &["xx.po", "\"Welcome\"", "fuzzy", "remove the"]);
}

#[test]
fn a_message_msgfmt_rejects_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgid \"Welcome\"\nmsgstr \"Welcome\"\n",
        "msgid \"Welcome\"\nmsgstr \"Welcome\\n\"\n",
    );
    assert_fails_with(&dir, &["xx.po", "msgfmt --check fails"]);
}

#[test]
fn a_changed_placeholder_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgstr \"Step {number} of {total}: {title}\"",
        "msgstr \"Step {nummer} of {total}: {title}\"",
    );
    assert_fails_with(
        &dir,
        &[
            "xx.po",
            "\"Step {number} of {total}: {title}\"",
            "{nummer}",
            "placeholders",
        ],
    );
}

#[test]
fn a_dropped_plural_placeholder_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgstr[1] \"{n} files\"",
        "msgstr[1] \"files\"",
    );
    assert_fails_with(
        &dir,
        &["xx.po", "\"{n} file\"", "msgstr[1]", "placeholders"],
    );
}

/// As in gettext: a plural form the formula picks for one number only (here
/// msgstr[0], for n = 1) may say the number in words.
#[test]
fn a_form_for_one_number_may_spell_it_out() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgstr[0] \"{n} file\"",
        "msgstr[0] \"one file\"",
    );
    let (passed, output) = check(&dir);
    assert!(
        passed,
        "the check refused a form for n = 1 without {{n}}:\n{output}"
    );
}

#[test]
fn a_catalogue_missing_a_message_fails() {
    let dir = po_copy();
    edit(
        &catalogue(&dir),
        "msgid \"Welcome\"\nmsgstr \"Welcome\"\n",
        "",
    );
    assert_fails_with(
        &dir,
        &["xx.po", "lacks msgid \"Welcome\"", "msgmerge --update"],
    );
}

/// What xgettext, reading Rust as C, gets wrong unless build-aux/update-pot
/// hands it build-aux/rust_gettext.py's C-safe copy: lifetimes and character
/// literals (unterminated C character constants that swallow the rest of the
/// line), raw strings, backslash line continuations, and translator comments
/// above a call whose string is on the next line.
#[test]
fn update_pot_reads_rust_that_c_misreads() {
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a scratch directory under target/");
    let source = scratch.path().join("tricky.rs");
    fs::write(
        &source,
        r###"fn lifetime<'a>(items: &'a [&'a str]) -> String { gettext("after a lifetime") }
fn quote() -> char { '"' } fn after_quote() -> String { gettext("after a quote character") }
fn raw() -> String { gettext(r#"raw "quoted" text"#) }
fn continued() -> String {
    gettext("one \
             two")
}
fn commented() -> String {
    // Translators: binds across the line break.
    gettext_f(
        "{x} on the next line",
        &[("x", "1")],
    )
}
fn plural(n: u32) -> String { ngettext_f("{n} thing", "{n} things", n, &[]) }
fn escaped() -> String { gettext("tab\there \u{2014} dash") }
"###,
    )
    .expect("the Rust fixture is written");
    let relative = source
        .strip_prefix(root())
        .expect("CARGO_TARGET_TMPDIR lies in the checkout");
    let list = scratch.path().join("POTFILES");
    fs::write(&list, format!("{}\n", relative.display())).expect("the file list is written");
    let pot = scratch.path().join("tricky.pot");
    let output = Command::new(root().join("build-aux/update-pot"))
        .arg(&pot)
        .arg(&list)
        .output()
        .expect("build-aux/update-pot runs");
    assert!(
        output.status.success(),
        "build-aux/update-pot failed: {output:?}"
    );
    let pot = fs::read_to_string(&pot).expect("the template was written");
    for expected in [
        "msgid \"after a lifetime\"",
        "msgid \"after a quote character\"",
        "msgid \"raw \\\"quoted\\\" text\"",
        "msgid \"one two\"",
        "#. Translators: binds across the line break.\n#: ",
        "msgid \"{n} thing\"\nmsgid_plural \"{n} things\"",
        "msgid \"tab\\there — dash\"",
    ] {
        assert!(
            pot.contains(expected),
            "the template lacks {expected:?}:\n{pot}"
        );
    }
    let comment = pot
        .find("#. Translators: binds across the line break.")
        .expect("the translator comment is in the template");
    assert!(
        pot[comment..].lines().nth(2) == Some("msgid \"{x} on the next line\""),
        "the translator comment is not on “{{x}} on the next line”:\n{pot}"
    );
}
