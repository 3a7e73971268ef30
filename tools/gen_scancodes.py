#!/usr/bin/env python3
"""Generate ovhkvm_desktop/keyboard/scancode_tables.py: Linux evdev and macOS key codes → XT set 1.

Regenerate with (Debian: apt-get install linux-libc-dev; qemu-system-data for the cross-check):

    .venv/bin/python tools/gen_scancodes.py

Sources, all of them facts rather than code:
- the Linux key names and numbers are read from <linux/input-event-codes.h> (linux-libc-dev);
- Linux keycodes 1–83 and 86–88 *are* the XT set-1 make codes of the same keys: the kernel's
  keycodes were defined from the PC/XT scancodes, and atkbd's set-2 → keycode translation keeps
  them so. The other keys are listed below by name with their set-1 code from Microsoft's
  "Keyboard Scan Code Specification" (and its USB HID → PS/2 translation table). A two-byte
  `E0 xx` code is written `0x80 | xx`, QEMU's extended key event convention; Pause (E1 1D 45,
  or E0 46 with Ctrl) is 0xC6 and Print Screen (E0 2A E0 37; SysRq with Alt) is 0x54, as QEMU
  numbers them;
- macOS virtual key codes are Apple's `kVK_*` constants (HIToolbox/Events.h), paired with the
  key at the same place on a PC keyboard (the pairing the W3C UI Events "code" table gives).

When QEMU's generated keymaps are installed (/usr/share/qemu/keymaps/en-us, package
qemu-system-data), their "# evdev N ..., number 0xXX" comments are compared with this table
and any disagreement stops the generator.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "ovhkvm_desktop" / "keyboard" / "scancode_tables.py"
INPUT_EVENT_CODES = Path("/usr/include/linux/input-event-codes.h")
QEMU_EN_US = Path("/usr/share/qemu/keymaps/en-us")

# Keys whose Linux code is not their set-1 code (name → set-1 code, E0 xx as 0x80|xx).
XT_BY_NAME: dict[str, int] = {
    # Japanese / Brazilian keys (single-byte codes).
    "KEY_RO": 0x73,
    "KEY_HIRAGANA": 0x77,
    "KEY_HENKAN": 0x79,
    "KEY_KATAKANAHIRAGANA": 0x70,
    "KEY_MUHENKAN": 0x7B,
    "KEY_YEN": 0x7D,
    "KEY_KPCOMMA": 0x7E,
    "KEY_KPEQUAL": 0x59,
    # F13–F24 are left out: the specification gives them 0x64–0x6E and 0x76, but QEMU numbers
    # those codes as other keys (0x64 is its "open"), so they would not arrive as F-keys.
    # The E0-prefixed keys of the 101/102/104/105-key keyboards.
    "KEY_KPENTER": 0x80 | 0x1C,
    "KEY_RIGHTCTRL": 0x80 | 0x1D,
    "KEY_KPSLASH": 0x80 | 0x35,
    "KEY_SYSRQ": 0x54,
    "KEY_RIGHTALT": 0x80 | 0x38,
    "KEY_HOME": 0x80 | 0x47,
    "KEY_UP": 0x80 | 0x48,
    "KEY_PAGEUP": 0x80 | 0x49,
    "KEY_LEFT": 0x80 | 0x4B,
    "KEY_RIGHT": 0x80 | 0x4D,
    "KEY_END": 0x80 | 0x4F,
    "KEY_DOWN": 0x80 | 0x50,
    "KEY_PAGEDOWN": 0x80 | 0x51,
    "KEY_INSERT": 0x80 | 0x52,
    "KEY_DELETE": 0x80 | 0x53,
    "KEY_PAUSE": 0xC6,
    "KEY_LEFTMETA": 0x80 | 0x5B,
    "KEY_RIGHTMETA": 0x80 | 0x5C,
    "KEY_COMPOSE": 0x80 | 0x5D,
    # ACPI and multimedia keys (E0-prefixed).
    "KEY_POWER": 0x80 | 0x5E,
    "KEY_SLEEP": 0x80 | 0x5F,
    "KEY_WAKEUP": 0x80 | 0x63,
    "KEY_MUTE": 0x80 | 0x20,
    "KEY_VOLUMEDOWN": 0x80 | 0x2E,
    "KEY_VOLUMEUP": 0x80 | 0x30,
    "KEY_CALC": 0x80 | 0x21,
    "KEY_MAIL": 0x80 | 0x6C,
    "KEY_BOOKMARKS": 0x80 | 0x66,
    "KEY_COMPUTER": 0x80 | 0x6B,
    "KEY_BACK": 0x80 | 0x6A,
    "KEY_FORWARD": 0x80 | 0x69,
    "KEY_NEXTSONG": 0x80 | 0x19,
    "KEY_PLAYPAUSE": 0x80 | 0x22,
    "KEY_PREVIOUSSONG": 0x80 | 0x10,
    "KEY_STOPCD": 0x80 | 0x24,
    "KEY_HOMEPAGE": 0x80 | 0x32,
    "KEY_REFRESH": 0x80 | 0x67,
    "KEY_STOP": 0x80 | 0x68,
    "KEY_SEARCH": 0x80 | 0x65,
    "KEY_MEDIA": 0x80 | 0x6D,
}

# Apple kVK_* constant → the Linux key at the same place. kVK_ISO_Section is the extra key
# of ISO keyboards (next to the left Shift, KEY_102ND); kVK_ANSI_Grave is the key left of 1;
# kVK_Help sits where PC keyboards have Insert, kVK_ANSI_KeypadClear where they have NumLock.
MACOS_KEYS: list[tuple[int, str, str]] = [
    (0x00, "kVK_ANSI_A", "KEY_A"),
    (0x01, "kVK_ANSI_S", "KEY_S"),
    (0x02, "kVK_ANSI_D", "KEY_D"),
    (0x03, "kVK_ANSI_F", "KEY_F"),
    (0x04, "kVK_ANSI_H", "KEY_H"),
    (0x05, "kVK_ANSI_G", "KEY_G"),
    (0x06, "kVK_ANSI_Z", "KEY_Z"),
    (0x07, "kVK_ANSI_X", "KEY_X"),
    (0x08, "kVK_ANSI_C", "KEY_C"),
    (0x09, "kVK_ANSI_V", "KEY_V"),
    (0x0A, "kVK_ISO_Section", "KEY_102ND"),
    (0x0B, "kVK_ANSI_B", "KEY_B"),
    (0x0C, "kVK_ANSI_Q", "KEY_Q"),
    (0x0D, "kVK_ANSI_W", "KEY_W"),
    (0x0E, "kVK_ANSI_E", "KEY_E"),
    (0x0F, "kVK_ANSI_R", "KEY_R"),
    (0x10, "kVK_ANSI_Y", "KEY_Y"),
    (0x11, "kVK_ANSI_T", "KEY_T"),
    (0x12, "kVK_ANSI_1", "KEY_1"),
    (0x13, "kVK_ANSI_2", "KEY_2"),
    (0x14, "kVK_ANSI_3", "KEY_3"),
    (0x15, "kVK_ANSI_4", "KEY_4"),
    (0x16, "kVK_ANSI_6", "KEY_6"),
    (0x17, "kVK_ANSI_5", "KEY_5"),
    (0x18, "kVK_ANSI_Equal", "KEY_EQUAL"),
    (0x19, "kVK_ANSI_9", "KEY_9"),
    (0x1A, "kVK_ANSI_7", "KEY_7"),
    (0x1B, "kVK_ANSI_Minus", "KEY_MINUS"),
    (0x1C, "kVK_ANSI_8", "KEY_8"),
    (0x1D, "kVK_ANSI_0", "KEY_0"),
    (0x1E, "kVK_ANSI_RightBracket", "KEY_RIGHTBRACE"),
    (0x1F, "kVK_ANSI_O", "KEY_O"),
    (0x20, "kVK_ANSI_U", "KEY_U"),
    (0x21, "kVK_ANSI_LeftBracket", "KEY_LEFTBRACE"),
    (0x22, "kVK_ANSI_I", "KEY_I"),
    (0x23, "kVK_ANSI_P", "KEY_P"),
    (0x24, "kVK_Return", "KEY_ENTER"),
    (0x25, "kVK_ANSI_L", "KEY_L"),
    (0x26, "kVK_ANSI_J", "KEY_J"),
    (0x27, "kVK_ANSI_Quote", "KEY_APOSTROPHE"),
    (0x28, "kVK_ANSI_K", "KEY_K"),
    (0x29, "kVK_ANSI_Semicolon", "KEY_SEMICOLON"),
    (0x2A, "kVK_ANSI_Backslash", "KEY_BACKSLASH"),
    (0x2B, "kVK_ANSI_Comma", "KEY_COMMA"),
    (0x2C, "kVK_ANSI_Slash", "KEY_SLASH"),
    (0x2D, "kVK_ANSI_N", "KEY_N"),
    (0x2E, "kVK_ANSI_M", "KEY_M"),
    (0x2F, "kVK_ANSI_Period", "KEY_DOT"),
    (0x30, "kVK_Tab", "KEY_TAB"),
    (0x31, "kVK_Space", "KEY_SPACE"),
    (0x32, "kVK_ANSI_Grave", "KEY_GRAVE"),
    (0x33, "kVK_Delete", "KEY_BACKSPACE"),
    (0x35, "kVK_Escape", "KEY_ESC"),
    (0x36, "kVK_RightCommand", "KEY_RIGHTMETA"),
    (0x37, "kVK_Command", "KEY_LEFTMETA"),
    (0x38, "kVK_Shift", "KEY_LEFTSHIFT"),
    (0x39, "kVK_CapsLock", "KEY_CAPSLOCK"),
    (0x3A, "kVK_Option", "KEY_LEFTALT"),
    (0x3B, "kVK_Control", "KEY_LEFTCTRL"),
    (0x3C, "kVK_RightShift", "KEY_RIGHTSHIFT"),
    (0x3D, "kVK_RightOption", "KEY_RIGHTALT"),
    (0x3E, "kVK_RightControl", "KEY_RIGHTCTRL"),
    (0x40, "kVK_F17", "KEY_F17"),
    (0x41, "kVK_ANSI_KeypadDecimal", "KEY_KPDOT"),
    (0x43, "kVK_ANSI_KeypadMultiply", "KEY_KPASTERISK"),
    (0x45, "kVK_ANSI_KeypadPlus", "KEY_KPPLUS"),
    (0x47, "kVK_ANSI_KeypadClear", "KEY_NUMLOCK"),
    (0x48, "kVK_VolumeUp", "KEY_VOLUMEUP"),
    (0x49, "kVK_VolumeDown", "KEY_VOLUMEDOWN"),
    (0x4A, "kVK_Mute", "KEY_MUTE"),
    (0x4B, "kVK_ANSI_KeypadDivide", "KEY_KPSLASH"),
    (0x4C, "kVK_ANSI_KeypadEnter", "KEY_KPENTER"),
    (0x4E, "kVK_ANSI_KeypadMinus", "KEY_KPMINUS"),
    (0x4F, "kVK_F18", "KEY_F18"),
    (0x50, "kVK_F19", "KEY_F19"),
    (0x51, "kVK_ANSI_KeypadEquals", "KEY_KPEQUAL"),
    (0x52, "kVK_ANSI_Keypad0", "KEY_KP0"),
    (0x53, "kVK_ANSI_Keypad1", "KEY_KP1"),
    (0x54, "kVK_ANSI_Keypad2", "KEY_KP2"),
    (0x55, "kVK_ANSI_Keypad3", "KEY_KP3"),
    (0x56, "kVK_ANSI_Keypad4", "KEY_KP4"),
    (0x57, "kVK_ANSI_Keypad5", "KEY_KP5"),
    (0x58, "kVK_ANSI_Keypad6", "KEY_KP6"),
    (0x59, "kVK_ANSI_Keypad7", "KEY_KP7"),
    (0x5A, "kVK_F20", "KEY_F20"),
    (0x5B, "kVK_ANSI_Keypad8", "KEY_KP8"),
    (0x5C, "kVK_ANSI_Keypad9", "KEY_KP9"),
    (0x5D, "kVK_JIS_Yen", "KEY_YEN"),
    (0x5E, "kVK_JIS_Underscore", "KEY_RO"),
    (0x5F, "kVK_JIS_KeypadComma", "KEY_KPCOMMA"),
    (0x60, "kVK_F5", "KEY_F5"),
    (0x61, "kVK_F6", "KEY_F6"),
    (0x62, "kVK_F7", "KEY_F7"),
    (0x63, "kVK_F3", "KEY_F3"),
    (0x64, "kVK_F8", "KEY_F8"),
    (0x65, "kVK_F9", "KEY_F9"),
    (0x66, "kVK_JIS_Eisu", "KEY_MUHENKAN"),
    (0x67, "kVK_F11", "KEY_F11"),
    (0x68, "kVK_JIS_Kana", "KEY_HENKAN"),
    (0x69, "kVK_F13", "KEY_F13"),
    (0x6A, "kVK_F16", "KEY_F16"),
    (0x6B, "kVK_F14", "KEY_F14"),
    (0x6D, "kVK_F10", "KEY_F10"),
    (0x6E, "kVK_ContextualMenu", "KEY_COMPOSE"),
    (0x6F, "kVK_F12", "KEY_F12"),
    (0x71, "kVK_F15", "KEY_F15"),
    (0x72, "kVK_Help", "KEY_INSERT"),
    (0x73, "kVK_Home", "KEY_HOME"),
    (0x74, "kVK_PageUp", "KEY_PAGEUP"),
    (0x75, "kVK_ForwardDelete", "KEY_DELETE"),
    (0x76, "kVK_F4", "KEY_F4"),
    (0x77, "kVK_End", "KEY_END"),
    (0x78, "kVK_F2", "KEY_F2"),
    (0x79, "kVK_PageDown", "KEY_PAGEDOWN"),
    (0x7A, "kVK_F1", "KEY_F1"),
    (0x7B, "kVK_LeftArrow", "KEY_LEFT"),
    (0x7C, "kVK_RightArrow", "KEY_RIGHT"),
    (0x7D, "kVK_DownArrow", "KEY_DOWN"),
    (0x7E, "kVK_UpArrow", "KEY_UP"),
]


def read_linux_key_codes(path: Path) -> dict[str, int]:
    """KEY_* name → number, as <linux/input-event-codes.h> defines them."""
    codes: dict[str, int] = {}
    pattern = re.compile(r"^#define\s+(KEY_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b")
    for line in path.read_text().splitlines():
        match = pattern.match(line)
        if match:
            codes[match.group(1)] = int(match.group(2), 0)
    return codes


def build_evdev_to_xt(codes: dict[str, int]) -> dict[int, tuple[str, int]]:
    """evdev code → (KEY_ name, XT code)."""
    by_number: dict[int, str] = {}
    for name, number in codes.items():
        # Keep the first name of a number (aliases such as KEY_HANGUEL come later).
        if 0 < number < 0x100:
            by_number.setdefault(number, name)
    table: dict[int, tuple[str, int]] = {}
    for number in [*range(1, 84), 86, 87, 88]:
        table[number] = (by_number[number], number)
    for name, xt in XT_BY_NAME.items():
        table[codes[name]] = (name, xt)
    xts = [xt for _, xt in table.values()]
    duplicates = {xt for xt in xts if xts.count(xt) > 1}
    if duplicates:
        raise SystemExit(f"two keys share XT codes {sorted(duplicates)}")
    return dict(sorted(table.items()))


def cross_check_with_qemu(table: dict[int, tuple[str, int]]) -> int:
    """Compare with QEMU's keymap comments; return how many keys were compared."""
    if not QEMU_EN_US.exists():
        print(f"note: {QEMU_EN_US} absent, QEMU cross-check skipped", file=sys.stderr)
        return 0
    pattern = re.compile(
        r"^# evdev (\d+) \(0x[0-9a-f]+\), QKeyCode \"(\w+)\", number (0x[0-9a-f]+)"
    )
    compared = 0
    for line in QEMU_EN_US.read_text().splitlines():
        match = pattern.match(line)
        if not match:
            continue
        evdev, xt = int(match.group(1)), int(match.group(3), 16)
        if evdev in table:
            compared += 1
            if table[evdev][1] != xt:
                raise SystemExit(
                    f"evdev {evdev} ({table[evdev][0]}): table says {table[evdev][1]:#x}, "
                    f"QEMU says {xt:#x}"
                )
    return compared


