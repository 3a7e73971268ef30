"""What typing costs: the client's overhead per character, and characters per second end to end.

Run ``.venv/bin/python bench/keyboard.py [--repeat N] [--chars N] [--no-e2e]``.

1. Client overhead, per guest layout (us, fr, de, be, ch(fr), gb, es, it): a 10,000-character
   mixed text (words of ASCII letters, digits and punctuation, spaces, newlines and tabs, and one
   character in five drawn from everything the layout types, dead-key compositions included) is
   translated into key events by a fresh ``KeyTranslator`` (what ``ovhkvm-desktop type`` does)
   and each event encoded into its wire message (a QEMU extended key event, or a plain KeyEvent
   with ``--no-extended-keys``). CPU time, best of N runs, per character of the text; the target
   is under 1 ms. The peer is what a keysym-only client does for the same text (vncdotool,
   asyncvnc): look each character's keysym up and pack a down and an up KeyEvent.
2. End to end, with the default ``--delay-ms``: the test bed's fr console guest boots, and
   ``ovhkvm-desktop type`` (a subprocess, as a user runs it) types 300 characters of the same
   kind (those the guest's console can type) into it; the clock runs from the command's start
   until the guest's tty has received every byte (read off its serial port), and also from the
   first byte received to the last (the typing itself, without start-up and connection).

Progress goes to stderr, the report (markdown) to stdout.
"""

from __future__ import annotations

import argparse
import functools
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ovhkvm_desktop.keyboard import keysyms  # noqa: E402
from ovhkvm_desktop.keyboard.layouts import load_layout  # noqa: E402
from ovhkvm_desktop.keyboard.translator import KeyTranslator  # noqa: E402
from ovhkvm_desktop.rfb import messages  # noqa: E402
from ovhkvm_desktop.session import DEFAULT_KEY_DELAY_MS  # noqa: E402

