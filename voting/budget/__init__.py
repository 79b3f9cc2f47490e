"""voting.budget: participatory-budget allocation rules, exact and fast.

Pure library: numpy and scipy only.

Elections
    :class:`Election`, :class:`Project`, :class:`Ballot`, :func:`make_election` (in-memory data, e.g.
    from the app), :func:`check_ballots` (ballot limits: min/max length, knapsack cost cap, points),
    :data:`VOTE_TYPES`.
Pabulib ``.pb`` files
    :func:`read_pb`, :func:`parse_pb`, :func:`write_pb`, :func:`format_pb`.
Rules (each returns a frozen :class:`BudgetResult` with ``to_dict()``)
    :func:`greedy` (by votes or points, skip or stop, minimum-support threshold),
    :func:`equal_shares` (Method of Equal Shares, cost or cardinality utilities, completions ``add1``,
    ``utilitarian``, ``add1u``, comparison step), :func:`phragmen` (sequential Phragmén),
    :func:`max_welfare` (utilitarian optimum, exact knapsack via ``scipy.optimize.milp``),
    :func:`allocate` (any of them by name, or the rule a ``.pb`` file's META names).
Results
    :class:`BudgetResult`, :class:`GreedyStep`, :class:`MESStep`, :class:`CandidateSupport`,
    :class:`PhragmenStep`, :class:`ComparisonStep`, :class:`TieBreak`.
Tie-breaking
    :data:`DEFAULT_TIE_BREAKING`, :data:`TIE_BREAKING_CRITERIA` (see :mod:`voting.budget.tiebreak`).
Errors
    :class:`BudgetError` and its subclasses :class:`PBFormatError`, :class:`BudgetInputError`,
    :class:`TieBreakingError`.

Examples
--------
>>> from voting.budget import make_election, equal_shares, greedy
>>> ballots = [["a1", "a2", "a3"]] * 3 + [["b1", "b2"]] * 2
>>> e = make_election([(p, 1) for p in ("a1", "a2", "a3", "b1", "b2")], ballots, 3)
>>> greedy(e).selected
('a1', 'a2', 'a3')
>>> equal_shares(e).selected
('a1', 'b1')
"""

from __future__ import annotations

from voting.budget.equal_shares import equal_shares
from voting.budget.errors import BudgetError, BudgetInputError, PBFormatError, TieBreakingError
from voting.budget.greedy import greedy
from voting.budget.max_welfare import max_welfare
from voting.budget.model import VOTE_TYPES, Ballot, Election, Project, check_ballots, make_election
from voting.budget.pb import format_pb, parse_pb, read_pb, write_pb
from voting.budget.phragmen import phragmen
from voting.budget.results import (
    BudgetResult,
    CandidateSupport,
    ComparisonStep,
    GreedyStep,
    MESStep,
    PhragmenStep,
    TieBreak,
)
from voting.budget.rules import RULES, allocate, rule_from_meta
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING, TIE_BREAKING_CRITERIA

__all__ = [
    "DEFAULT_TIE_BREAKING",
    "RULES",
    "TIE_BREAKING_CRITERIA",
    "VOTE_TYPES",
    "Ballot",
    "BudgetError",
    "BudgetInputError",
    "BudgetResult",
    "CandidateSupport",
    "ComparisonStep",
    "Election",
    "GreedyStep",
    "MESStep",
    "PBFormatError",
    "PhragmenStep",
    "Project",
    "TieBreak",
    "TieBreakingError",
    "allocate",
    "check_ballots",
    "equal_shares",
    "format_pb",
    "greedy",
    "make_election",
    "max_welfare",
    "parse_pb",
    "phragmen",
    "read_pb",
    "rule_from_meta",
    "write_pb",
]
