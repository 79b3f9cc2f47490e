"""Positional methods: Borda count and plurality."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from voting._walk import Walker
from voting.ballots import Profile
from voting.condorcet import _finish
from voting.errors import RuleError
from voting.irv import _sum_by
from voting.results import RankedResult
from voting.tiebreak import RngLike, TieBreaker

__all__ = ["borda", "plurality"]


def borda(
    profile: Profile,
    *,
    unranked: str = "zero",
    tie_break: str | Sequence[str] = ("lot",),
    rng: RngLike = None,
) -> RankedResult:
    """Borda count: a candidate scores one point for each candidate ranked below it.

    Candidates marked at the same rank share the points (half a point per tied candidate), so
    a complete strict ranking of ``m`` candidates gives ``m - 1, m - 2, ..., 0``.

    Parameters
    ----------
    unranked : {"zero", "average"}
        Unranked candidates score nothing (default), or share the bottom points as if tied.

    Examples
    --------
    >>> borda(Profile.from_rankings([["A", "B", "C"], ["B", "C", "A"], ["A", "C", "B"]])).winners
    ('A',)
    """
    if unranked not in ("zero", "average"):
        raise RuleError("unranked must be 'zero' or 'average'", code="bad_unranked")
    pos = profile.rank_positions()
    width = profile.rows.shape[1]
    k = profile.n_candidates
    twice = np.zeros(k, dtype=np.int64)
    for i in range(k):
        mine = pos[:, i : i + 1]
        pts = 2 * (pos > mine).sum(axis=1) + (pos == mine).sum(axis=1) - 1
        if unranked == "zero":
            pts = np.where(pos[:, i] >= width, 0, pts)
        twice[i] = int(profile.counts @ pts)
    scores = [Fraction(int(s), 2) for s in twice]
    top = max(scores)
    best = [i for i in range(k) if scores[i] == top]
    tb = TieBreaker(tie_break, profile.names, rng)
    return _finish(
        "borda",
        profile,
        scores,
        best,
        tb,
        pick="highest",
        note="Borda points",
        options={"unranked": unranked},
    )


def plurality(
    profile: Profile,
    *,
    overvote: str = "exhaust_immediately",
    max_skipped: int | None = None,
    duplicates: str = "skip",
    max_rankings: int | None = None,
    tie_break: str | Sequence[str] = ("lot",),
    rng: RngLike = None,
) -> RankedResult:
    """Plurality: first choices only (the first round of IRV under the same ballot rules).

    Examples
    --------
    >>> plurality(Profile.from_rankings([["A"], ["B"], ["B", "A"]])).winners
    ('B',)
    """
    walker = Walker(
        profile, overvote=overvote, max_skipped=max_skipped, duplicates=duplicates, max_rankings=max_rankings
    )
    k = profile.n_candidates
    idx = np.nonzero(~walker.blank)[0]
    top, _ = walker.advance(idx, np.ones(k, dtype=bool))
    ok = top >= 0
    tally = _sum_by(top[ok], profile.counts[idx[ok]], k)
    scores = [int(t) for t in tally]
    best = [i for i in range(k) if scores[i] == max(scores)]
    tb = TieBreaker(tie_break, profile.names, rng)
    return _finish(
        "plurality",
        profile,
        scores,
        best,
        tb,
        pick="highest",
        note="first choices",
        options={
            "overvote": overvote,
            "max_skipped": max_skipped,
            "duplicates": duplicates,
            "max_rankings": max_rankings,
        },
    )
