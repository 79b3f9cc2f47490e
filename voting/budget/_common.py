"""Helpers shared by the rules (internal)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from voting.budget._profile import Profile
from voting.budget.errors import BudgetInputError
from voting.budget.model import Number
from voting.budget.results import GreedyStep, TieBreak
from voting.budget.tiebreak import TieBreaker

UTILITIES = ("cost", "cardinality")
RngLike = None | int | np.random.Generator


def check_utility(utility: str) -> None:
    if utility not in UTILITIES:
        raise BudgetInputError(
            f"utility must be 'cost' or 'cardinality', not {utility!r}",
            code="bad_utility",
            field="utility",
            value=str(utility),
        )


def make_tiebreaker(
    criteria: Sequence[str] | str, profile: Profile, rng: RngLike
) -> tuple[TieBreaker, int | None]:
    """Normalise ``rng`` (only drawn from when ``"lot"`` is a criterion) and build the tie-breaker."""
    crit = (criteria,) if isinstance(criteria, str) else tuple(criteria)
    seed: int | None = None
    gen: np.random.Generator | None = None
    if "lot" in crit:
        if rng is None:
            seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
            gen = np.random.default_rng(seed)
        elif isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            seed = int(rng)
            gen = np.random.default_rng(seed)
        elif isinstance(rng, np.random.Generator):
            gen = rng
        else:
            raise BudgetInputError(
                "rng must be None, an int or a numpy Generator", code="bad_rng", field="rng"
            )
    return TieBreaker(crit, profile, gen), seed


def as_number(x: Number | Fraction) -> Number:
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x


def greedy_order(
    profile: Profile,
    utility: str,
    tb: TieBreaker,
    candidates: Sequence[int],
    ties: list[TieBreak],
    step0: int = 0,
) -> list[int]:
    """Order candidates by welfare per unit of cost (votes for cost utility, votes/cost for cardinality).

    Equal keys are ordered by the tie-breaker; each such tie is recorded in ``ties``.
    """

    def key(p: int) -> Number:
        s = profile.score_total[p]
        return s if utility == "cost" else Fraction(s) / Fraction(profile.costs[p])

    by_key: dict[Number, list[int]] = {}
    for p in candidates:
        by_key.setdefault(key(p), []).append(p)
    order: list[int] = []
    for k in sorted(by_key, reverse=True):
        group = by_key[k]
        while group:
            chosen, decided = tb.choose(group)
            if len(group) > 1:
                ties.append(
                    TieBreak(
                        step0 + len(order),
                        tuple(profile.ids[p] for p in sorted(group)),
                        profile.ids[chosen],
                        decided,
                    )
                )
            order.append(chosen)
            group = [p for p in group if p != chosen]
    return order


def greedy_fill(
    profile: Profile,
    *,
    utility: str,
    already: Sequence[int],
    tb: TieBreaker,
    ties: list[TieBreak],
    threshold: Number | None = None,
    skip: bool = True,
) -> tuple[list[int], list[GreedyStep]]:
    """Greedy by welfare per cost over the projects not in ``already``; returns (added, steps)."""
    chosen = set(already)
    remaining: Number = profile.budget - sum(profile.costs[p] for p in already)
    candidates = [p for p in range(profile.m) if p not in chosen and profile.votes[p] > 0]
    order = greedy_order(profile, utility, tb, candidates, ties, step0=0)
    added: list[int] = []
    steps: list[GreedyStep] = []
    stopped = False
    for p in order:
        cost = profile.costs[p]
        score = profile.score_total[p]
        if threshold is not None and score < threshold:
            status = "below_threshold"
        elif stopped:
            status = "not_reached"
        elif cost <= remaining:
            status = "selected"
            remaining -= cost
            added.append(p)
        elif skip:
            status = "skipped"
        else:
            status = "stopped"
            stopped = True
        steps.append(GreedyStep(profile.ids[p], cost, score, status, as_number(remaining)))
    return added, steps
