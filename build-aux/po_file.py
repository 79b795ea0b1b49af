# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads PO files (catalogues and templates) for build-aux/check-translations."""

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False


def _unquote(text: str) -> str:
    # A PO string literal uses C escapes, which Python's reads the same way
    # for everything gettext writes (\\n, \\t, \\", \\\\).
    return ast.literal_eval(text)


def read(path: Path) -> list[Entry]:
    """Every entry, the header (msgid "") first; obsolete (#~) ones marked."""
    return read_text(path.read_text(encoding="utf-8"))


def read_text(text: str) -> list[Entry]:
    """The entries of a PO file's text, as `read` gives them."""
    entries, entry, target = [], None, None
    for raw in text.splitlines() + [""]:
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry(obsolete=obsolete)
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#:"):
            entry.references += line[2:].split()
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            entry.plural, target = _unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            entry.msgid, target = _unquote(line[6:]), "msgid"
        elif line.startswith("msgstr["):
            index, text = line[7:].split("] ", 1)
            entry.msgstr.append(_unquote(text))
            target = ("msgstr", int(index))
        elif line.startswith("msgstr "):
            entry.msgstr.append(_unquote(line[7:]))
            target = ("msgstr", 0)
        elif line.startswith('"'):
            text = _unquote(line)
            if target == "msgid":
                entry.msgid += text
            elif target == "plural":
                entry.plural += text
            else:
                entry.msgstr[target[1]] += text
    return entries
