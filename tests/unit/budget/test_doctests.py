"""The docstring examples of voting.budget run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "voting.budget",
    "voting.budget.model",
    "voting.budget.pb",
    "voting.budget.greedy",
    "voting.budget.equal_shares",
    "voting.budget.phragmen",
    "voting.budget.max_welfare",
    "voting.budget.rules",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
