"""The examples in the docstrings of :mod:`sortition` run and give what they say."""

from __future__ import annotations

import doctest

import pytest

import sortition
import sortition.data
import sortition.feasibility
import sortition.selection

MODULES = [sortition, sortition.data, sortition.feasibility, sortition.selection]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module in (sortition, sortition.feasibility, sortition.selection):
        assert result.attempted > 0
