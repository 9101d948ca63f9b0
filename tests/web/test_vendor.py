"""Vendored front-end libraries: every file as recorded, each library with its licence, nothing remote."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
VENDOR = STATIC / "vendor"


def recorded() -> dict[str, str]:
    text = (VENDOR / "README.md").read_text(encoding="utf-8")
    return {path: digest for digest, path in re.findall(r"^([0-9a-f]{64})  \./(\S+)$", text, re.M)}


def test_every_vendored_file_matches_its_recorded_sha256():
    sums = recorded()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md"}
    assert set(sums) == on_disk
    for path, digest in sums.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, path


def test_each_library_keeps_its_licence_and_pinned_version():
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for lib, licence, version in (("leaflet", "LICENSE", "1.9.4"), ("leaflet.markercluster", "MIT-LICENCE.txt", "1.5.3"),
                                  ("echarts", "LICENSE", "6.1.0")):
        assert (VENDOR / lib / licence).stat().st_size > 500
        assert f"| {version} |" in readme
    assert (VENDOR / "echarts" / "NOTICE").exists()
    assert "Leaflet 1.9.4" in (VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:300]


def test_our_own_assets_load_nothing_from_elsewhere():
    for path in list((STATIC / "js").glob("*.js")) + list((STATIC / "css").glob("*.css")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org)", text), path.name
