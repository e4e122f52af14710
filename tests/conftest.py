"""Shared fixtures. Real published files are found in $INCLUSION_GEO_SHARED_DATA (default
../shared/data beside the repository); tests that need them fail in CI if they are missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inclusion_geo.datasets import load_demo_borough
from inclusion_geo.pipeline import run_demo

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INCLUSION_GEO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real published files; missing is a failure in CI, a skip elsewhere."""
    if not (SHARED / "PROVENANCE.md").exists():
        message = (
            f"real data not found at {SHARED}; set INCLUSION_GEO_SHARED_DATA to the shared/data "
            "folder"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


@pytest.fixture(scope="session")
def demo():
    return load_demo_borough(0)


@pytest.fixture(scope="session")
def demo_result():
    return run_demo(0, permutations=199)