LAYOUTS = ("us", "fr", "de", "be", "ch(fr)", "gb", "es", "it")
E2E_LAYOUT = "fr"
ASCII_WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ASCII_SIGNS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mixed_text(chars: list[str], length: int, seed: int = 1) -> str:
    """Words and signs of ASCII, with one character in five from `chars`, and line breaks."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < length:
        word = "".join(
            rng.choice(chars) if rng.random() < 0.2 else rng.choice(ASCII_WORD)
            for _ in range(rng.randint(1, 9))
        )
        if rng.random() < 0.3:
            word += rng.choice(ASCII_SIGNS)
        separator = rng.choices([" ", "\n", "\t"], weights=[20, 2, 1])[0]
        out.append(word + separator)
        size += len(word) + 1
    return "".join(out)[:length]


def encode(events, extended: bool) -> int:
    """Every event as its wire message; the number of bytes (so nothing is optimised away)."""
    if extended:
        pack = messages.qemu_extended_key_event
        return sum(len(pack(e.down, e.keysym, e.scancode)) for e in events)
    pack_plain = messages.key_event
    return sum(len(pack_plain(e.down, e.keysym)) for e in events)


def best_of(repeat: int, work) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.process_time()
        result = work()
        best = min(best, time.process_time() - start)
    return best, result


def overhead(layout: str, length: int, repeat: int) -> dict[str, float]:
    guest = load_layout(layout)  # loaded (and cached) outside the clock, like a running client
    chars = sorted(c for c in guest.typeable_chars() if c.isprintable())
    text = mixed_text(chars, length)
    row: dict[str, float] = {}
    for extended in (True, False):
        name = "ext" if extended else "plain"

        def translate(extended: bool = extended):
            return KeyTranslator(layout, extended_keys=extended).type_text(text)

        t_translate, typed = best_of(repeat, translate)
        events = typed.events  # type: ignore[attr-defined]
        assert not typed.unsupported, (layout, typed.unsupported)  # type: ignore[attr-defined]
        encoder = functools.partial(encode, events, extended)
        t_encode, _ = best_of(repeat, encoder)
        row[f"{name}_translate"] = t_translate / len(text) * 1e6
        row[f"{name}_encode"] = t_encode / len(text) * 1e6
        row[f"{name}_events"] = len(events) / len(text)

    def peer() -> int:
        total = 0
        for char in text:
            keysym = keysyms.keysym_for_char(char)
            total += len(messages.key_event(True, keysym)) + len(messages.key_event(False, keysym))
        return total

    t_peer, _ = best_of(repeat, peer)
    row["peer"] = t_peer / len(text) * 1e6
    return row


def end_to_end(length: int) -> dict[str, float | str]:
    from tests.e2e.test_typing_e2e import layout_text
    from tests.testbed import QemuGuest, build_guest

    guest_dir = build_guest()
    offered = sorted(c for c in layout_text(guest_dir, E2E_LAYOUT) if c not in "\t\n")
    text = mixed_text(offered, length, seed=2).replace("\t", " ")
    expected = text.replace("\n", "\r").encode()
    log(f"booting the {E2E_LAYOUT} console guest ...")
    with QemuGuest(mode="console", keymap=E2E_LAYOUT, boot_timeout=180) as guest:
        events = len(KeyTranslator(E2E_LAYOUT).type_text(text).events)
        log(f"typing {len(text)} characters ({events} key events) ...")
        mark = guest.serial_mark()
        start = time.monotonic()
        command = [sys.executable, "-m", "ovhkvm_desktop", "type", guest.vnc_url, "--stdin"]
        proc = subprocess.Popen(
            [*command, "--layout", E2E_LAYOUT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        proc.stdin.write(text)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        first = last = None
        got = b""
        deadline = start + 120 + events * DEFAULT_KEY_DELAY_MS / 1000
        while time.monotonic() < deadline:
            got = guest.received_bytes(mark)
            now = time.monotonic()
            if got and first is None:
                first = now
            if len(got) >= len(expected):
                last = now
                break
            time.sleep(0.005)
        proc.wait(timeout=60)
        time.sleep(0.3)
        got = guest.received_bytes(mark)
    if last is None or first is None:
        return {"problem": f"only {len(got)} of {len(expected)} bytes arrived"}
    return {
        "chars": len(text),
        "events": events,
        "exact": "yes" if got == expected else f"NO ({len(got)}/{len(expected)} bytes)",
        "total_s": last - start,
        "typing_s": last - first,
        "status": proc.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, best kept (5)")
    parser.add_argument("--chars", type=int, default=10_000, help="text length (10000)")
    parser.add_argument("--e2e-chars", type=int, default=300, help="end-to-end text (300)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the QEMU part")
    args = parser.parse_args()

    rows = {}
    for layout in LAYOUTS:
        log(f"translating and encoding {args.chars} characters for {layout} ...")
        rows[layout] = overhead(layout, args.chars, args.repeat)

    print(f"## Client overhead per typed character ({args.chars:,}-character mixed text)\n")
    print(
        f"CPU time, best of {args.repeat}; translation (a fresh KeyTranslator, `type_text`)"
        " + encoding of every event to its wire message. Target: < 1000 µs/char.\n"
    )
    print(
        "| layout | events/char | translate µs/char | encode µs/char | **total µs/char** |"
        " plain KeyEvents: total µs/char | peer (keysym-only client) µs/char |"
    )
    print("|---|---|---|---|---|---|---|")
    for layout, r in rows.items():
        total = r["ext_translate"] + r["ext_encode"]
        plain = r["plain_translate"] + r["plain_encode"]
        print(
            f"| {layout} | {r['ext_events']:.2f} | {r['ext_translate']:.1f}"
            f" | {r['ext_encode']:.2f} | **{total:.1f}** | {plain:.1f} | {r['peer']:.2f} |"
        )
    worst = max(r["ext_translate"] + r["ext_encode"] for r in rows.values())
    print(f"\nWorst layout: {worst:.1f} µs/char, {1000 / worst:.0f}x under the 1 ms target.")

    if not args.no_e2e:
        e2e = end_to_end(args.e2e_chars)
        print(f"\n## End to end: `ovhkvm-desktop type` into the {E2E_LAYOUT} console guest\n")
        if "problem" in e2e:
            print(f"Failed: {e2e['problem']}")
            return 1
        chars, events = float(e2e["chars"]), float(e2e["events"])
        total, typing = float(e2e["total_s"]), float(e2e["typing_s"])
        pace = events * DEFAULT_KEY_DELAY_MS / 1000
        print(
            f"Default --delay-ms {DEFAULT_KEY_DELAY_MS:g}; {chars:.0f} characters,"
            f" {events:.0f} key events ({events / chars:.2f}/char); arrived exactly:"
            f" {e2e['exact']}; exit status {e2e['status']}.\n"
        )
        print("| measured | seconds | characters/s |")
        print("|---|---|---|")
        print(f"| command start → last byte on the guest | {total:.2f} | {chars / total:.1f} |")
        print(f"| first byte → last byte (typing only) | {typing:.2f} | {chars / typing:.1f} |")
        print(f"| the pacing alone (events × delay) | {pace:.2f} | {chars / pace:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
