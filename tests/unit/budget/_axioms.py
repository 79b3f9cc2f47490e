"""Exact checks of proportionality axioms on small approval instances (test helpers)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from itertools import combinations

from voting.budget import Election


def ejr_violation(
    election: Election, selected: Iterable[str], *, utility: str = "cost", up_to_one: bool = True
) -> tuple[str, ...] | None:
    """Return a set T witnessing an EJR (up to one project) violation, or None.

    Approval ballots; a voter's utility for a project is its cost (``"cost"``) or 1 (``"cardinality"``).
    A group S is T-cohesive when every member approves all of T and |S| >= cost(T) n / B. EJR asks that
    in every such group some voter gets utility at least u(T) from the outcome W; EJR up to one project
    asks that some voter gets more than u(T) once a single project of T \\ W is added (or already has
    u(T)). A violation exists iff the unsatisfied approvers of T are themselves that many, so a scan over
    T (not over S) is exact.
    """
    won = set(selected)
    cost = {p.id: p.cost for p in election.projects}
    n = len(election.ballots)

    def util(p: str) -> Fraction:
        return Fraction(cost[p]) if utility == "cost" else Fraction(1)

    ballots = [set(b.projects) for b in election.ballots]
    have = [sum((util(p) for p in b & won), Fraction(0)) for b in ballots]
    ids = election.project_ids
    for size in range(1, len(ids) + 1):
        for t in combinations(ids, size):
            need = Fraction(sum(cost[p] for p in t)) * n / Fraction(election.budget)
            members = [i for i, b in enumerate(ballots) if b.issuperset(t)]
            if len(members) < need:
                continue
            target = sum((util(p) for p in t), Fraction(0))
            missing = [p for p in t if p not in won]
            unsatisfied = 0
            for i in members:
                if have[i] >= target:
                    continue
                if up_to_one and any(have[i] + util(p) > target for p in missing):
                    continue
                unsatisfied += 1
            if unsatisfied >= need:
                return t
    return None
