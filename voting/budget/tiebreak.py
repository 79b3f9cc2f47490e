"""Explicit tie-breaking for the allocation rules.

A tie-breaking rule is a sequence of criteria applied in turn to the tied projects until one remains:

``"min_cost"`` / ``"max_cost"``
    Keep the cheapest / the most expensive.
``"max_votes"`` / ``"min_votes"``
    Keep those supported by the most / fewest voters (a voter supports a project they approve, rank or
    give points to).
``"order"`` / ``"reverse_order"``
    Keep the first / last in the election's project order (the ``.pb`` file order).
``"lot"``
    A lot drawn with the rule's ``rng``: one random priority order of all projects, drawn once per call.
``"refuse"``
    Raise :class:`~voting.budget.errors.TieBreakingError` if a tie is still unresolved.

The default, :data:`DEFAULT_TIE_BREAKING`, is ``("min_cost", "max_votes", "order")``: lower cost,
then more votes, as equalshares.net recommends, then the file order so that results never depend on
chance unless asked for. ``"order"`` is appended automatically when a sequence ends without ``"lot"``,
``"order"``, ``"reverse_order"`` or ``"refuse"``, so that every tie is resolved. Every tie a rule
resolves is recorded in its result as a :class:`~voting.budget.results.TieBreak`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voting.budget._profile import Profile
from voting.budget.errors import BudgetInputError, TieBreakingError

__all__ = ["DEFAULT_TIE_BREAKING", "TIE_BREAKING_CRITERIA"]

TIE_BREAKING_CRITERIA = (
    "min_cost",
    "max_cost",
    "max_votes",
    "min_votes",
    "order",
    "reverse_order",
    "lot",
    "refuse",
)
DEFAULT_TIE_BREAKING = ("min_cost", "max_votes", "order")
_FINAL = {"order", "reverse_order", "lot", "refuse"}


class TieBreaker:
    """Resolve ties among project indices of a :class:`Profile` (internal)."""

    def __init__(
        self, criteria: Sequence[str] | str, profile: Profile, rng: np.random.Generator | None
    ) -> None:
        if isinstance(criteria, str):
            criteria = (criteria,)
        crit = tuple(criteria)
        for c in crit:
            if c not in TIE_BREAKING_CRITERIA:
                raise BudgetInputError(
                    f"unknown tie-breaking criterion {c!r}; use {', '.join(TIE_BREAKING_CRITERIA)}",
                    code="bad_tie_breaking",
                    field="tie_breaking",
                    value=str(c),
                )
        if not crit or crit[-1] not in _FINAL:
            crit = (*crit, "order")
        self.criteria = crit
        self.profile = profile
        self.lot_rank: np.ndarray | None = None
        if "lot" in crit:
            if rng is None:
                raise BudgetInputError("the 'lot' criterion needs an rng", code="missing_rng", field="rng")
            self.lot_rank = np.argsort(rng.permutation(profile.m))

    def _value(self, criterion: str, p: int) -> object:
        prof = self.profile
        if criterion == "min_cost":
            return prof.costs[p]
        if criterion == "max_cost":
            return -prof.costs[p]
        if criterion == "max_votes":
            return -int(prof.votes[p])
        if criterion == "min_votes":
            return int(prof.votes[p])
        if criterion == "order":
            return p
        if criterion == "reverse_order":
            return -p
        if criterion == "lot":
            assert self.lot_rank is not None
            return int(self.lot_rank[p])
        raise AssertionError(criterion)

    def choose(self, tied: Sequence[int]) -> tuple[int, str]:
        """Return the chosen project and the criterion that decided."""
        remaining = list(tied)
        if len(remaining) == 1:
            return remaining[0], ""
        for criterion in self.criteria:
            if criterion == "refuse":
                names = ", ".join(self.profile.ids[p] for p in remaining)
                raise TieBreakingError(f"unresolved tie between projects {names}", code="tie", value=names)
            values = [self._value(criterion, p) for p in remaining]
            best = min(values)  # type: ignore[type-var]
            remaining = [p for p, v in zip(remaining, values, strict=True) if v == best]
            if len(remaining) == 1:
                return remaining[0], criterion
        raise AssertionError("tie-breaking criteria always end with a total order")
