"""Sequential Phragmén for participatory budgets.

Each voter earns virtual money continuously, one unit per unit of time. A project is bought as soon as
its supporters together hold its cost; all of them then spend everything they hold. Equivalently
(loads): a voter's load is what they have spent; buying ``p`` sets every supporter's load to
``(cost(p) + sum of the supporters' loads) / (number of supporters)``, and the project with the smallest
such new load is bought next. The rule stops at the first project that would exceed the budget
(``exhaustive=False``, Los, Christoff & Grossi 2022, pabutools), or drops it and goes on
(``exhaustive=True``).

Supporters are the voters giving a project a positive score (approval); scores are not weighted.

Loads are exact: all supporters of a bought project share one load value, so each voter's load is one
of at most ``steps + 1`` Fractions; candidates are searched in float64 and every one within a relative
``1e-9`` of the best is compared in Fractions, ties going to the tie-breaking rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from voting.budget._common import RngLike, as_number, make_tiebreaker
from voting.budget._profile import build_profile
from voting.budget.model import Election
from voting.budget.results import BudgetResult, PhragmenStep, TieBreak
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING

__all__ = ["phragmen"]

_MARGIN = 1e-9


def phragmen(
    election: Election,
    *,
    exhaustive: bool = False,
    tie_breaking: Sequence[str] | str = DEFAULT_TIE_BREAKING,
    rng: RngLike = None,
) -> BudgetResult:
    """Sequential Phragmén.

    Parameters
    ----------
    election : Election
    exhaustive : bool
        ``False``: stop at the first project that does not fit. ``True``: skip it and go on.
    tie_breaking : sequence of str
        See :mod:`voting.budget.tiebreak`.
    rng : None, int or numpy.random.Generator
        Only used by the ``"lot"`` criterion.

    Returns
    -------
    BudgetResult
        ``steps`` holds a :class:`~voting.budget.results.PhragmenStep` per bought project.

    Examples
    --------
    >>> from voting.budget import make_election
    >>> ballots = [["a1", "a2", "a3"]] * 3 + [["b1", "b2"]] * 2
    >>> e = make_election([(p, 1) for p in ("a1", "a2", "a3", "b1", "b2")], ballots, 3)
    >>> phragmen(e).selected
    ('a1', 'b1', 'a2')
    """
    profile = build_profile(election)
    tb, seed = make_tiebreaker(tie_breaking, profile, rng)
    m = profile.m
    groups = profile.groups
    proj_of_entry = np.repeat(np.arange(m), np.diff(profile.ptr))
    w_entry = profile.weights[groups]
    load_class = np.zeros(profile.n_groups, dtype=np.int64)
    loads: list[Fraction] = [Fraction(0)]
    support = profile.votes.astype(np.float64)
    cost_f = profile.cost_f
    alive = np.array([profile.votes[p] > 0 for p in range(m)], dtype=bool)
    remaining = profile.budget
    selected: list[int] = []
    steps: list[PhragmenStep] = []
    ties: list[TieBreak] = []
    while alive.any():
        k = len(loads)
        counts = np.bincount(
            proj_of_entry * k + load_class[groups], weights=w_entry, minlength=m * k
        ).reshape(m, k)
        loads_f = np.array([float(x) for x in loads])
        new_f = (cost_f + (counts * loads_f).sum(axis=1)) / np.where(support > 0, support, 1)
        new_f[~alive] = np.inf
        best_f = new_f.min()
        near = np.flatnonzero(new_f <= best_f * (1 + _MARGIN))
        exact = {}
        for p in near.tolist():
            total = sum((int(c) * loads[j] for j, c in enumerate(counts[p].tolist()) if c), Fraction(0))
            exact[p] = (profile.costs[p] + total) / int(profile.votes[p])
        best = min(exact.values())
        tied = sorted(p for p, v in exact.items() if v == best)
        win, decided = tb.choose(tied)
        if len(tied) > 1:
            ties.append(TieBreak(len(steps), tuple(profile.ids[p] for p in tied), profile.ids[win], decided))
        alive[win] = False
        if profile.costs[win] > remaining:
            if not exhaustive:
                break
            continue
        remaining -= profile.costs[win]
        selected.append(win)
        loads.append(best)
        s = profile.supporters(win)
        load_class[groups[s]] = len(loads) - 1
        steps.append(PhragmenStep(profile.ids[win], profile.costs[win], best, int(profile.votes[win])))
    total_cost = sum(profile.costs[p] for p in selected)
    return BudgetResult(
        rule="phragmen",
        selected=tuple(profile.ids[p] for p in selected),
        total_cost=as_number(total_cost),
        budget=election.budget,
        leftover=as_number(election.budget - total_cost),
        votes=tuple(int(profile.votes[p]) for p in selected),
        options={"exhaustive": exhaustive, "tie_breaking": list(tb.criteria)},
        steps=tuple(steps),
        ties=tuple(ties),
        seed=seed,
    )
