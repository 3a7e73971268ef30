#!/usr/bin/env python3
"""Generate resources/screen_text/: the bitmap fonts Linux text consoles are drawn with, from
the fonts' own files, for ovhkvm_desktop/screen_text (reading a console's text off its screen).

Regenerate with (Debian: apt-get install console-setup-linux seabios; the test bed's guest
built once by tools/testbed/build-guest.sh, for its kernel):

    .venv/bin/python tools/gen_fonts.py [--kernel PATH/TO/vmlinuz]

Sources, each the very bytes a screen is drawn from:

- console-setup's PSF fonts (/usr/share/consolefonts, package console-setup-linux): what Debian
  and Ubuntu load at boot; their Unicode tables say which characters each glyph draws.
- The VGA BIOS font that QEMU's `-vga std` text mode shows until the guest loads another one:
  SeaBIOS's vgabios-stdvga.bin (package seabios), the ROM QEMU itself loads. Its 8x16 and 8x8
  tables are found in the ROM by their first two glyphs (an empty glyph, then the 'smiley' of
  code page 437), which must occur exactly once.
- The kernel's built-in VGA8x16 and VGA8x8 fonts (lib/fonts/font_8x16.c, font_8x8.c), which
  fbcon uses on a framebuffer until console-setup loads a font: read from the test bed's own
  Debian kernel (its vmlinuz is decompressed and searched the same way). They are NOT the
  SeaBIOS font: the two differ in dozens of glyphs ('0', 'M', 'V', ...), so both are kept.

The BIOS and kernel fonts are code page 437 fonts, and Linux draws with them through its default
Unicode map (drivers/tty/vt/cp437.uni, compiled into the kernel as consolemap_deftbl.c's
dfont_unitable and dfont_unicount), for vgacon and fbcon alike: that map is read from the same
kernel image (found by its entries for glyphs 1-8, the smiley to the inverse bullet, and the
256 counts that follow the table), so glyph 0xED draws phi and also o-slash, as on the guest's
screen. Code points below U+0020 (controls) are left out, and so is U+FFFD (see below).

- GRUB's gfxterm font (/usr/share/grub/unicode.pf2, package grub-common: GNU Unifont converted
  by grub-mkfont), which Debian's GRUB menu is drawn with on a graphical screen: its narrow
  (8-pixel) glyphs of the alphabets, punctuation, arrows, box drawing and blocks, each placed in
  its 8x16 cell as gfxterm does (the glyph's box at its x offset, its bottom at the baseline,
  ascent pixels down, less its y offset). Characters come from the font's own index.

Each font becomes one JSON file: name, cell size, where it came from, its licence, and its
glyphs as [index, bitmap (hex, rows top to bottom, ceil(width/8) bytes a row), characters].
Characters that a PSF maps only through a combining sequence are left out, and so is U+FFFD
(the glyph a console shows for a character its font lacks).
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "resources" / "screen_text"
CONSOLEFONTS = Path("/usr/share/consolefonts")
SEABIOS_VGA = Path("/usr/share/seabios/vgabios-stdvga.bin")

#: console-setup fonts to ship: the 16-pixel faces Debian's default configuration picks
#: (FONTFACE Fixed, Terminus, TerminusBold, VGA with CODESET Lat15 or Uni2), 8-pixel VGA, and
#: Terminus at 32x16, the size chosen for high-resolution screens.
PSF_FONTS = [
    "Uni2-VGA16", "Lat15-VGA16", "Uni2-Fixed16", "Lat15-Fixed16", "Uni2-Terminus16",
    "Lat15-Terminus16", "Uni2-TerminusBold16", "Lat15-TerminusBold16", "Uni2-VGA8", "Lat15-VGA8",
    "Uni2-TerminusBold32x16", "Lat15-TerminusBold32x16", "Uni2-Terminus32x16",
    "Lat15-Terminus32x16",
]  # fmt: skip

CONSOLE_SETUP_LICENCE = (
    "console-setup's fonts (package console-setup-linux): 'All console fonts are public domain"
    " by nature' (Debian's copyright.fonts); the VGA faces come from Dmitry Bolkhovityanov's"
    " u_vga16 (MIT-style licence), Terminus from Dimitar Zhekov's Terminus Font (SIL OFL 1.1,"
    " Reserved Font Name 'Terminus Font'),"
    " Fixed from the public-domain X11 misc-fixed fonts. See LICENCES.md."
)
SEABIOS_LICENCE = (
    "SeaBIOS's VGA BIOS fonts (vgasrc/vgafonts.c): public domain (Debian's copyright file of"
    " seabios). See LICENCES.md."
)
KERNEL_LICENCE = "Linux (lib/fonts/font_8x16.c, font_8x8.c): GPL-2.0. See LICENCES.md."
GRUB_PF2 = Path("/usr/share/grub/unicode.pf2")
GRUB_LICENCE = (
    "GRUB's unicode.pf2 (package grub-common, GPL-3.0-or-later per Debian's copyright file),"
    " built from GNU Unifont's glyphs (GPL-2.0-or-later with the GNU font embedding exception,"
    " also SIL OFL 1.1). See LICENCES.md."
)
#: The characters taken from GRUB's font: what a boot menu shows (Latin, Greek, Cyrillic,
#: punctuation, currency, letter-like symbols, arrows, maths, box drawing, blocks, shapes).
GRUB_RANGES = [
    (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x2010, 0x205E),
    (0x20A0, 0x20C0), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2500, 0x25FF),
]  # fmt: skip

#: The first 2 glyphs of a CP437 font: an empty one, then the smiley (U+263A).
SMILEY = {16: bytes(16) + bytes.fromhex("00007e81a58181bd9981817e00000000"),
          8: bytes(8) + bytes.fromhex("7e81a581bd99817e")}  # fmt: skip


@dataclass
class Font:
    name: str
    width: int
    height: int
    source: str
    licence: str
    bitmaps: list[bytes]
    chars: list[str] = field(default_factory=list)
    #: Whether VGA text mode may show it (in 9-pixel cells too): not GRUB's graphical font.
    vga_text: bool = True


def read_psf(path: Path) -> tuple[int, int, list[bytes], list[str]]:
    """(width, height, glyph bitmaps, each glyph's characters) of a PSF1 or PSF2 file."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if data[:2] == b"\x36\x04":
        mode, size = data[2], data[3]
        count, width, height = (512 if mode & 1 else 256), 8, size
        start = 4
        has_table = bool(mode & 6)
    elif data[:4] == b"\x72\xb5\x4a\x86":
        _, start, flags, count, size, height, width = struct.unpack("<7I", data[4:32])
        has_table = bool(flags & 1)
    else:
        raise SystemExit(f"{path}: not a PSF font")
    bitmaps = [data[start + i * size : start + (i + 1) * size] for i in range(count)]
    chars = [""] * count
    table = data[start + count * size :]
    if has_table:
        if data[:2] == b"\x36\x04":
            values = struct.unpack(f"<{len(table) // 2}H", table[: len(table) // 2 * 2])
            glyph, in_sequence = 0, False
            for value in values:
                if glyph >= count:
                    break
                if value == 0xFFFF:
                    glyph, in_sequence = glyph + 1, False
                elif value == 0xFFFE:
                    in_sequence = True
                elif not in_sequence:
                    chars[glyph] += chr(value)
        else:
            for glyph, entry in enumerate(table.split(b"\xff")[:count]):
                singles = entry.split(b"\xfe")[0]
                chars[glyph] = singles.decode("utf-8")
    # U+FFFD names the glyph a console shows for characters the font lacks, not a character the
    # screen holds (and the reader marks unreadable cells with it).
    chars = [c.replace("\ufffd", "") for c in chars]
    return width, height, bitmaps, chars


def read_grub_font(path: Path) -> tuple[int, int, list[bytes], list[str]]:
    """(width, height, cell bitmaps, each cell's characters) of GRUB's PF2 font: the narrow
    glyphs of GRUB_RANGES drawn in gfxterm's cells (width: the widest printable ASCII glyph's
    advance; height: the font's maximum height), identical cells merged."""
    data = path.read_bytes()
    sections: dict[str, bytes] = {}
    pos = 0
    while pos + 8 <= len(data):
        name, length = (
            data[pos : pos + 4].decode("ascii"),
            struct.unpack(">I", data[pos + 4 : pos + 8])[0],
        )
        if name == "DATA":
            break
        sections[name] = data[pos + 8 : pos + 8 + length]
        pos += 8 + length
    if sections.get("FILE") != b"PFF2":
        raise SystemExit(f"{path}: not a GRUB PF2 font")
    ascent = struct.unpack(">H", sections["ASCE"])[0]
    height = struct.unpack(">H", sections["MAXH"])[0]
    glyphs = {}
    for k in range(0, len(sections["CHIX"]), 9):
        code, _, offset = struct.unpack(">IBI", sections["CHIX"][k : k + 9])
        w, h, x_offset, y_offset, advance = struct.unpack(">HHhhh", data[offset : offset + 10])
        bits = np.unpackbits(
            np.frombuffer(data[offset + 10 : offset + 10 + (w * h + 7) // 8], np.uint8)
        )
        glyphs[code] = (w, h, x_offset, y_offset, advance, bits[: w * h].reshape(h, w))
    width = max(glyphs[c][4] for c in range(0x20, 0x7F) if c in glyphs)
    cells: dict[bytes, str] = {}
    for first, last in GRUB_RANGES:
        for code in range(first, last + 1):
            if code not in glyphs or not chr(code).isprintable():
                continue
            w, h, x_offset, y_offset, advance, bitmap = glyphs[code]
            if advance != width:
                continue  # wide glyphs take two cells
            cell = np.zeros((height, width), np.uint8)
            top, left = ascent - h - y_offset, x_offset
            if top < 0 or left < 0 or top + h > height or left + w > width:
                continue  # drawn outside its cell (never seen among these)
            cell[top : top + h, left : left + w] = bitmap
            key = np.packbits(cell, axis=1).tobytes()
            cells[key] = cells.get(key, "") + chr(code)
    return width, height, list(cells), list(cells.values())


def find_cp437_font(blob: bytes, height: int, what: str) -> list[bytes]:
    signature = SMILEY[height]
    first = blob.find(signature)
    if first < 0 or blob.find(signature, first + 1) >= 0:
        raise SystemExit(f"{what}: the {height}-pixel CP437 font is not found exactly once")
    return [blob[first + i * height : first + (i + 1) * height] for i in range(256)]


def decompress_kernel(path: Path) -> bytes:
    """The kernel image inside a bzImage (Debian compresses it with xz)."""
    blob = path.read_bytes()
    start = blob.find(b"\xfd7zXZ\x00")
    if start < 0:
        raise SystemExit(f"{path}: no xz-compressed kernel inside")
    return lzma.LZMADecompressor().decompress(blob[start:])


def kernel_unicode_map(image: bytes) -> list[str]:
    """The characters each glyph of the default font draws, by the kernel's default map."""
    first = struct.pack("<9H", 0x263A, 0x263B, 0x2665, 0x2666, 0x25C6, 0x2663, 0x2660, 0x2022,
                        0x25D8)  # fmt: skip
    at = image.find(first)
    if at < 2 or image.find(first, at + 1) >= 0 or image[at - 2 : at] != b"\0\0":
        raise SystemExit("the kernel's default Unicode map (dfont_unitable) is not found once")
    table = at - 2  # glyph 0 draws U+0000
    for counts_at in range(table + 2 * 256, table + 4096):
        counts = image[counts_at : counts_at + 256]
        total = sum(counts)
        if all(1 <= c <= 16 for c in counts) and 0 <= counts_at - (table + 2 * total) < 16:
            break
    else:
        raise SystemExit("the kernel's default Unicode map's counts (dfont_unicount) are not found")
    values = struct.unpack(f"<{total}H", image[table : table + 2 * total])
    chars, i = [], 0
    for count in counts:
        chars.append("".join(chr(v) for v in values[i : i + count] if 0x20 <= v != 0xFFFD))
        i += count
    return chars


def _dump(document: dict) -> str:
    """JSON with one glyph a line: diffs of a regenerated font stay readable."""
    head = {key: value for key, value in document.items() if key != "glyphs"}
    lines = [json.dumps(glyph, ensure_ascii=False) for glyph in document["glyphs"]]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    return text + ',\n "glyphs": [\n' + ",\n".join(lines) + "\n ]\n}\n"


def package_version(package: str) -> str:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def default_kernel() -> Path:
    sys.path.insert(0, str(REPO))
    from tests.testbed import testbed_dir

    return testbed_dir() / "vmlinuz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kernel", type=Path, help="the Debian vmlinuz to take fbcon's fonts from")
    args = parser.parse_args()
    kernel = args.kernel or default_kernel()

    fonts: list[Font] = []
    console_setup = f"console-setup-linux {package_version('console-setup-linux')}"
    for name in PSF_FONTS:
        path = CONSOLEFONTS / f"{name}.psf.gz"
        width, height, bitmaps, chars = read_psf(path)
        source = f"{path} ({console_setup})"
        fonts.append(Font(name, width, height, source, CONSOLE_SETUP_LICENCE, bitmaps, chars))

    rom = SEABIOS_VGA.read_bytes()
    seabios = f"{SEABIOS_VGA} (seabios {package_version('seabios')})"
    image = decompress_kernel(kernel)
    version_file = kernel.with_name("kernel-version")
    kernel_name = version_file.read_text().strip() if version_file.exists() else kernel.name
    cp437 = kernel_unicode_map(image)
    for name, blob, height, source, licence in [
        ("VGA-BIOS-8x16", rom, 16, seabios, SEABIOS_LICENCE),
        ("VGA-BIOS-8x8", rom, 8, seabios, SEABIOS_LICENCE),
        ("Linux-VGA8x16", image, 16, f"{kernel_name} built-in font_vga_8x16", KERNEL_LICENCE),
        ("Linux-VGA8x8", image, 8, f"{kernel_name} built-in font_vga_8x8", KERNEL_LICENCE),
    ]:
        bitmaps = find_cp437_font(blob, height, source)
        fonts.append(Font(name, 8, height, source, licence, bitmaps, cp437))

    width, height, bitmaps, chars = read_grub_font(GRUB_PF2)
    grub = f"{GRUB_PF2} (grub-common {package_version('grub-common')})"
    fonts.append(
        Font("GRUB-Unifont-8x16", width, height, grub, GRUB_LICENCE, bitmaps, chars, vga_text=False)
    )

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for font in fonts:
        glyphs = [
            [index, bitmap.hex(), chars]
            for index, (bitmap, chars) in enumerate(zip(font.bitmaps, font.chars, strict=True))
            if chars
        ]
        document = {
            "name": font.name,
            "width": font.width,
            "height": font.height,
            "source": font.source,
            "licence": font.licence,
            "generator": "tools/gen_fonts.py",
            "vga_text": font.vga_text,
            "glyphs": glyphs,
        }
        path = OUT_DIR / f"{font.name}.json"
        path.write_text(_dump(document), "utf-8")
        print(f"{path.relative_to(REPO)}: {len(glyphs)} glyphs, {font.width}x{font.height}")

    # What equals what (the reader keeps them apart only where they differ).
    by_name = {font.name: font for font in fonts}
    for a, b in [("Linux-VGA8x16", "VGA-BIOS-8x16"), ("Linux-VGA8x8", "VGA-BIOS-8x8")]:
        differ = [i for i in range(256) if by_name[a].bitmaps[i] != by_name[b].bitmaps[i]]
        print(f"{a} vs {b}: {len(differ)} of 256 glyphs differ")
    for name in ("Uni2-VGA16", "Lat15-VGA16"):
        psf = {bitmap for bitmap, chars in zip(by_name[name].bitmaps, by_name[name].chars,
                                               strict=True) if chars}  # fmt: skip
        for cp437 in ("Linux-VGA8x16", "VGA-BIOS-8x16"):
            missing = sum(bitmap not in psf for bitmap in by_name[cp437].bitmaps)
            print(f"{cp437}: {256 - missing} of 256 glyphs also in {name}")


if __name__ == "__main__":
    main()
