"""The AppStream file (packaging/linux/APP_ID.metainfo.xml): valid for appstreamcli (from the
`appstream` package, installed by tools/testbed/install-deps.sh), named after the app id the
desktop entry, the icons and Qt use, in English and French, and honest about who makes it."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging" / "linux"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def app_id() -> str:
    from ovhkvm_desktop.ui.icon import APP_ID

    return APP_ID


def metainfo() -> Path:
    return PACKAGING / f"{app_id()}.metainfo.xml"


def test_appstreamcli_finds_no_error_or_warning() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.fail("appstreamcli is missing: run tools/testbed/install-deps.sh", pytrace=False)
    run = subprocess.run(
        [tool, "validate", "--no-net", "--explain", str(metainfo())], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    problems = [line for line in run.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert not problems, run.stdout


def test_the_app_id_names_the_entries_the_icons_and_the_file() -> None:
    root = ET.parse(metainfo()).getroot()
    assert root.findtext("id") == app_id()
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    desktop = PACKAGING / (launchable.text or "")
    assert desktop.is_file()
    assert f"\nIcon={app_id()}\n" in desktop.read_text(encoding="utf-8")
    icons = sorted(PACKAGING.glob(f"icons/hicolor/*/apps/{app_id()}.png"))
    assert len(icons) == 8
    assert root.findtext("provides/binary") == "ovhkvm-desktop"


def test_everything_a_user_reads_is_also_in_french() -> None:
    root = ET.parse(metainfo()).getroot()
    for tag in ("summary", "developer/name"):
        languages = [e.get(LANG) for e in root.findall(tag)]
        assert languages == [None, "fr"], tag
    for screenshot in root.iter("screenshot"):
        assert [e.get(LANG) for e in screenshot.findall("caption")] == [None, "fr"]
    for container in root.iter("description"):
        items = [e for e in container if e.tag in ("p", "ul")]
        texts = [e for e in items if e.tag == "p"] + [li for ul in items for li in ul]
        english = [e for e in texts if e.get(LANG) is None]
        french = [e for e in texts if e.get(LANG) == "fr"]
        assert english and len(french) == len(english)
    assert root.find("translation").get("type") == "qt"  # type: ignore[union-attr]


def test_it_says_what_it_is_for_without_claiming_to_be_ovhclouds() -> None:
    root = ET.parse(metainfo()).getroot()
    assert root.findtext("name") == "ovhkvm-desktop"
    assert "for OVHcloud servers" in (root.findtext("summary") or "")
    assert "independent of OVHcloud" in " ".join((root.findtext("description/p") or "").split())
    developer = root.findtext("developer/name") or ""
    assert "OVHCLOUD" not in developer.upper() and "OVH SAS" not in developer.upper()


def test_it_has_what_software_centres_show() -> None:
    root = ET.parse(metainfo()).getroot()
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    assert root.find("content_rating").get("type") == "oars-1.1"  # type: ignore[union-attr]
    from ovhkvm_desktop import __version__

    assert root.find("releases/release").get("version") == __version__  # type: ignore[union-attr]
    # Each screenshot is one of the repository's own, at its address on the main branch.
    prefix = "https://raw.githubusercontent.com/ovhkvm-desktop/ovhkvm-desktop/main/"
    images = [e.text or "" for e in root.iter("image")]
    assert images and all(url.startswith(prefix) for url in images), images
    for url in images:
        assert (ROOT / url[len(prefix) :]).is_file(), url
