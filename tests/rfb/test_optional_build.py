"""The compiled decoders are optional: where no C compiler works, the package still builds, and
the wheel installs and decodes with the pure-Python decoders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
COMPARES_PATHS = True  # the test is about which path an install gets: it runs once

PROBE = """
import struct
import ovhkvm_desktop
from ovhkvm_desktop.rfb.connection import Connection
from ovhkvm_desktop.rfb.decoders import compiled
conn = Connection(32, 16)
conn.start([5])  # Hextile
conn.data_to_send()
tile = bytes([0x02 | 0x04 | 0x08]) + bytes([0x10, 0x20, 0x30, 0]) + bytes([0xF0, 0xE0, 0xD0, 0])
tile += bytes([1, 0x23, 0x00])  # one foreground pixel at (2, 3)
update = struct.pack(">BxH", 0, 1) + struct.pack(">HHHHi", 0, 0, 16, 16, 5) + tile
conn.receive_bytes(update)
pixels = conn.fb.pixels
print(compiled.built(), compiled.path(), pixels[3, 2].tolist(), pixels[0, 0].tolist())
print(ovhkvm_desktop.__file__)
"""


def test_without_a_compiler_the_wheel_decodes_in_python(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "setup.py"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "ovhkvm_desktop",
        source / "ovhkvm_desktop",
        ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"),
    )
    for data in ("keyboard", "screen_text", "translations"):
        shutil.copytree(
            ROOT / "resources" / data,
            source / "resources" / data,
            ignore=shutil.ignore_patterns("*.qm", "*.mo", "LC_MESSAGES"),  # compiled by the build
        )
    out = tmp_path / "wheel"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVHKVM_")}
    env["CC"] = "/bin/false"  # every compile fails, as on a machine without a C compiler
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = out.glob("ovhkvm_desktop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ovhkvm_desktop/rfb/decoders/hextile.py" in names
    assert not [name for name in names if "_accel" in name and name.endswith((".so", ".pyd"))]

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env.pop("CC")
    env["PYTHONPATH"] = str(site)
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the checkout, whose package would be found first
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # Not built, the Python path; the foreground pixel and the background, as sent (B, G, R, X).
    decoded, imported = run.stdout.splitlines()
    assert decoded == "False python [240, 224, 208, 0] [16, 32, 48, 0]"
    assert Path(imported).is_relative_to(site)
