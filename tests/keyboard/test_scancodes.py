"""Native key codes → XT scancodes, and the Windows AltGr merge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ovhkvm_desktop.keyboard import scancodes
from ovhkvm_desktop.keyboard.scancode_tables import EVDEV_TO_XT, MACOS_TO_XT

QEMU_EN_US = Path("/usr/share/qemu/keymaps/en-us")


def test_evdev_table_agrees_with_qemus_own_numbering() -> None:
    """QEMU's keymap files say, for each evdev key, the number its extended key event takes."""
    assert QEMU_EN_US.exists(), "QEMU's keymaps are missing: tools/testbed/install-deps.sh"
    pattern = re.compile(r"^# evdev (\d+) \(0x[0-9a-f]+\), QKeyCode \"\w+\", number (0x[0-9a-f]+)")
    compared = 0
    for line in QEMU_EN_US.read_text().splitlines():
        if match := pattern.match(line):
            evdev, number = int(match.group(1)), int(match.group(2), 16)
            if evdev in EVDEV_TO_XT:
                assert EVDEV_TO_XT[evdev] == number, f"evdev {evdev}"
                compared += 1
    assert compared >= 130


@pytest.mark.parametrize(
    ("keycode", "xt"),
    [(38, 0x1E), (9, 0x01), (50, 0x2A), (94, 0x56), (108, 0xB8), (105, 0x9D), (104, 0x9C),
     (127, 0xC6), (107, 0x54), (77, 0x45), (133, 0xDB), (135, 0xDD), (113, 0xCB), (119, 0xD3)],
)  # fmt: skip
def test_x11_and_wayland_keycodes(keycode: int, xt: int) -> None:
    assert scancodes.from_xkb_keycode(keycode) == xt
    assert scancodes.from_native("linux", keycode) == xt
    assert scancodes.to_evdev(xt) == keycode - 8


@pytest.mark.parametrize(
    ("native", "xt"),
    [(0x1E, 0x1E), (0x138, 0xB8), (0x11D, 0x9D), (0x11C, 0x9C), (0x14B, 0xCB), (0x153, 0xD3),
     (0x15B, 0xDB), (0x045, 0xC6), (0x146, 0xC6), (0x145, 0x45), (0x137, 0x54), (0x054, 0x54),
     (0x136, 0x36), (0x056, 0x56), (0x12A, None), (0x000, None)],
)  # fmt: skip
def test_windows_scancodes(native: int, xt: int | None) -> None:
    assert scancodes.from_windows_scancode(native) == xt
    assert scancodes.from_native("win32", native) == xt


@pytest.mark.parametrize(
    ("virtual_key", "xt"),
    [(0x00, 0x1E), (0x0C, 0x10), (0x32, 0x29), (0x0A, 0x56), (0x3A, 0x38), (0x3D, 0xB8),
     (0x37, 0xDB), (0x36, 0xDC), (0x33, 0x0E), (0x75, 0xD3), (0x72, 0xD2), (0x47, 0x45),
     (0x4C, 0x9C), (0x7B, 0xCB), (0x6F, 0x58)],
)  # fmt: skip
def test_macos_virtual_keys(virtual_key: int, xt: int) -> None:
    assert scancodes.from_macos_virtual_key(virtual_key) == xt
    assert scancodes.from_native("darwin", 0, virtual_key) == xt


def test_tables_have_no_duplicate_positions() -> None:
    assert len(set(EVDEV_TO_XT.values())) == len(EVDEV_TO_XT)
    assert len(set(MACOS_TO_XT.values())) == len(MACOS_TO_XT)


def test_altgr_merge_drops_the_fake_ctrl() -> None:
    merger: scancodes.AltGrMerger[str] = scancodes.AltGrMerger()
    assert merger.feed(True, 0x1D, 1000.0, "ctrl down") == []
    assert merger.feed(True, 0xB8, 1000.0, "altgr down") == ["altgr down"]
    # Windows repeats both while AltGr is held, and releases both.
    assert merger.feed(True, 0x1D, 1500.0, "ctrl repeat") == []
    assert merger.feed(True, 0xB8, 1500.0, "altgr repeat") == ["altgr repeat"]
    assert merger.feed(True, 0x12, 1510.0, "e down") == ["e down"]
    assert merger.feed(False, 0x12, 1520.0, "e up") == ["e up"]
    assert merger.feed(False, 0x1D, 1600.0, "ctrl up") == []
    assert merger.feed(False, 0xB8, 1600.0, "altgr up") == ["altgr up"]
    # A real Ctrl afterwards goes through again.
    assert merger.feed(True, 0x1D, 2000.0, "ctrl down") == []
    assert merger.feed(True, 0x2E, 2005.0, "c down") == ["ctrl down", "c down"]


def test_altgr_merge_lets_a_lone_ctrl_through_after_50_ms() -> None:
    merger: scancodes.AltGrMerger[str] = scancodes.AltGrMerger()
    assert merger.feed(True, 0x1D, 0.0, "ctrl") == []
    assert merger.expire(40.0) == []
    assert merger.expire(51.0) == ["ctrl"]
    assert merger.feed(True, 0xB8, 60.0, "right alt") == ["right alt"]  # too late: Alt
    assert merger.feed(False, 0xB8, 70.0, "right alt up") == ["right alt up"]
    assert merger.feed(True, 0x1D, 100.0, "ctrl") == []
    assert merger.feed(True, 0xB8, 160.0, "alt") == ["ctrl", "alt"]
    assert merger.feed(True, 0x1D, 200.0, "ctrl2") == []
    assert merger.flush() == ["ctrl2"]
