"""Greedy allocation: the rule most cities use ("most votes first")."""

from __future__ import annotations

from collections.abc import Sequence

from voting.budget._common import RngLike, as_number, check_utility, greedy_fill, make_tiebreaker
from voting.budget._profile import build_profile
from voting.budget.errors import BudgetInputError
from voting.budget.model import Election, Number, _exact
from voting.budget.results import BudgetResult, TieBreak
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING

__all__ = ["greedy"]


def greedy(
    election: Election,
    *,
    utility: str = "cost",
    threshold: Number | str | None = None,
    skip: bool = True,
    tie_breaking: Sequence[str] | str = DEFAULT_TIE_BREAKING,
    rng: RngLike = None,
) -> BudgetResult:
    """Greedy (utilitarian, cost-constrained) allocation.

    Projects are examined by decreasing welfare per unit of cost and funded when they fit in what is
    left of the budget. With ``utility="cost"`` (a voter's utility for a project is its cost times the
    voter's score) this is "most support first": by votes for approval ballots, by points for
    cumulative ballots, by rank scores for ordinal ballots. With ``utility="cardinality"`` (utility is
    the score) projects go by support per unit of cost. Projects nobody supports are never funded.

    Parameters
    ----------
    election : Election
    utility : {"cost", "cardinality"}
    threshold : number, optional
        Minimum support (votes or points) a project needs to be considered, as Pabulib's
        ``min_project_score_threshold`` (Warsaw 2026: 3000 votes; Katowice 2025: 50 points).
    skip : bool
        ``True`` (default): skip projects that do not fit and go on. ``False``: stop at the first
        project that does not fit (Pabulib ``greedy-no-skip``).
    tie_breaking : sequence of str
        See :mod:`voting.budget.tiebreak`; default lower cost, then more votes, then file order.
    rng : None, int or numpy.random.Generator
        Only used by the ``"lot"`` criterion.

    Returns
    -------
    BudgetResult
        ``steps`` lists every examined project with its status.

    Examples
    --------
    >>> from voting.budget import make_election
    >>> e = make_election([("a", 60), ("b", 50), ("c", 40)], [["a"], ["a", "b"], ["a", "c"], ["c"]], 100)
    >>> greedy(e).selected
    ('a', 'c')
    """
    check_utility(utility)
    thr = None if threshold is None else _exact(threshold, what="threshold")
    if thr is not None and thr < 0:
        raise BudgetInputError("threshold must not be negative", code="bad_threshold", field="threshold")
    profile = build_profile(election)
    tb, seed = make_tiebreaker(tie_breaking, profile, rng)
    ties: list[TieBreak] = []
    added, steps = greedy_fill(
        profile, utility=utility, already=(), tb=tb, ties=ties, threshold=thr, skip=skip
    )
    total = sum(profile.costs[p] for p in added)
    return BudgetResult(
        rule="greedy",
        selected=tuple(profile.ids[p] for p in added),
        total_cost=as_number(total),
        budget=election.budget,
        leftover=as_number(election.budget - total),
        votes=tuple(int(profile.votes[p]) for p in added),
        options={"utility": utility, "threshold": thr, "skip": skip, "tie_breaking": list(tb.criteria)},
        steps=tuple(steps),
        ties=tuple(ties),
        seed=seed,
    )
