"""Calling the rules by name, and the rule a Pabulib file's META names."""

from __future__ import annotations

from typing import Any

from voting.budget.equal_shares import equal_shares
from voting.budget.errors import BudgetInputError
from voting.budget.greedy import greedy
from voting.budget.max_welfare import max_welfare
from voting.budget.model import Election, Number, _exact
from voting.budget.phragmen import phragmen
from voting.budget.results import BudgetResult

__all__ = ["RULES", "allocate", "rule_from_meta"]

RULES = ("greedy", "mes", "phragmen", "max-welfare")
_ALIASES = {
    "greedy": "greedy",
    "mes": "mes",
    "equal_shares": "mes",
    "equal-shares": "mes",
    "equalshares": "mes",
    "phragmen": "phragmen",
    "max-welfare": "max-welfare",
    "max_welfare": "max-welfare",
}


def allocate(election: Election, rule: str, **options: Any) -> BudgetResult:
    """Run a rule by name: ``"greedy"``, ``"mes"`` (or ``"equal_shares"``), ``"phragmen"``, ``"max-welfare"``.

    Keyword options go to the rule's function.

    Examples
    --------
    >>> from voting.budget import make_election
    >>> e = make_election([("a", 6), ("b", 5)], [["a"], ["a"], ["b"]], 10)
    >>> allocate(e, "greedy").selected
    ('a',)
    """
    name = _ALIASES.get(rule)
    if name is None:
        raise BudgetInputError(
            f"unknown rule {rule!r}; use one of {', '.join(RULES)}",
            code="bad_rule",
            field="rule",
            value=str(rule),
        )
    if name == "greedy":
        return greedy(election, **options)
    if name == "mes":
        return equal_shares(election, **options)
    if name == "phragmen":
        return phragmen(election, **options)
    return max_welfare(election, **options)


def rule_from_meta(election: Election) -> tuple[str, dict[str, Any]] | None:
    """The rule and options matching the META ``rule`` of a Pabulib file, or None if not supported.

    ``greedy`` (skip and continue), ``greedy-threshold`` (with ``min_project_score_threshold``),
    ``greedy-no-skip``, ``equalshares``, ``equalshares/add1`` and ``equalshares/add1-comparison`` are
    understood; ``unknown``, ``greedy-custom`` and ``greedy-exclusive`` are not (None).

    For the ``equalshares`` rules on cumulative, scoring and ordinal files, the ballot's scores (points,
    or rank scores, see :mod:`voting.budget.model`) are the voters' utilities (``utility="cardinality"``,
    MES with cardinal utilities as equalshares.net runs it on score ballots); approval files use cost
    utilities. Greedy rules rank by total score either way.

    Examples
    --------
    >>> from voting.budget import make_election
    >>> e = make_election([("a", 6)], [["a"]], 10, meta={"rule": "equalshares/add1"})
    >>> rule_from_meta(e)
    ('mes', {'completion': 'add1'})
    >>> points = make_election([("a", 6)], [{"a": 3}], 10, vote_type="cumulative", meta={"rule": "equalshares"})
    >>> rule_from_meta(points)
    ('mes', {'utility': 'cardinality'})
    """
    raw = election.meta.get("rule", "").strip().lower()
    threshold: Number | None = None
    if election.meta.get("min_project_score_threshold", "").strip():
        threshold = _exact(election.meta["min_project_score_threshold"], what="min_project_score_threshold")
    if raw == "greedy":
        return "greedy", {}
    if raw == "greedy-threshold":
        return "greedy", {"threshold": threshold}
    if raw == "greedy-no-skip":
        return "greedy", {"skip": False}
    cardinal = {} if election.vote_type == "approval" else {"utility": "cardinality"}
    if raw == "equalshares":
        return "mes", {**cardinal}
    if raw == "equalshares/add1":
        return "mes", {"completion": "add1", **cardinal}
    if raw == "equalshares/add1-comparison":
        return "mes", {"completion": "add1", "comparison": "satisfaction", **cardinal}
    return None
