"""Fixtures for the sortition tests (pure: no app, no database)."""

from __future__ import annotations

import pytest
from sortition_helpers import small_pool


@pytest.fixture
def small():
    """(pool, quotas): 12 people, 3 features, two 2-person households, panel of 4."""
    return small_pool()
