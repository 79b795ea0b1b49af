# SPDX-License-Identifier: GPL-3.0-or-later
"""A small Rust lexer for Keepsake's translation tooling.

The build root's xgettext has no Rust parser and reads .rs files as C, where
lifetimes ('a) start unterminated character constants, raw strings (r#"…"#)
are unknown and a backslash at the end of a line inside a string keeps the
next line's indentation. So build-aux/update-pot gives xgettext a C-safe copy
of each file (`c_safe`), and build-aux/check-translations lists the messages
of the real Rust calls (`messages`) to compare them with the template.
"""

import re
from dataclasses import dataclass
from pathlib import Path

KEYWORDS = {"gettext": 1, "gettext_f": 1, "ngettext": 2, "ngettext_f": 2}

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RAW_START = re.compile(r'(b|c)?r(#*)"')


@dataclass
class Token:
    kind: str  # "ident", "string", "punct", "comment", "char", "lifetime", "space"
    text: str  # the source text
    value: str = ""  # a string's value, a comment's text
    line: int = 0


def _decode(body: str) -> str:
    """The value of a (non-raw) Rust string literal's body."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "\n":  # line continuation: skip the newline and following whitespace
            i += 2
            while i < len(body) and body[i] in " \t\n\r":
                i += 1
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        else:
            out.append(ESCAPES[nxt])
            i += 2
    return "".join(out)


def tokens(text: str):
    i, line, n = 0, 1, len(text)
    while i < n:
        start, c = i, text[i]
        if c in " \t\r\n":
            while i < n and text[i] in " \t\r\n":
                i += 1
            kind = "space"
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            kind = "comment"
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            kind = "comment"
        elif m := RAW_START.match(text, i):
            close = '"' + m.group(2)
            end = text.index(close, m.end())
            i = end + len(close)
            yield Token("string", text[start:i], text[m.end() : end], line)
            line += text.count("\n", start, i)
            continue
        elif c == '"' or (c in "bc" and text.startswith('"', i + 1)):
            i = text.index('"', i) + 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            body = text[text.index('"', start) + 1 : i - 1]
            yield Token("string", text[start:i], _decode(body), line)
            line += text.count("\n", start, i)
            continue
        elif c == "'" or (c == "b" and text.startswith("'", i + 1)):
            q = text.index("'", i)
            if text[q + 1] == "\\":
                i = text.index("'", q + 3) + 1
                kind = "char"
            elif q + 2 < n and text[q + 2] == "'":
                i = q + 3
                kind = "char"
            else:
                m = IDENT.match(text, q + 1)
                i = m.end()
                kind = "lifetime"
        elif m := IDENT.match(text, i):
            i = m.end()
            kind = "ident"
        else:
            i += 1
            kind = "punct"
        yield Token(kind, text[start:i], text[start:i], line)
        line += text.count("\n", start, i)


def _c_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def c_safe(text: str) -> str:
    """The file as C that xgettext reads right, with the same number of lines:
    strings rewritten as C literals, lifetimes and character literals
    replaced, and the first string of a gettext call moved up to the call's
    line (xgettext binds a translator comment to the line above the string;
    the newlines moved go after the string)."""
    out, held = [], 0
    code = list(tokens(text))
    for i, token in enumerate(code):
        after_call = i >= 2 and code[i - 1].text == "(" and code[i - 2].text in KEYWORDS
        if token.kind == "space" and after_call and i + 1 < len(code) and code[i + 1].kind == "string":
            held = token.text.count("\n")
            out.append(" ")
        elif token.kind == "string":
            newlines = token.text.count("\n") + held
            out.append(_c_string(token.value) + "\n" * newlines)
            held = 0
        elif token.kind == "lifetime":
            out.append("_" + token.text[1:])
        elif token.kind == "char":
            out.append("0")
        else:
            out.append(token.text)
    return "".join(out)


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    path: str
    line: int


def messages(path: Path, relative: str) -> list[Message]:
    """Every gettext, gettext_f, ngettext and ngettext_f call whose message
    arguments are string literals (calls with a variable are translated at
    run time from strings extracted elsewhere)."""
    found = []
    code = [t for t in tokens(path.read_text(encoding="utf-8")) if t.kind not in ("space", "comment")]
    for i, token in enumerate(code):
        count = KEYWORDS.get(token.text) if token.kind == "ident" else None
        if not count or i + 1 >= len(code) or code[i + 1].text != "(":
            continue
        if i > 0 and code[i - 1].text == "fn":
            continue
        args, j = [], i + 2
        while len(args) < count and j < len(code) and code[j].kind == "string":
            args.append(code[j].value)
            j += 1
            if j < len(code) and code[j].text == ",":
                j += 1
        if len(args) == count:
            found.append(Message(args[0], args[1] if count == 2 else None, relative, token.line))
    return found


if __name__ == "__main__":
    import sys

    # rust_gettext.py DEST FILE…: writes c_safe(FILE) to DEST/FILE.
    dest = Path(sys.argv[1])
    for name in sys.argv[2:]:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(c_safe(Path(name).read_text(encoding="utf-8")), encoding="utf-8")
