"""Shared fixtures. Pure-library tests need nothing but ``refdata``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# ../shared/refdata beside the repository; AGORA_REFDATA overrides it.
REFDATA = Path(os.environ.get("AGORA_REFDATA", REPO_ROOT.parent / "shared" / "refdata"))


@pytest.fixture(scope="session")
def refdata() -> Path:
    """The shared reference data folder, or skip with the reason when it is absent."""
    if not REFDATA.is_dir():
        pytest.skip(f"reference data not found at {REFDATA} (set AGORA_REFDATA or place ../shared beside the repo)")
    return REFDATA
