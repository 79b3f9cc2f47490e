"""Pairwise (Condorcet) methods: Schulze, Ranked Pairs, Copeland, Minimax; the Condorcet
winner and the Smith set.

Ballots are read as weak orders: a ranked candidate beats every candidate ranked lower or not
at all; candidates marked at the same rank are tied; skipped ranks are ignored and a repeated
candidate counts at its first rank. Pairwise counts are integers, so every comparison is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from voting.ballots import Profile
from voting.errors import RuleError
from voting.results import RankedResult, Round
from voting.tiebreak import RngLike, TieBreaker

__all__ = [
    "condorcet_winner",
    "copeland",
    "minimax",
    "pairwise_matrix",
    "ranked_pairs",
    "schulze",
    "smith_set",
]


def pairwise_matrix(profile: Profile) -> np.ndarray:
    """Matrix ``P`` with ``P[i, j]`` = number of ballots ranking ``i`` above ``j``.

    Examples
    --------
    >>> p = Profile.from_rankings([["A", "B"], ["B"], ["C", "A"]])
    >>> pairwise_matrix(p).tolist()
    [[0, 2, 1], [1, 0, 2], [1, 1, 0]]
    """
    if "pairwise" not in profile._cache:
        pos = profile.rank_positions()
        k = profile.n_candidates
        out = np.zeros((k, k), dtype=np.int64)
        for i in range(k):
            out[i] = profile.counts @ (pos[:, i : i + 1] < pos)
        profile._cache["pairwise"] = out
    return profile._cache["pairwise"]


def condorcet_winner(profile: Profile) -> str | None:
    """The candidate who beats every other head to head, or ``None``.

    Examples
    --------
    >>> condorcet_winner(Profile.from_rankings([["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]]))
    'A'
    """
    p = pairwise_matrix(profile)
    beats = p > p.T
    k = profile.n_candidates
    for i in range(k):
        if beats[i].sum() == k - 1:
            return profile.names[i]
    return None


def smith_set(profile: Profile) -> tuple[str, ...]:
    """Smallest non-empty set of candidates each of whom beats every candidate outside it.

    Examples
    --------
    >>> smith_set(Profile.from_rankings([["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"], ["D"]]))
    ('A', 'B', 'C')
    """
    p = pairwise_matrix(profile)
    reach = p >= p.T
    k = profile.n_candidates
    np.fill_diagonal(reach, True)
    for m in range(k):
        reach = reach | (reach[:, m : m + 1] & reach[m : m + 1, :])
    return tuple(profile.names[i] for i in range(k) if reach[i].all())


def _details(profile: Profile) -> dict:
    p = pairwise_matrix(profile)
    names = profile.names
    return {
        "pairwise": {
            names[i]: {names[j]: int(p[i, j]) for j in range(len(names)) if j != i} for i in range(len(names))
        },
        "condorcet_winner": condorcet_winner(profile),
        "smith_set": list(smith_set(profile)),
    }


def _finish(
    method: str,
    profile: Profile,
    scores: Sequence[int | Fraction],
    best: list[int],
    tb: TieBreaker,
    *,
    pick: str,
    note: str,
    options: dict,
    details: dict | None = None,
) -> RankedResult:
    names = profile.names
    if len(best) == 1:
        winner = best[0]
    else:
        winner = tb.resolve(
            best, pick="highest", history=[], round_number=1, purpose="winner", value=scores[best[0]]
        )
    rnd = Round(
        number=1,
        tallies={names[c]: scores[c] for c in range(len(names))},
        threshold=None,
        elected=(names[winner],),
        active=profile.n_ballots,
        note=note,
    )
    options = {**options, "tie_break": list(tb.steps)}
    return RankedResult(
        method=method,
        candidates=names,
        winners=(names[winner],),
        rounds=(rnd,),
        tie_breaks=tuple(tb.records),
        seats=1,
        n_ballots=profile.n_ballots,
        blank_ballots=int(profile.counts[profile.blank_mask()].sum()),
        options=options,
        details={**_details(profile), **(details or {}), "tied_best": [names[c] for c in best]},
        seed=tb.seed,
        lot_order=tuple(names[i] for i in tb.lot_order) if tb.lot_order is not None else None,
    )


SCHULZE_STRENGTHS = ("margins", "winning_votes")


def schulze(
    profile: Profile,
    *,
    strength: str = "margins",
    tie_break: str | Sequence[str] = ("lot",),
    rng: RngLike = None,
) -> RankedResult:
    """Schulze (beatpath) method.

    Parameters
    ----------
    strength : {"margins", "winning_votes"}
        Strength of a pairwise defeat: the margin (default, as pref_voting and votekit) or the
        number of winning votes (Schulze's own recommendation). They agree on complete
        rankings and can differ on truncated ones.

    Scores in the round are the number of candidates each one beats by strongest path.

    Examples
    --------
    >>> p = Profile.from_rankings([["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 2 + [["C", "A", "B"]] * 2)
    >>> schulze(p).winners
    ('A',)
    """
    if strength not in SCHULZE_STRENGTHS:
        raise RuleError(f"strength must be one of {', '.join(SCHULZE_STRENGTHS)}", code="bad_strength")
    p = pairwise_matrix(profile)
    k = profile.n_candidates
    d = np.where(p > p.T, p if strength == "winning_votes" else p - p.T, 0)
    for m in range(k):
        d = np.maximum(d, np.minimum(d[:, m : m + 1], d[m : m + 1, :]))
    np.fill_diagonal(d, 0)
    wins = (d > d.T).sum(axis=1)
    best = [i for i in range(k) if all(d[i, j] >= d[j, i] for j in range(k) if j != i)]
    tb = TieBreaker(tie_break, profile.names, rng)
    names = profile.names
    return _finish(
        "schulze",
        profile,
        [int(w) for w in wins],
        best,
        tb,
        pick="highest",
        note="candidates beaten by strongest path",
        options={"strength": strength},
        details={
            "strongest_paths": {
                names[i]: {names[j]: int(d[i, j]) for j in range(k) if j != i} for i in range(k)
            }
        },
    )


def ranked_pairs(
    profile: Profile, *, tie_break: str | Sequence[str] = ("lot",), rng: RngLike = None
) -> RankedResult:
    """Ranked Pairs (Tideman): lock pairs by decreasing margin unless they make a cycle.

    Pairs with equal margins are locked in any order when that cannot matter (locking them all
    makes no cycle); otherwise they are ordered by the tie-break rule's candidate priority (the
    candidate order or the lot), which is recorded once.

    Examples
    --------
    >>> p = Profile.from_rankings([["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 2 + [["C", "A", "B"]] * 2)
    >>> ranked_pairs(p).winners
    ('A',)
    """
    p = pairwise_matrix(profile)
    k = profile.n_candidates
    margin = p - p.T
    pairs = [(int(margin[i, j]), i, j) for i in range(k) for j in range(k) if margin[i, j] > 0]
    tb = TieBreaker(tie_break, profile.names, rng)
    pairs.sort(key=lambda t: -t[0])
    locked = np.zeros((k, k), dtype=bool)

    def reaches(graph: np.ndarray, a: int, b: int) -> bool:
        seen = {a}
        stack = [a]
        while stack:
            x = stack.pop()
            if x == b:
                return True
            for y in np.nonzero(graph[x])[0]:
                if int(y) not in seen:
                    seen.add(int(y))
                    stack.append(int(y))
        return False

    rank: dict[int, int] | None = None
    start = 0
    while start < len(pairs):
        end = start
        while end < len(pairs) and pairs[end][0] == pairs[start][0]:
            end += 1
        group = pairs[start:end]
        if len(group) > 1:
            # order inside a group of equal margins matters only if locking all of it makes a cycle
            trial = locked.copy()
            for _, i, j in group:
                trial[i, j] = True
            if any(reaches(trial, j, i) for _, i, j in group):
                if rank is None:
                    prio = tb.priority(list(range(k)), round_number=1, purpose="pair_order")
                    rank = {c: r for r, c in enumerate(prio)}
                group = sorted(group, key=lambda t: (rank[t[1]], -rank[t[2]]))
        for _, i, j in group:
            if not reaches(locked, j, i):
                locked[i, j] = True
        pairs[start:end] = group
        start = end
    sources = [i for i in range(k) if not locked[:, i].any()]
    names = profile.names
    return _finish(
        "ranked_pairs",
        profile,
        [int(locked[i].sum()) for i in range(k)],
        sources,
        tb,
        pick="highest",
        note="source of the locked graph",
        options={},
        details={"locked": [[names[i], names[j]] for _, i, j in pairs if locked[i, j]]},
    )


def copeland(
    profile: Profile, *, tie_break: str | Sequence[str] = ("lot",), rng: RngLike = None
) -> RankedResult:
    """Copeland: one point per head-to-head win, half a point per tie.

    Examples
    --------
    >>> copeland(Profile.from_rankings([["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]])).winners
    ('A',)
    """
    p = pairwise_matrix(profile)
    k = profile.n_candidates
    twice = 2 * (p > p.T).sum(axis=1) + ((p == p.T).sum(axis=1) - 1)
    scores = [Fraction(int(s), 2) for s in twice]
    top = max(scores)
    best = [i for i in range(k) if scores[i] == top]
    tb = TieBreaker(tie_break, profile.names, rng)
    return _finish(
        "copeland", profile, scores, best, tb, pick="highest", note="head-to-head wins (ties 1/2)", options={}
    )


MINIMAX_SCORES = ("margins", "winning_votes", "pairwise_opposition")


def minimax(
    profile: Profile,
    *,
    score: str = "margins",
    tie_break: str | Sequence[str] = ("lot",),
    rng: RngLike = None,
) -> RankedResult:
    """Minimax (Simpson–Kramer): the candidate whose worst defeat is smallest.

    Parameters
    ----------
    score : {"margins", "winning_votes", "pairwise_opposition"}
        How a defeat is measured (default margins). Round tallies are the worst-defeat scores.

    Examples
    --------
    >>> minimax(Profile.from_rankings([["A", "B", "C"], ["B", "A", "C"], ["A", "C", "B"]])).winners
    ('A',)
    """
    if score not in MINIMAX_SCORES:
        raise RuleError(f"score must be one of {', '.join(MINIMAX_SCORES)}", code="bad_minimax_score")
    p = pairwise_matrix(profile)
    k = profile.n_candidates
    if score == "margins":
        against = p.T - p
    elif score == "winning_votes":
        against = np.where(p.T > p, p.T, 0)
    else:
        against = p.T.copy()
    np.fill_diagonal(against, np.iinfo(np.int64).min)
    worst = against.max(axis=1) if k > 1 else np.zeros(1, dtype=np.int64)
    low = worst.min()
    best = [i for i in range(k) if worst[i] == low]
    tb = TieBreaker(tie_break, profile.names, rng)
    return _finish(
        "minimax",
        profile,
        [int(w) for w in worst],
        best,
        tb,
        pick="lowest",
        note=f"worst pairwise defeat ({score}); lowest wins",
        options={"score": score},
    )
