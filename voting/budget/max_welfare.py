"""The utilitarian optimum: the affordable set of projects with the greatest total utility.

A 0/1 knapsack solved exactly with :func:`scipy.optimize.milp` (HiGHS branch and bound, relative gap
0). A project's welfare is its total score times its cost (``utility="cost"``) or its total score
(``utility="cardinality"``). Among optimal sets the cheapest is taken (a second solve with the welfare
fixed at the optimum). The solution is checked in exact arithmetic: it fits the budget, and its welfare
is at least greedy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from voting.budget._common import (
    RngLike,
    as_number,
    check_utility,
    greedy_fill,
    greedy_order,
    make_tiebreaker,
)
from voting.budget._profile import Profile, build_profile
from voting.budget.errors import BudgetError
from voting.budget.model import Election, Number
from voting.budget.results import BudgetResult, TieBreak
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING

__all__ = ["max_welfare"]


def _welfare(profile: Profile, utility: str, p: int) -> Number:
    s = profile.score_total[p]
    return s * profile.costs[p] if utility == "cost" else s


def _solve(c: np.ndarray, constraints: list[LinearConstraint], m: int) -> np.ndarray:
    res = milp(
        c,
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"mip_rel_gap": 0.0, "presolve": True},
    )
    if not res.success or res.x is None:  # pragma: no cover - a knapsack with x = 0 feasible always solves
        raise BudgetError(f"the knapsack solver failed: {res.message}", code="solver_failed")
    return np.round(res.x).astype(bool)


def max_welfare(
    election: Election,
    *,
    utility: str = "cost",
    tie_breaking: Sequence[str] | str = DEFAULT_TIE_BREAKING,
    rng: RngLike = None,
) -> BudgetResult:
    """Maximise total utility under the budget (exact knapsack via ``scipy.optimize.milp``).

    Parameters
    ----------
    election : Election
    utility : {"cost", "cardinality"}
    tie_breaking, rng
        Only order the selected projects for display (by greedy order).

    Returns
    -------
    BudgetResult
        ``welfare`` is the optimal total utility; ``selected`` lists the optimal set by decreasing
        support.

    Examples
    --------
    >>> from voting.budget import make_election
    >>> e = make_election([("a", 60), ("b", 50), ("c", 50)], [["a"], ["a", "b"], ["a", "c"], ["b", "c"]], 100)
    >>> max_welfare(e).selected
    ('b', 'c')
    """
    check_utility(utility)
    profile = build_profile(election)
    tb, seed = make_tiebreaker(tie_breaking, profile, rng)
    m = profile.m
    cand = [p for p in range(m) if profile.votes[p] > 0 and profile.costs[p] <= profile.budget]
    welfare = [_welfare(profile, utility, p) for p in range(m)]
    chosen: list[int] = []
    if cand:
        k = len(cand)
        cost = np.array([float(profile.costs[p]) for p in cand])
        wel = np.array([float(welfare[p]) for p in cand])
        budget_c = LinearConstraint(cost[None, :], -np.inf, float(profile.budget))
        x = _solve(-wel, [budget_c], k)
        best = sum((welfare[cand[i]] for i in range(k) if x[i]), Fraction(0))
        # second stage: the cheapest among optimal sets; the welfare bound is loosened by less than the
        # smallest possible difference only when welfare values are integers
        slack = 0.5 if all(Fraction(welfare[p]).denominator == 1 for p in cand) else 1e-9 * float(best)
        opt_c = LinearConstraint(wel[None, :], float(best) - slack, np.inf)
        x2 = _solve(cost, [budget_c, opt_c], k)
        best2 = sum((welfare[cand[i]] for i in range(k) if x2[i]), Fraction(0))
        if best2 >= best and sum(profile.costs[cand[i]] for i in range(k) if x2[i]) <= profile.budget:
            x = x2
        chosen = [cand[i] for i in range(k) if x[i]]
    total = sum(profile.costs[p] for p in chosen)
    if total > profile.budget:  # pragma: no cover - guarded by rounding tolerances of the solver
        raise BudgetError("the knapsack solution exceeds the budget", code="solver_infeasible")
    ties: list[TieBreak] = []
    g_added, _ = greedy_fill(profile, utility=utility, already=(), tb=tb, ties=[])
    g_welfare = sum((welfare[p] for p in g_added), Fraction(0))
    opt = sum((welfare[p] for p in chosen), Fraction(0))
    if opt < g_welfare:  # pragma: no cover - would mean the solver stopped early
        raise BudgetError("the knapsack solver returned a set worse than greedy", code="solver_suboptimal")
    order = greedy_order(profile, utility, tb, chosen, ties)
    return BudgetResult(
        rule="max_welfare",
        selected=tuple(profile.ids[p] for p in order),
        total_cost=as_number(total),
        budget=election.budget,
        leftover=as_number(election.budget - total),
        votes=tuple(int(profile.votes[p]) for p in order),
        options={"utility": utility, "tie_breaking": list(tb.criteria)},
        ties=tuple(ties),
        welfare=as_number(opt),
        seed=seed,
    )
