"""Run the docstring examples of the ranked-ballot modules (they are part of the documentation)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "voting",
    "voting.ballots",
    "voting.condorcet",
    "voting.irv",
    "voting.positional",
    "voting.stv",
    "voting.io",
    "voting.results",
    "voting.tiebreak",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
