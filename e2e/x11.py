"""The app's windows as the X server sees them, read and closed from outside the app's process (python-xlib):
what a window manager would learn about them, what it sends when the user closes one, and the keys a person
types (XTest), for a build that has no remote debugging to drive it by."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from Xlib import XK, X, Xatom
from Xlib.display import Display
from Xlib.ext import xtest
from Xlib.protocol import event
from Xlib.xobject.drawable import Window


@dataclass(frozen=True)
class TopLevel:
    window: Window
    title: str


class Screen:
    def __init__(self, display: Display) -> None:
        self.display = display

    def atom(self, name: str) -> int:
        return self.display.intern_atom(name)

    def _title(self, window: Window) -> str | None:
        utf8 = window.get_full_property(self.atom("_NET_WM_NAME"), self.atom("UTF8_STRING"))
        if utf8 is not None:
            value = utf8.value
            return value.decode() if isinstance(value, bytes) else str(value)
        name = window.get_wm_name()
        return name.decode() if isinstance(name, bytes) else name

    def top_levels(self) -> list[TopLevel]:
        """The mapped windows with a title, anywhere in the tree (without a window manager, the root's children)."""
        found: list[TopLevel] = []
        pending = list(self.display.screen().root.query_tree().children)
        while pending:
            window = pending.pop()
            pending.extend(window.query_tree().children)
            if window.get_attributes().map_state != X.IsViewable:
                continue
            title = self._title(window)
            if title:
                found.append(TopLevel(window, title))
        return found

    def wait_for(self, title: str, timeout: float = 20.0) -> TopLevel:
        deadline = time.monotonic() + timeout
        while True:
            matches = [top for top in self.top_levels() if top.title == title]
            if matches:
                return matches[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no window titled {title!r}: {[top.title for top in self.top_levels()]}")
            time.sleep(0.1)

    def transient_for(self, window: Window) -> int | None:
        """WM_TRANSIENT_FOR: the window this one is a dialog of."""
        prop = window.get_full_property(Xatom.WM_TRANSIENT_FOR, Xatom.WINDOW)
        return int(prop.value[0]) if prop is not None and len(prop.value) else None

    def states(self, window: Window) -> set[str]:
        """_NET_WM_STATE, by atom name (e.g. _NET_WM_STATE_MODAL)."""
        prop = window.get_full_property(self.atom("_NET_WM_STATE"), Xatom.ATOM)
        return {self.display.get_atom_name(atom) for atom in (prop.value if prop is not None else [])}

    def request_close(self, window: Window) -> None:
        """What a window manager sends when the user clicks a window's close button: WM_DELETE_WINDOW."""
        protocols, delete = self.atom("WM_PROTOCOLS"), self.atom("WM_DELETE_WINDOW")
        supported = window.get_wm_protocols() or []
        assert delete in supported, "the window does not accept WM_DELETE_WINDOW"
        message = event.ClientMessage(window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(message, event_mask=X.NoEventMask)
        self.display.flush()

    def focus(self, window: Window, timeout: float = 5.0) -> None:
        """Gives `window` the keyboard, as a click on it would (there is no window manager to do it)."""
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.display.sync()
        deadline = time.monotonic() + timeout
        while self.display.get_input_focus().focus.id != window.id:
            assert time.monotonic() < deadline, "the window did not take the keyboard"
            time.sleep(0.05)
        time.sleep(0.3)  # Qt activates the window on its FocusIn; keys sent before that are dropped

    def click(self, window: Window, x: int, y: int) -> None:
        """A left click at (x, y) inside `window`, through XTest, where the pointer of a person would go."""
        on_screen = self.display.screen().root.translate_coords(window, x, y)
        xtest.fake_input(self.display, X.MotionNotify, x=on_screen.x, y=on_screen.y)
        xtest.fake_input(self.display, X.ButtonPress, 1)
        xtest.fake_input(self.display, X.ButtonRelease, 1)
        self.display.sync()
        time.sleep(0.2)  # the page takes the click (and the keyboard focus it gives) before the next input

    def screenshot(self, window: Window, path: Path) -> None:
        """Saves what `window` shows as a PNG (Qt only encodes it; the pixels come from the X server)."""
        from PySide6.QtGui import QImage

        geometry = window.get_geometry()
        pixels = window.get_image(0, 0, geometry.width, geometry.height, X.ZPixmap, 0xFFFFFFFF).data
        image = QImage(pixels, geometry.width, geometry.height, geometry.width * 4, QImage.Format.Format_RGB32)
        assert image.save(str(path)), f"could not write {path}"

    def press(self, key: str) -> None:
        """Presses and releases one key, by its X keysym name ("Tab", "Return") or as the character it types."""
        keysym = XK.string_to_keysym(key) or XK.string_to_keysym(_KEYSYM_NAMES[key])
        keycode = self.display.keysym_to_keycode(keysym)
        shifted = self.display.keycode_to_keysym(keycode, 0) != keysym
        shift = self.display.keysym_to_keycode(XK.XK_Shift_L)
        if shifted:
            xtest.fake_input(self.display, X.KeyPress, shift)
        xtest.fake_input(self.display, X.KeyPress, keycode)
        xtest.fake_input(self.display, X.KeyRelease, keycode)
        if shifted:
            xtest.fake_input(self.display, X.KeyRelease, shift)
        self.display.sync()
        time.sleep(0.02)  # one keystroke at a time, as typed: the page handles each before the next

    def type(self, text: str) -> None:
        for character in text:
            self.press(character)


# The keysym names of the characters typed in the tests whose name is not the character itself.
_KEYSYM_NAMES = {" ": "space", "@": "at", ".": "period", "-": "minus", "_": "underscore", "+": "plus"}


@contextmanager
def screen(display: str) -> Iterator[Screen]:
    connection = Display(display)
    try:
        yield Screen(connection)
    finally:
        connection.close()
