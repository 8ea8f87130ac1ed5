"""Shared fixtures: paths to the reference data in ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"
STARLINK_TLE = SHARED / "starlink_2026-05" / "starlink.tle"
KUIPER_DIR = SHARED / "hypatia_kuiper_k1"


@pytest.fixture(scope="session")
def starlink_tle() -> Path:
    if not STARLINK_TLE.exists():
        pytest.skip(f"reference snapshot {STARLINK_TLE} is absent (../shared/reference not checked out)")
    return STARLINK_TLE


@pytest.fixture(scope="session")
def kuiper_dir() -> Path:
    if not (KUIPER_DIR / "constellation.tle").exists():
        pytest.skip(f"Hypatia reference {KUIPER_DIR} is absent (../shared/reference not checked out)")
    return KUIPER_DIR


# The ISS element set from python-sgp4's documentation, valid checksums.
ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
"""


@pytest.fixture
def iss_text() -> str:
    return ISS_TLE
