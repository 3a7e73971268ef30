"""The console engine against QEMU's own VNC server, through the real command line.

The whole suite runs once per data encoding QEMU offers, forcing it with --encodings, so that
every decoder meets real server output; screenshots are compared with the test card pixel by
pixel (within JPEG's tolerance for the lossy run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.testcard import make_testcard
from tests.testbed import TESTCARD_PASSWORD, QemuGuest


@dataclass(frozen=True)
class Forced:
    name: str
    args: tuple[str, ...]
    lossy: bool = False


FORCED = [
    Forced("raw", ("--encodings", "raw")),
    Forced("hextile", ("--encodings", "hextile")),
    Forced("zlib", ("--encodings", "zlib")),
    Forced("zrle", ("--encodings", "zrle")),
    Forced("tight", ("--encodings", "tight")),
    Forced("tightpng", ("--encodings", "tightpng")),
    Forced("tight-jpeg", ("--encodings", "tight", "--quality", "8"), lossy=True),
]


@pytest.fixture(scope="module", params=FORCED, ids=lambda f: f.name)
def forced(request) -> Forced:
    return request.param


@pytest.fixture(scope="session")
def testcard_rgb() -> np.ndarray:
    return make_testcard()[:, :, 2::-1].copy()


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 60):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OVHKVM_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ovhkvm_desktop", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def guest_for(forced: Forced, request) -> QemuGuest:
    return request.getfixturevalue("testcard_guest_lossy" if forced.lossy else "testcard_guest")


def assert_shows_testcard(png: Path, expected: np.ndarray, lossy: bool) -> None:
    got = np.asarray(Image.open(png).convert("RGB"))
    assert got.shape == expected.shape, (
        f"screenshot is {got.shape}, the guest screen {expected.shape}"
    )
    if not lossy:
        wrong = np.argwhere((got != expected).any(axis=2))
        assert len(wrong) == 0, f"{len(wrong)} pixels differ, first at (y, x) {tuple(wrong[0])}"
        return
    error = np.abs(got.astype(int) - expected.astype(int))
    assert error.mean() < 2.0, f"mean error {error.mean():.2f}"
    # Away from the photo, JPEG is not used: most pixels are exact.
    assert (error.max(axis=2) == 0).mean() > 0.6


def screenshot_ok(tmp_path: Path, target: str, forced: Forced, expected, *extra: str, **kw) -> None:
    out = tmp_path / "shot.png"
    result = run_cli("screenshot", target, str(out), *forced.args, *extra, **kw)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_shows_testcard(out, expected, forced.lossy)


def test_screenshot_over_tcp_shows_the_guest_screen(forced, request, tmp_path, testcard_rgb):
    guest = guest_for(forced, request)
    screenshot_ok(tmp_path, f"vnc://{guest.host}:{guest.port}", forced, testcard_rgb)


@pytest.mark.parametrize("forced", [f for f in FORCED if not f.lossy], ids=lambda f: f.name)
def test_screenshot_with_the_vnc_password_from_stdin(
    forced, testcard_guest_password, tmp_path, testcard_rgb
):
    guest = testcard_guest_password
    target = f"{guest.host}:{guest.port}"
    screenshot_ok(
        tmp_path, target, forced, testcard_rgb, "--password-stdin", stdin=TESTCARD_PASSWORD + "\n"
    )


def test_screenshot_through_websockify_with_a_token(
    forced, request, websockify_for, tmp_path, testcard_rgb
):
    guest = guest_for(forced, request)
    ws = websockify_for(guest, token="tok-123")
    screenshot_ok(tmp_path, ws.url("tok-123"), forced, testcard_rgb)


def test_screenshot_through_a_novnc_page_url(
    forced, request, websockify_for, tmp_path, testcard_rgb
):
    guest = guest_for(forced, request)
    ws = websockify_for(guest, token="nova-tok")
    page = f"http://127.0.0.1:{ws.port}/vnc_auto.html?token=nova-tok"
    screenshot_ok(tmp_path, page, forced, testcard_rgb)


def test_info_json_lists_what_qemu_acknowledged(forced, request):
    guest = guest_for(forced, request)
    result = run_cli("info", f"{guest.host}:{guest.port}", "--json", *forced.args)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert (info["width"], info["height"]) == (1920, 1080)
    assert info["protocol"] == "3.8"
    assert info["security"] == "none"
    assert info["name"] == "QEMU"
    assert "qemu-extended-key-event" in info["extensions"]
    assert "qemu-led-state" in info["extensions"]
    assert "extended-desktop-size" in info["extensions"]
    assert info["pixel_format"].startswith("32bpp depth 24")
