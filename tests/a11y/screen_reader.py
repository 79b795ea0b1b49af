#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Looks at Keepsake as a screen reader does, through the AT-SPI bus.

Starts `keepsake --demo` (with accessibility on), drives the install wizard
from the welcome page to the done page with AT-SPI actions and synthesized
key presses, and on every page walks the accessible tree, failing on:

* a focusable node without a name;
* a push button named only by an icon name ("go-previous-symbolic");
* two interactive nodes of the same role and name on one page that do
  different things (two "Remove" buttons for two different rows);
* a page whose Next (or its last step's button) Tab cannot reach;
* a page that arrives without the focus on its first control in tree order
  (but for the exceptions in FOCUS_EXCEPTIONS, each with its reason);
* a change a screen reader must say that is never announced (GTK's
  `announce()`, which its AT-SPI backend sends as "object:announcement"):
  the refused live USB stick on the disk page, a finished install step, and
  what went wrong on the "Installation Failed" page.

On the way it walks the dialog that asks before a weak passphrase is used
(it says yes) and the review page. A second run cancels an install to check
the stop dialog and the "Installation Stopped" page; a third lets the demo's
nixos-install fail (KEEPSAKE_DEMO_INSTALL=fail) for the "Installation
Failed" page; a fourth starts the persistence editor (`keepsake --demo
--edit`) and walks each of its views, chosen with the keyboard, the whole
window, and its dialogs, each opened with the keyboard, walked, its
confirming button reached with Tab, and closed: adding an entry, the review
of the changes, applying them, deleting an orphan and changing a password. The first and the fourth run again in Hebrew, right to left:
every check must hold there too (names are matched through the Hebrew
catalogue).

The walker is reusable: `Session.check_view(name, root)` runs every tree
check on any accessible, and `Session.tab_reaches(node, what)` the keyboard
check; a new window is one more run function like run_editor.

Run it inside the build root under Xvfb and a D-Bus session (the session bus
starts the accessibility bus on demand):
    xvfb-run -a dbus-run-session -- python3 tests/a11y/screen_reader.py target/debug/keepsake
It prints one line per check and exits 1 if any failed, 77 (skip) only if
the accessibility bus cannot start at all.
"""

import ctypes
import gettext
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402

# Its replacement, get_name, is hidden by Accessible.get_name in PyGObject.
warnings.filterwarnings("ignore", "Atspi.Action.get_action_name is deprecated", DeprecationWarning)

# Deadlines are generous because CI machines are slow and shared; they only
# turn a hang into a failure that says what never happened.
APP_DEADLINE = 60
WIDGETS_DEADLINE = 20
INSTALL_DEADLINE = 300
# More than any page has focusable controls: a Tab cycle longer than this
# means the focus is trapped somewhere.
MAX_TABS = 150

SKIP = 77

KEY_TAB = 0xFF09
KEY_RETURN = 0xFF0D
KEY_LEFT = 0xFF51
KEY_RIGHT = 0xFF53

SYMBOLIC_ICON_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-symbolic$")
ICON_DIRS = ("/usr/share/icons", "/usr/share/pixmaps")


def is_icon_name(name):
    """True for "go-previous-symbolic", or for a name an installed icon has
    ("user-trash"): what GTK says for a button whose only child is an icon."""
    if SYMBOLIC_ICON_NAME.match(name):
        return True
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name):
        return False
    for top in ICON_DIRS:
        for folder, _, files in os.walk(top):
            if f"{name}.svg" in files or f"{name}.png" in files:
                return True
    return False

# Roles a person acts on; two of them with one name on one page are told
# apart only by their position, which a screen reader does not say.
INTERACTIVE_ROLES = {
    Atspi.Role.PUSH_BUTTON,
    Atspi.Role.TOGGLE_BUTTON,
    Atspi.Role.CHECK_BOX,
    Atspi.Role.RADIO_BUTTON,
    Atspi.Role.SWITCH if hasattr(Atspi.Role, "SWITCH") else Atspi.Role.TOGGLE_BUTTON,
    Atspi.Role.ENTRY,
    Atspi.Role.PASSWORD_TEXT,
    Atspi.Role.SPIN_BUTTON,
    Atspi.Role.COMBO_BOX,
    Atspi.Role.LINK,
    Atspi.Role.MENU_ITEM,
    Atspi.Role.SLIDER,
}


class Stuck(Exception):
    """A wait ran past its deadline; the message names what it waited for."""


ROOT = Path(__file__).resolve().parent.parent.parent


def without_mnemonic(text):
    """What GTK names a widget whose label has a mnemonic: "_Next" is "Next"."""
    return re.sub(r"_(.)", r"\1", text)


class Words:
    """The texts the walker matches (page titles, buttons, fields), in the
    language of the run, from the catalogue the app reads (built into
    target/locale by build-aux/compile-translations). English texts are
    looked up by their msgid without its mnemonic, so "Next" finds "_Next";
    a text can have several translations (one per msgid), and each counts."""

    def __init__(self, language=None):
        self.language = language
        self.catalogue = {}
        if language is None:
            return
        compiled = ROOT / "target" / "locale" / language / "LC_MESSAGES" / "keepsake.mo"
        with compiled.open("rb") as file:
            translations = gettext.GNUTranslations(file)
        # Only the catalogue's own messages; plural entries are keyed by
        # (msgid, index) and are never names.
        for msgid, msgstr in translations._catalog.items():
            if isinstance(msgid, str) and msgid and msgstr:
                self.catalogue.setdefault(without_mnemonic(msgid), set()).add(
                    without_mnemonic(msgstr)
                )

    def any_of(self, english):
        """Every name `english` can have in this run."""
        if self.language is None:
            return {english}
        found = self.catalogue.get(english)
        if not found:
            raise Stuck(f"the {self.language} catalogue has no message “{english}”")
        return found

    def one(self, english):
        return sorted(self.any_of(english))[0]

    def pattern(self, english, placeholder):
        """A regular expression for the translations of `english`, with
        `{placeholder}` as a group and any other placeholder as any text."""
        parts = []
        for text in self.any_of(english):
            escaped = re.escape(text).replace(re.escape("{" + placeholder + "}"), "(.+?)")
            escaped = re.sub(r"\\\{[a-z_]+\\\}", ".+?", escaped)
            parts.append(f"(?:{escaped})")
        return re.compile("^(?:" + "|".join(parts) + ")$")


def pump():
    """Hands the AT-SPI events that have arrived to their listeners: libatspi
    dispatches them from the GLib main context, which nothing else here
    runs."""
    context = GLib.MainContext.default()
    while context.pending():
        context.iteration(False)


def wait_until(what, limit, done):
    deadline = time.monotonic() + limit
    while True:
        pump()
        result = done()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise Stuck(f"gave up after {limit} s waiting for {what}")
        time.sleep(0.1)


class Announcements:
    """Every "object:announcement" on the accessibility bus, as (process id,
    text): what GTK sends for `gtk_accessible_announce()`, and what Orca
    speaks. One listener for the whole walk, registered before any app
    starts, so nothing said early is missed."""

    def __init__(self):
        self.heard = []
        self.listener = Atspi.EventListener.new(self._heard)
        self.listener.register("object:announcement")

    def _heard(self, event):
        try:
            pid = event.source.get_process_id()
        except GLib.Error:
            pid = None
        text = event.any_data if isinstance(event.any_data, str) else ""
        self.heard.append((pid, text))

    def by(self, pid):
        pump()
        return [text for who, text in self.heard if who == pid]


def states(node):
    try:
        return node.get_state_set()
    except GLib.Error:
        return Atspi.StateSet.new([])


def has(node, state):
    return states(node).contains(state)


def name_of(node):
    try:
        return node.get_name() or ""
    except GLib.Error:
        return ""


def description_of(node):
    """What a screen reader reads after the name: the description, or the
    text of the nodes it is described by (GTK 4 leaves the former empty)."""
    try:
        parts = [node.get_description() or ""]
        for relation in node.get_relation_set():
            if relation.get_relation_type() == Atspi.RelationType.DESCRIBED_BY:
                parts += [name_of(relation.get_target(i)) for i in range(relation.get_n_targets())]
    except GLib.Error:
        return ""
    return "\n".join(part for part in parts if part)


def role_of(node):
    try:
        return node.get_role()
    except GLib.Error:
        return Atspi.Role.INVALID


def children(node):
    try:
        count = node.get_child_count()
    except GLib.Error:
        return []
    found = []
    for index in range(count):
        try:
            child = node.get_child_at_index(index)
        except GLib.Error:
            continue
        if child is not None:
            found.append(child)
    return found


def showing(node):
    return has(node, Atspi.StateType.SHOWING) and has(node, Atspi.StateType.VISIBLE)


def walk(node, depth=0):
    """Every showing node below `node` (included), depth first, with its depth."""
    yield node, depth
    for child in children(node):
        if showing(child):
            yield from walk(child, depth + 1)


def describe(node):
    role = node.get_role_name() if node is not None else "?"
    return f"{role} “{name_of(node)}”"


def described(node):
    return describe(node) if node is not None else "nothing"


def actions(node):
    try:
        action = node.get_action_iface()
    except GLib.Error:
        return []
    if action is None:
        return []
    try:
        return [action.get_action_name(i) for i in range(action.get_n_actions())]
    except GLib.Error:
        return []


def do_action(node, wanted=None):
    action = node.get_action_iface()
    names = actions(node)
    index = names.index(wanted) if wanted in names else 0
    action.do_action(index)


class Keyboard:
    """Key presses through the X server's XTEST extension, as if typed on
    the keyboard. (AT-SPI's own key synthesis reaches no GTK 4 window under
    Xvfb.)"""

    def __init__(self):
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtest = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.xtest.XTestFakeKeyEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self.display = self.x11.XOpenDisplay(None)
        if not self.display:
            raise Stuck(f"cannot open the X display {os.environ.get('DISPLAY')!r} to type on")

    def press(self, keysym):
        code = self.x11.XKeysymToKeycode(self.display, keysym)
        if code == 0:
            raise Stuck(f"the X keyboard has no key for keysym {keysym:#x}")
        self.xtest.XTestFakeKeyEvent(self.display, code, True, 0)
        self.xtest.XTestFakeKeyEvent(self.display, code, False, 0)
        self.x11.XFlush(self.display)

    def type(self, text):
        # Latin-1 keysyms equal their characters; only keys without Shift
        # on the default (US) layout, so no modifier is needed.
        if not re.fullmatch(r"[a-z0-9 ./-]*", text):
            raise ValueError(
                f"type() types lower-case letters, digits, space, ., / and - only: {text!r}"
            )
        for char in text:
            self.press(ord(char))
            time.sleep(0.01)


class Session:
    """One running `keepsake --demo` and its tally of checks."""

    def __init__(
        self, binary, extra_args=(), label="", env_extra=None, words=None, announcements=None
    ):
        self.label = label
        self.announcements = announcements
        self.words = words or Words()
        self.passed = 0
        self.failed = 0
        self.nodes_checked = 0
        self.views_checked = []
        self.keyboard = Keyboard()
        env = dict(os.environ)
        # Other GUI tests turn accessibility off; this one is about it.
        env.pop("GTK_A11Y", None)
        env.pop("NO_AT_BRIDGE", None)
        env["GDK_BACKEND"] = "x11"
        env.update(env_extra or {})
        self.process = subprocess.Popen(
            [binary, "--demo", *extra_args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sys.stderr,
        )
        self.app = wait_until(
            f"keepsake (pid {self.process.pid}) on the accessibility bus",
            APP_DEADLINE,
            self._find_app,
        )
        self.window = wait_until(
            "the Keepsake window in the accessible tree",
            APP_DEADLINE,
            lambda: next(
                (c for c in children(self.app) if role_of(c) == Atspi.Role.FRAME and showing(c)),
                None,
            ),
        )

    def _find_app(self):
        if self.process.poll() is not None:
            raise Stuck(f"keepsake exited with status {self.process.returncode} before it appeared")
        desktop = Atspi.get_desktop(0)
        for app in children(desktop):
            try:
                if app.get_process_id() == self.process.pid:
                    # Without a main loop here, the events that would keep a
                    # cache fresh are never read: ask the app every time.
                    app.set_cache_mask(Atspi.Cache.NONE)
                    return app
            except GLib.Error:
                continue
        return None

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WIDGETS_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print(f"ok: {self.label}{what}", flush=True)
        else:
            self.failed += 1
            print(f"FAILED: {self.label}{what}", flush=True)
        return ok

    # The visible page ----------------------------------------------------

    def page(self):
        """The navigation page on screen. GTK names each AdwNavigationPage by
        its title and gives the navigation view its `navigation.pop` action:
        the page is the view's showing child."""
        view = self.find(self.window, lambda n: "navigation.pop" in actions(n))
        if view is None:
            return None
        return next((c for c in children(view) if showing(c)), None)

    def page_title(self):
        page = self.page()
        return name_of(page) if page is not None else ""

    def wait_for_page(self, title, limit=WIDGETS_DEADLINE):
        """Waits for the page whose English title is `title`."""
        titles = self.words.any_of(title)
        return wait_until(
            f"the “{title}” page (on “{self.page_title()}”)",
            limit,
            lambda: self.page() if self.page_title() in titles else None,
        )

    def on_page(self, title):
        return self.page_title() in self.words.any_of(title)

    def find(self, root, predicate):
        for node, _ in walk(root):
            if predicate(node):
                return node
        return None

    def focused(self):
        return self.find(self.window, lambda n: has(n, Atspi.StateType.FOCUSED))

    # The checks ----------------------------------------------------------

    def announced(self):
        """What this app has announced so far, oldest first."""
        return self.announcements.by(self.process.pid)

    def expect_announcement(self, what, matches):
        """Checks that the app announces something `matches` accepts; waits
        for it, since GTK sends it as the change happens."""
        try:
            text = wait_until(
                f"an announcement of {what}",
                WIDGETS_DEADLINE,
                lambda: next((t for t in self.announced() if matches(t)), None),
            )
        except Stuck:
            heard = [f"“{t}”" for t in self.announced()]
            self.check(False, f"{what} is announced" + listing(heard or ["(nothing announced)"]))
            return None
        self.check(True, f"{what} is announced (“{text}”)")
        return text

    def check_view(self, view, root):
        """Every tree check on the showing nodes below `root`."""
        nodes = list(walk(root))
        self.nodes_checked += len(nodes)
        self.views_checked.append(view)
        unnamed = []
        icon_named = []
        interactive = {}
        for node, _ in nodes:
            role = role_of(node)
            name = name_of(node).strip()
            focusable = has(node, Atspi.StateType.FOCUSABLE)
            if focusable and not name and not passes_focus_on(node):
                unnamed.append(describe(node) + self.path_of(node) + holding(node))
            if role in (Atspi.Role.PUSH_BUTTON, Atspi.Role.TOGGLE_BUTTON) and is_icon_name(name):
                icon_named.append(describe(node) + self.path_of(node))
            if role in INTERACTIVE_ROLES and name and focusable:
                interactive.setdefault((role, name), []).append(node)
        duplicated = [
            f"{len(found)} × {found[0].get_role_name()} “{name}”"
            + "".join(self.path_of(node) for node in found)
            for (role, name), found in interactive.items()
            if len(outermost(found)) > 1
        ]
        print(f"   {view}: {len(nodes)} showing nodes", flush=True)
        self.check(not unnamed, f"{view}: every focusable node has a name" + listing(unnamed))
        self.check(
            not icon_named, f"{view}: no button is named by an icon name" + listing(icon_named)
        )
        self.check(
            not duplicated,
            f"{view}: no two controls share a role and a name" + listing(duplicated),
        )

    def path_of(self, node):
        """Where a node is, for a failure message: its named ancestors."""
        names = []
        parent = node
        for _ in range(30):
            try:
                parent = parent.get_parent()
            except GLib.Error:
                break
            if parent is None or parent == self.window:
                break
            if name_of(parent):
                names.append(name_of(parent))
        return f" (in {' › '.join(reversed(names))})" if names else ""

    def tab_reaches(self, target, what):
        """Presses Tab, as a keyboard-only user would, until `target` has the
        focus; false after MAX_TABS presses."""
        for _ in range(MAX_TABS):
            if has(target, Atspi.StateType.FOCUSED):
                return True
            self.keyboard.press(KEY_TAB)
            time.sleep(0.05)
        try:
            wait_until(f"Tab to reach {what}", 2, lambda: has(target, Atspi.StateType.FOCUSED))
            return True
        except Stuck:
            return False

    def tab_to_tab(self, target, what):
        """Reaches a page tab as in any tab list: Tab stops on the selected
        tab only, the arrow keys move between tabs."""
        selected = self.find(
            self.window,
            lambda n: role_of(n) == Atspi.Role.PAGE_TAB and has(n, Atspi.StateType.SELECTED),
        )
        if selected is None or not self.tab_reaches(selected, f"the selected tab, on the way to {what}"):
            return False
        for key in (KEY_RIGHT, KEY_LEFT):
            for _ in range(len(children(selected.get_parent())) + 1):
                if has(target, Atspi.StateType.FOCUSED):
                    return True
                self.keyboard.press(key)
                time.sleep(0.05)
        return has(target, Atspi.StateType.FOCUSED)


# Containers that hand the focus to what they hold: Tab never stops on them
# while they hold something focusable, so they need no name of their own.
CONTAINER_ROLES = {
    Atspi.Role.SCROLL_PANE,
    Atspi.Role.LIST,
    Atspi.Role.LIST_BOX,
    Atspi.Role.PANEL,
    Atspi.Role.FILLER,
    Atspi.Role.GROUPING,
    Atspi.Role.VIEWPORT,
}


def passes_focus_on(node):
    """True for a node Tab does not stop on: a container that holds
    something focusable, or the shown value of a combo box (the combo box
    takes the focus and has the name)."""
    if role_of(node) == Atspi.Role.LIST_ITEM and inside_role(node, Atspi.Role.COMBO_BOX):
        return True
    # AdwAlertDialog scrolls its body in a GtkScrolledWindow, which GTK
    # (>= 4.14) gives the generic role, and a generic node's name is never
    # exported: no app can name it. The dialog's description is that body.
    if role_of(node) == Atspi.Role.SCROLL_PANE and (
        inside_role(node, Atspi.Role.ALERT) or inside_role(node, Atspi.Role.DIALOG)
    ):
        return True
    if role_of(node) not in CONTAINER_ROLES:
        return False
    return any(
        has(inner, Atspi.StateType.FOCUSABLE) for inner, depth in walk(node) if depth > 0
    )


def holding(node):
    """What a node holds, to tell which widget it is in a failure message."""
    inner = [f"{describe(n)} {actions(n)}" for n, depth in walk(node) if 0 < depth <= 3]
    return f", holding: {'; '.join(inner[:8])}" if inner else ""


def inside_role(node, role):
    for _ in range(8):
        try:
            node = node.get_parent()
        except GLib.Error:
            return False
        if node is None:
            return False
        if role_of(node) == role and name_of(node):
            return True
    return False


def outermost(nodes):
    """`nodes` without those inside another of them: a switch row and the
    switch it holds are one control with one action."""
    return [node for node in nodes if not any(other != node and is_below(node, other) for other in nodes)]


def listing(items):
    return "".join(f"\n      {item}" for item in items[:20]) if items else ""


# Driving the wizard ------------------------------------------------------

# What the walker types into the fields that hold Next back, by their
# accessible name in English.
FIELDS = {
    "Passphrase": "correct horse battery staple",
    "Repeat passphrase": "correct horse battery staple",
    "Host name": "keepsake-test",
    "Full name": "ada lovelace",
    "Password": "analytical engine",
    "Repeat password": "analytical engine",
}
# Long enough to be allowed, common enough to be weak.
WEAK_PASSPHRASE = "password1"
# The review asks to type the disk's name, which its field's name quotes.
CONFIRM = "Type “{name}” to confirm"
TEXT_ROLES = {Atspi.Role.ENTRY, Atspi.Role.PASSWORD_TEXT, Atspi.Role.TEXT}
DEMO_DISK = "nvme0n1"
# The demo's live USB stick is refused for this partition, mounted at /iso.
LIVE_STICK_PARTITION = "/dev/sdb1"
# Unicode's isolates, around a path in a translated sentence.
ISOLATES = "\u2066\u2067\u2068\u2069"


def without_isolates(text):
    return "".join(char for char in text if char not in ISOLATES)


def fill(session, page, fields=FIELDS):
    """Types into every empty field of `fields` (and the review's
    confirmation) on `page`, reaching each with Tab as a keyboard user does."""
    wanted = {}
    for english, text in fields.items():
        for name in session.words.any_of(english):
            wanted[name] = text
    confirm_pattern = session.words.pattern(CONFIRM, "name")
    for node, _ in walk(page):
        confirm = confirm_pattern.match(name_of(node))
        if confirm and role_of(node) in TEXT_ROLES:
            wanted[name_of(node)] = confirm.group(1).strip(ISOLATES)
    for name, text in wanted.items():
        field = session.find(page, lambda n: role_of(n) in TEXT_ROLES and name_of(n) == name)
        if field is None or current_text(field):
            continue
        if not session.tab_reaches(field, f"the “{name}” field"):
            raise Stuck(f"Tab never reached the “{name}” field")
        session.keyboard.type(text)
        wait_until(
            f"“{name}” to hold what was typed",
            WIDGETS_DEADLINE,
            lambda: len(current_text(field)) == len(text),
        )


def current_text(node):
    try:
        return Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node)) or ""
    except GLib.Error:
        return ""


def press_button(session, page, name, what, named=None):
    """Tabs to the button named `name` in English (or whose name `named`
    accepts) and presses Return on it; checks that Tab reaches it."""
    names = session.words.any_of(name) if named is None else ()
    button = wait_until(
        f"a sensitive “{name}” button on {what}",
        WIDGETS_DEADLINE,
        lambda: session.find(
            page,
            lambda n: role_of(n) == Atspi.Role.PUSH_BUTTON
            and (name_of(n) in names if named is None else named(name_of(n)))
            and has(n, Atspi.StateType.SENSITIVE),
        ),
    )
    reached = session.tab_reaches(button, f"“{name}” on {what}")
    session.check(reached, f"{what}: the keyboard (Tab) reaches “{name}”")
    if reached:
        session.keyboard.press(KEY_RETURN)
    else:
        do_action(button, "click")


# Where the focus deliberately goes instead of a page's first control, by
# the page's English title: the English name of the control it goes to, and
# why.
FOCUS_EXCEPTIONS = {
    title: (
        "Try Again",
        "the way on takes the focus, not the selectable sentence on the disk's "
        "state above it, which would show selected (KsFailedPage::shown); "
        "the page announces what went wrong",
    )
    for title in ("Installation Stopped", "Installation Failed")
}
# Back from the page a button opened, the navigation view gives the focus
# back to that button, where the person was.
BACK_FROM_DISK_LAYOUT = ("Disk Layout", "back from the page it opened")
# A group that can appear above a page's first control once the page is on
# screen: the review's pre-flight problems, found by checks that run when
# the page is shown. The focus is not moved under the person then; it stays
# on what was the first control when the page arrived.
LATE_GROUPS = {"Review": "Before You Install"}


def first_control(session, page, late_group=None):
    """The first sensitive focusable control of `page` in tree order (the
    order of its widgets), leaving out the group named `late_group`."""
    late = session.words.any_of(late_group) if late_group else set()

    def visit(node):
        for child in children(node):
            if not showing(child) or name_of(child) in late:
                continue
            if (
                has(child, Atspi.StateType.FOCUSABLE)
                and has(child, Atspi.StateType.SENSITIVE)
                and not passes_focus_on(child)
            ):
                return child
            found = visit(child)
            if found is not None:
                return found
        return None

    return visit(page)


def arrive(session, title, focus_on=None):
    """Waits for the page titled `title`, checks that the focus went to its
    first control (or, where `focus_on` or FOCUS_EXCEPTIONS say why, to the
    control they name) and walks its tree."""
    page = session.wait_for_page(title)
    focus_on = focus_on or FOCUS_EXCEPTIONS.get(title)
    if focus_on is not None:
        names = session.words.any_of(focus_on[0])
        expected = f"“{focus_on[0]}” ({focus_on[1]})"
    else:
        expected = "its first control"

    def where():
        if focus_on is not None:
            return session.find(
                page, lambda n: name_of(n) in names and has(n, Atspi.StateType.FOCUSABLE)
            )
        return first_control(session, page, LATE_GROUPS.get(title))

    def focus_there():
        focused, target = session.focused(), where()
        # A row and the check button or field it holds are one control:
        # either can take the focus.
        return (
            focused is not None
            and target is not None
            and (focused == target or is_below(focused, target) or is_below(target, focused))
        )

    try:
        wait_until(
            f"the focus on {expected} of the “{title}” page", WIDGETS_DEADLINE, focus_there
        )
        arrived = True
    except Stuck:
        arrived = False
    session.check(
        arrived,
        f"“{title}”: the focus moves to {expected} (on {described(session.focused())}; "
        f"wanted on {described(where())})",
    )
    session.check_view(f"page “{title}”", page)
    return page


def is_below(node, ancestor):
    for _ in range(60):
        if node is None:
            return False
        if node == ancestor:
            return True
        try:
            node = node.get_parent()
        except GLib.Error:
            return False
    return False


def showing_dialog(session, what):
    return wait_until(
        what,
        WIDGETS_DEADLINE,
        lambda: session.find(
            session.window,
            lambda n: role_of(n) in (Atspi.Role.ALERT, Atspi.Role.DIALOG) and showing(n),
        ),
    )


def accept_weak_passphrase(session, page):
    """Types a weak passphrase twice, presses Next, walks the dialog that
    asks whether to use it, and says yes with the keyboard."""
    fill(session, page, {"Passphrase": WEAK_PASSPHRASE, "Repeat passphrase": WEAK_PASSPHRASE})
    press_button(session, page, "Next", "“Encryption”, with a weak passphrase")
    dialog = showing_dialog(session, "the dialog that asks before a weak passphrase is used")
    session.check(
        name_of(dialog) in session.words.any_of("Use a Weak Passphrase?"),
        f"the weak-passphrase dialog is named by its question ({describe(dialog)})",
    )
    session.check_view("the weak-passphrase dialog", dialog)
    press_button(session, dialog, "Use Anyway", "the weak-passphrase dialog")


def drive_to_review(session):
    """Welcome to review, pressing Next on each page; returns the review page."""
    page = arrive(session, "Welcome")
    press_button(session, page, "Install NixOS", "“Welcome”")
    page = arrive(session, "Disk")
    disk = wait_until(
        f"the demo disk {DEMO_DISK} in the disk list, its device in the description",
        WIDGETS_DEADLINE,
        lambda: session.find(
            page,
            lambda n: role_of(n) == Atspi.Role.RADIO_BUTTON
            and f"/dev/{DEMO_DISK}" in description_of(n),
        ),
    )
    # The stick is refused because a partition of it is mounted: the
    # reason names that partition, in any language.
    session.expect_announcement(
        f"the refused live USB stick ({LIVE_STICK_PARTITION}) on “Disk”",
        lambda text: LIVE_STICK_PARTITION in without_isolates(text),
    )
    if not session.tab_reaches(disk, f"the {DEMO_DISK} disk"):
        raise Stuck(f"Tab never reached the {DEMO_DISK} disk")
    session.keyboard.press(ord(" "))
    while True:
        title = session.page_title()
        if session.on_page("Review"):
            return session.page()
        if session.on_page("Encryption"):
            accept_weak_passphrase(session, page)
        else:
            fill(session, page)
            if session.on_page("Persistence"):
                page = visit_layout(session, page)
            # The trash buttons are compared by their English names.
            if session.on_page("Users") and session.words.language is None:
                check_account_remove_buttons(session, page)
            press_button(session, page, "Next", f"“{title}”")
        wait_until(
            f"Next on “{title}” to show another page",
            WIDGETS_DEADLINE,
            lambda: session.page_title() not in ("", title),
        )
        page = arrive_untitled(session)


def visit_layout(session, page):
    """The advanced “Disk Layout” page: opened with the keyboard from its
    row on “Persistence”, walked, and left with Done; returns the
    persistence page again."""
    # The row names its button by its title.
    press_button(session, page, "Disk Layout", "“Persistence”")
    layout = arrive(session, "Disk Layout")
    press_button(session, layout, "Done", "“Disk Layout”")
    return arrive(session, "Persistence", focus_on=BACK_FROM_DISK_LAYOUT)


def arrive_untitled(session):
    """`arrive` on whichever page is on screen, by its English title."""
    title = session.page_title()
    english = next(
        (
            english
            for english in PAGE_TITLES
            if title in session.words.any_of(english)
        ),
        None,
    )
    if english is None:
        raise Stuck(f"the page “{title}” is not one the walker knows")
    return arrive(session, english)


# The wizard's pages up to the review, in English.
PAGE_TITLES = (
    "Disk",
    "Language and Keyboard",
    "Encryption",
    "Disk Layout",
    "Persistence",
    "Software",
    "System",
    "Users",
    "Review",
)


def check_account_remove_buttons(session, page):
    """With a second account, each account's trash button names the account
    it removes; then the second one is removed again."""
    add = session.find(
        page, lambda n: role_of(n) == Atspi.Role.PUSH_BUTTON and name_of(n) == "Add Account"
    )
    if add is None:
        raise Stuck("the “Users” page has no “Add Account” button")
    do_action(add, "click")

    def remove_buttons():
        return [
            node
            for node, _ in walk(page)
            if role_of(node) == Atspi.Role.PUSH_BUTTON and name_of(node).startswith("Remove ")
        ]

    buttons = wait_until(
        "a trash button for each of two accounts",
        WIDGETS_DEADLINE,
        lambda: (lambda found: found if len(found) == 2 else None)(remove_buttons()),
    )
    names = sorted(name_of(node) for node in buttons)
    session.check(
        names == ["Remove Account 2", "Remove Account ada"],
        f"“Users”: each account's trash button says whose account it removes {names}",
    )
    second = next((node for node in buttons if name_of(node) == "Remove Account 2"), buttons[-1])
    do_action(second, "click")
    wait_until("the second account to be removed", WIDGETS_DEADLINE, lambda: not remove_buttons())


def install(session, page):
    fill(session, page)
    press_button(session, page, "Erase Disk and Install", "“Review”")
    return arrive(session, "Installing")


def run_to_done(session):
    install(session, drive_to_review(session))
    session.wait_for_page("Installed", INSTALL_DEADLINE)
    arrive(session, "Installed")
    for english, placeholder in (
        ("Step {number} of {total}: {title}", "title"),
        ("Finished: {title}", "title"),
    ):
        pattern = session.words.pattern(english, placeholder)
        session.expect_announcement(
            f"“{english}” during the install",
            lambda text, pattern=pattern: pattern.match(without_isolates(text)),
        )


def run_to_failure(session):
    page = install(session, drive_to_review(session))
    press_button(session, page, "Cancel", "“Installing”")
    dialog = showing_dialog(session, "the dialog that asks whether to stop the install")
    session.check_view("the stop dialog", dialog)
    stop = session.find(
        dialog,
        lambda n: role_of(n) == Atspi.Role.PUSH_BUTTON
        and name_of(n) in session.words.any_of("Stop"),
    )
    if stop is None:
        raise Stuck("the stop dialog has no Stop button")
    do_action(stop, "click")
    # A cancel is told apart from a failure.
    session.wait_for_page("Installation Stopped", INSTALL_DEADLINE)
    arrive(session, "Installation Stopped")


def run_to_failed_install(session):
    """The demo's nixos-install fails: the real "Installation Failed" page."""
    install(session, drive_to_review(session))
    session.wait_for_page("Installation Failed", INSTALL_DEADLINE)
    page = arrive(session, "Installation Failed")
    # The focus goes to Try Again, which does not say what went wrong: the
    # page announces its description, which says it.
    shown = {name_of(node).strip() for node, _ in walk(page) if name_of(node).strip()}
    session.expect_announcement(
        "what went wrong, as “Installation Failed” shows it",
        lambda text: text.strip() in shown,
    )


def accessibility_bus_address():
    """Asks the session bus for the accessibility bus, which starts it."""
    session_bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    reply = session_bus.call_sync(
        "org.a11y.Bus",
        "/org/a11y/bus",
        "org.a11y.Bus",
        "GetAddress",
        None,
        GLib.VariantType("(s)"),
        Gio.DBusCallFlags.NONE,
        WIDGETS_DEADLINE * 1000,
        None,
    )
    return reply.unpack()[0]


# The persistence editor's views, as its view switcher names them.
EDITOR_VIEWS = ("Kept", "Lost at Next Reboot", "Orphans", "Accounts")


def run_editor(session):
    """The persistence editor (`keepsake --demo --edit`): each view, chosen
    with the keyboard through its tab, then walked; then its dialogs."""
    focused = wait_until(
        "the focus on a named control of the editor",
        WIDGETS_DEADLINE,
        lambda: (lambda f: f if f is not None and name_of(f) else None)(session.focused()),
    )
    session.check(True, f"the editor starts with the focus on {describe(focused)}")
    for view in EDITOR_VIEWS:
        content = show_editor_view(session, view)
        session.check_view(f"editor view “{view}”", content)
    session.check_view("editor window (header bar and banners)", session.window)
    walk_editor_dialogs(session)


def show_editor_view(session, view):
    """Chooses the editor's view `view` with the keyboard through its tab;
    returns the view."""
    names = session.words.any_of(view)
    tab = wait_until(
        f"the “{view}” tab of the editor",
        WIDGETS_DEADLINE,
        lambda: session.find(
            session.window,
            lambda n: role_of(n) == Atspi.Role.PAGE_TAB and name_of(n) in names,
        ),
    )
    reached = session.tab_to_tab(tab, f"the “{view}” tab")
    session.check(reached, f"the keyboard (Tab, then arrows) reaches the “{view}” tab")
    if reached:
        session.keyboard.press(ord(" "))
    else:
        do_action(tab, "click")
    content = wait_until(
        f"the “{view}” view on screen",
        WIDGETS_DEADLINE,
        lambda: has(tab, Atspi.StateType.SELECTED)
        and session.find(
            session.window,
            lambda n: role_of(n) != Atspi.Role.PAGE_TAB
            and name_of(n) in names
            and any(showing(c) for c in children(n)),
        ),
    )
    return content


# What the walker adds in the editor, and the password it types (never
# set: the dialog is cancelled).
EDITOR_NEW_PATH = "/srv/www"
EDITOR_PASSWORD = "analytical engine"


def wait_for_dialog(session, what, named):
    """The showing dialog whose name `named` accepts."""
    return wait_until(
        what,
        WIDGETS_DEADLINE,
        lambda: session.find(
            session.window,
            lambda n: role_of(n) in (Atspi.Role.ALERT, Atspi.Role.DIALOG)
            and showing(n)
            and named(name_of(n)),
        ),
    )


def wait_closed(session, dialog, what):
    wait_until(f"{what} to close", WIDGETS_DEADLINE, lambda: not showing(dialog))


def matching(session, english, placeholder):
    """A test of a name against the translations of `english`, whose
    `{placeholder}` stands for any text."""
    pattern = session.words.pattern(english, placeholder)
    return lambda name: bool(pattern.match(name))


def one_of(session, english):
    names = session.words.any_of(english)
    return lambda name: name in names


def walk_dialog(session, what, dialog, confirm, confirm_named):
    """Every tree check on `dialog`, and Tab reaching its confirming button
    `confirm` (its English name, or the pattern `confirm_named` accepts)."""
    session.check_view(what, dialog)
    button = session.find(
        dialog,
        lambda n: role_of(n) == Atspi.Role.PUSH_BUTTON and confirm_named(name_of(n)),
    )
    session.check(button is not None, f"{what}: it has its “{confirm}” button")
    if button is not None:
        session.check(
            session.tab_reaches(button, f"“{confirm}” in {what}"),
            f"{what}: the keyboard (Tab) reaches “{confirm}”",
        )


def walk_editor_dialogs(session):
    """Each dialog of the editor, opened as a keyboard user would."""
    # Adding an entry, which leaves a change to review.
    kept = show_editor_view(session, "Kept")
    press_button(session, kept, "Add…", "editor view “Kept”")
    what = "the add-entry dialog"
    dialog = wait_for_dialog(session, what, one_of(session, "Keep a Directory or File"))
    fill(session, dialog, {"Path": EDITOR_NEW_PATH})
    walk_dialog(session, what, dialog, "Add", one_of(session, "Add"))
    session.keyboard.press(KEY_RETURN)
    wait_closed(session, dialog, what)

    # The review of that change, from the banner, and applying it.
    press_button(session, session.window, "Review…", "the editor's banner of changes")
    what = "the review dialog"
    dialog = wait_for_dialog(session, what, one_of(session, "Review Changes"))
    walk_dialog(session, what, dialog, "Apply", one_of(session, "Apply"))
    session.keyboard.press(KEY_RETURN)
    wait_closed(session, dialog, what)
    what = "the apply dialog"
    dialog = wait_for_dialog(session, what, one_of(session, "Applying Changes"))
    closing = one_of(session, "Close")
    wait_until(
        "the simulated apply to end with a Close button",
        INSTALL_DEADLINE,
        lambda: session.find(
            dialog,
            lambda n: role_of(n) == Atspi.Role.PUSH_BUTTON and closing(name_of(n)),
        ),
    )
    applied = session.words.any_of(
        "Applied. The new system runs now and starts at every boot; what it keeps is mounted in place."
    ) | session.words.any_of(
        "Applied. The new system starts at the next boot; until then the running system stays as it is."
    )
    session.expect_announcement(
        "the outcome of applying, in the apply dialog", lambda text: text in applied
    )
    walk_dialog(session, what, dialog, "Close", closing)
    session.keyboard.press(KEY_RETURN)
    wait_closed(session, dialog, what)

    # Deleting an orphan: the confirmation, cancelled.
    orphans = show_editor_view(session, "Orphans")
    press_button(
        session,
        orphans,
        "Delete {path}…",
        "editor view “Orphans”",
        named=matching(session, "Delete {path}…", "path"),
    )
    what = "the orphan delete confirmation"
    dialog = wait_for_dialog(session, what, matching(session, "Delete {path}?", "path"))
    walk_dialog(session, what, dialog, "Delete {size}", matching(session, "Delete {size}", "size"))
    press_button(session, dialog, "Cancel", what)
    wait_closed(session, dialog, what)

    # A new password: typed twice, which enables Change Password; cancelled.
    accounts = show_editor_view(session, "Accounts")
    press_button(
        session,
        accounts,
        "Change the password of {user}…",
        "editor view “Accounts”",
        named=matching(session, "Change the password of {user}…", "user"),
    )
    what = "the password dialog"
    dialog = wait_for_dialog(
        session, what, matching(session, "Change the Password of {user}", "user")
    )
    fill(
        session,
        dialog,
        {"New Password": EDITOR_PASSWORD, "Repeat the New Password": EDITOR_PASSWORD},
    )
    walk_dialog(session, what, dialog, "Change Password", one_of(session, "Change Password"))
    press_button(session, dialog, "Cancel", what)
    wait_closed(session, dialog, what)


def main():
    if len(sys.argv) != 2:
        print("usage: screen_reader.py PATH/TO/keepsake", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    # English by default; the Hebrew runs say so in their environment.
    os.environ["LANGUAGE"] = "en"
    os.environ["LC_ALL"] = "C.UTF-8"
    try:
        address = accessibility_bus_address()
    except GLib.Error as error:
        print(
            f"SKIPPED: the AT-SPI accessibility bus cannot start here: {error.message}",
            flush=True,
        )
        return SKIP
    print(f"accessibility bus: {address}", flush=True)
    Atspi.init()
    announcements = Announcements()
    sessions = []
    stuck = None
    hebrew_env = {"LANGUAGE": "he", "LC_ALL": "he_IL.UTF-8", "LANG": "he_IL.UTF-8"}
    try:
        hebrew = Words("he")
    except OSError as error:
        print(
            f"FAILED: the Hebrew catalogue cannot be read ({error}); "
            "build it with build-aux/compile-translations",
            flush=True,
        )
        return 1
    english = Words()
    runs = (
        ("", (), {}, english, run_to_done),
        ("cancelled install: ", (), {}, english, run_to_failure),
        ("failed install: ", (), {"KEEPSAKE_DEMO_INSTALL": "fail"}, english, run_to_failed_install),
        ("editor: ", ("--edit",), {}, english, run_editor),
        ("Hebrew: ", (), hebrew_env, hebrew, run_to_done),
        ("Hebrew editor: ", ("--edit",), hebrew_env, hebrew, run_editor),
    )
    for label, args, env_extra, words, run in runs:
        try:
            session = Session(
                binary,
                extra_args=args,
                label=label,
                env_extra=env_extra,
                words=words,
                announcements=announcements,
            )
        except Stuck as why:
            stuck = why
            break
        sessions.append(session)
        try:
            run(session)
        except Stuck as why:
            stuck = why
        finally:
            session.close()
        if stuck is not None:
            break
    passed = sum(s.passed for s in sessions)
    failed = sum(s.failed for s in sessions)
    nodes = sum(s.nodes_checked for s in sessions)
    views = sum(len(s.views_checked) for s in sessions)
    if stuck is not None:
        print(f"FAILED: the drive stopped: {stuck}", flush=True)
        failed += 1
    print(f"{views} views walked, {nodes} accessible nodes checked", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