def render(evdev_to_xt: dict[int, tuple[str, int]], macos: list[tuple[int, str, int]]) -> str:
    lines = [
        '"""Native key codes → XT set-1 scancodes.',
        "",
        "Generated by tools/gen_scancodes.py: do not edit.",
        "",
        "XT codes follow QEMU's extended key event convention: E0-prefixed keys are 0x80 | code,",
        "Pause is 0xC6 and Print Screen 0x54.",
        '"""',
        "",
        "# Linux evdev key code (XKB keycode − 8) → XT code.",
        "EVDEV_TO_XT: dict[int, int] = {",
    ]
    lines += [f"    {code}: 0x{xt:02X},  # {name}" for code, (name, xt) in evdev_to_xt.items()]
    lines += [
        "}",
        "",
        "# evdev key code → Linux key name, for messages and tests.",
        "EVDEV_NAMES: dict[int, str] = {",
    ]
    lines += [f'    {code}: "{name}",' for code, (name, _) in evdev_to_xt.items()]
    lines += [
        "}",
        "",
        "# macOS virtual key code (kVK_*) → XT code.",
        "MACOS_TO_XT: dict[int, int] = {",
    ]
    lines += [f"    0x{vk:02X}: 0x{xt:02X},  # {name}" for vk, name, xt in macos]
    lines += ["}", ""]
    return "\n".join(lines)


def main() -> None:
    codes = read_linux_key_codes(INPUT_EVENT_CODES)
    evdev_to_xt = build_evdev_to_xt(codes)
    compared = cross_check_with_qemu(evdev_to_xt)
    macos = [
        (vk, name, evdev_to_xt[codes[linux]][1])
        for vk, name, linux in MACOS_KEYS
        if codes[linux] in evdev_to_xt
    ]
    OUTPUT.write_text(render(evdev_to_xt, macos))
    print(
        f"wrote {OUTPUT.relative_to(REPO)}: {len(evdev_to_xt)} evdev keys "
        f"({compared} agree with QEMU's keymaps), {len(macos)} macOS keys"
    )


if __name__ == "__main__":
    main()
