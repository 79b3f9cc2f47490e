"""Instant-runoff voting (IRV, single-seat RCV) with statutory rule options, and its multi-seat
variants: sequential IRV and bottoms-up elimination to a percentage."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from fractions import Fraction

import numpy as np

from voting._walk import BLANK, Walker
from voting.ballots import Profile
from voting.errors import RuleError
from voting.results import INACTIVE_CAUSES, AuditTrail, RankedResult, Round, TieBreak
from voting.tiebreak import RngLike, TieBreaker

__all__ = ["bottoms_up", "irv", "sequential_irv"]


def _sum_by(keys: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Exact integer ``bincount`` (float64 sums are exact below 2**53; checked)."""
    if weights.size and int(weights.sum()) >= 2**53:
        out = np.zeros(size, dtype=np.int64)
        np.add.at(out, keys, weights)
        return out
    return np.rint(np.bincount(keys, weights=weights, minlength=size)).astype(np.int64)


def _batch_losers(tally: dict[int, int]) -> list[int]:
    """RCTab-style batch elimination: the largest set of lowest candidates whose combined
    total is below the next candidate's total (so none of them could overtake it)."""
    levels = sorted(set(tally.values()))
    running = 0
    seen: list[int] = []
    best: list[int] = []
    for level in levels:
        if running < level and seen:
            best = list(seen)
        at = [c for c in tally if tally[c] == level]
        running += level * len(at)
        seen.extend(at)
    return best


def _candidate_indices(profile: Profile, names: Sequence[Hashable], what: str) -> list[int]:
    out = []
    for n in names:
        if n in profile.candidates:
            out.append(profile.candidates.index(n))
        elif str(n) in profile.names:
            out.append(profile.names.index(str(n)))
        else:
            raise RuleError(f"{what}: unknown candidate {n!r}", code="unknown_candidate")
    return out


def irv(
    profile: Profile,
    *,
    overvote: str = "exhaust_immediately",
    max_skipped: int | None = None,
    duplicates: str = "skip",
    max_rankings: int | None = None,
    threshold: str = "continuing",
    batch_elimination: bool = False,
    continue_until_two: bool = False,
    eliminate_first: Sequence[Hashable] = (),
    excluded: Sequence[Hashable] = (),
    tie_break: str | Sequence[str] = ("previous_rounds", "lot"),
    rng: RngLike = None,
    audit: bool = False,
) -> RankedResult:
    """Count ranked ballots by instant runoff.

    Each round every active ballot counts for its highest-ranked continuing candidate; a
    candidate with a majority wins, otherwise the last candidate (or a batch) is eliminated.

    Parameters
    ----------
    profile : Profile
        The ballots.
    overvote : {"exhaust_immediately", "skip_to_next", "exhaust_if_multiple_continuing"}
        What a rank with several candidates does when reached: the ballot becomes inactive
        (default; San Francisco, Maine), the rank is skipped (Minneapolis 2017), or the ballot
        becomes inactive only if two or more of those candidates are still continuing, counts
        for the one continuing candidate if there is exactly one, and is skipped if there is
        none (Burlington).
    max_skipped : int or None
        Blank ranks allowed before a marked rank; more exhaust the ballot when reached
        (``None``, the default: any number, as San Francisco; 1 for NYC, Alaska, Maine).
    duplicates : {"skip", "exhaust"}
        A candidate ranked again: the repeat is ignored (default) or exhausts the ballot.
    max_rankings : int or None
        Only the first ``max_rankings`` ranks are read (default: all).
    threshold : {"continuing", "first_round"}
        Majority of the ballots continuing in the round (default) or of first-round ballots.
    batch_elimination : bool
        Eliminate together every lowest candidate whose combined total is below the next
        candidate (default False: one at a time).
    continue_until_two : bool
        Keep eliminating after a majority until two candidates remain (reporting only; the
        winner is the first to reach the threshold).
    eliminate_first : sequence
        Candidates eliminated together in round 1 before anything else (e.g. undeclared
        write-ins).
    excluded : sequence
        Candidates withdrawn before the count: never continuing, ballots skip them.
    tie_break : str or sequence of str
        Announced tie-break steps (see :mod:`voting.tiebreak`); default previous rounds, then lot.
    rng : None, int or numpy.random.Generator
        Seed for the lot. Needed only if a tie reaches the lot; never drawn unseeded.
    audit : bool
        Record where each ballot counted in each round (:attr:`RankedResult.audit`).

    Returns
    -------
    RankedResult

    Examples
    --------
    >>> p = Profile.from_rankings([["A"]] * 4 + [["B", "A"]] * 2 + [["C", "B"]] * 3)
    >>> r = irv(p)
    >>> r.winners, [dict(x.tallies) for x in r.rounds]
    (('A',), [{'A': 4, 'B': 2, 'C': 3}, {'A': 6, 'C': 3}])
    """
    return _runoff(
        profile,
        share=None,
        overvote=overvote,
        max_skipped=max_skipped,
        duplicates=duplicates,
        max_rankings=max_rankings,
        threshold=threshold,
        batch_elimination=batch_elimination,
        continue_until_two=continue_until_two,
        eliminate_first=eliminate_first,
        excluded=excluded,
        tie_break=tie_break,
        rng=rng,
        audit=audit,
    )


def bottoms_up(
    profile: Profile,
    *,
    percentage: int | float | str | Fraction,
    overvote: str = "exhaust_immediately",
    max_skipped: int | None = None,
    duplicates: str = "skip",
    max_rankings: int | None = None,
    threshold: str = "continuing",
    batch_elimination: bool = False,
    eliminate_first: Sequence[Hashable] = (),
    excluded: Sequence[Hashable] = (),
    tie_break: str | Sequence[str] = ("previous_rounds", "lot"),
    rng: RngLike = None,
    audit: bool = False,
) -> RankedResult:
    """Multi-winner count from the bottom: eliminate until every candidate has ``percentage``.

    Rounds run as in :func:`irv` (no surplus is transferred); the count stops as soon as every
    continuing candidate has at least ``percentage`` % of the round's active ballots (or of the
    first round's, with ``threshold="first_round"``), and all of them win. This is RCTab's
    "bottoms-up using percentage threshold"; the number of winners is not fixed in advance.

    Parameters
    ----------
    profile : Profile
        The ballots.
    percentage : number or str
        Share each winner needs, in percent (0 < percentage <= 100); read exactly (``"15.5"``).
    threshold : {"continuing", "first_round"}
        The percentage of each round's active ballots (default) or of the first round's.
    overvote, max_skipped, duplicates, max_rankings, batch_elimination, eliminate_first, excluded, \
tie_break, rng, audit
        As in :func:`irv`.

    Returns
    -------
    RankedResult
        ``winners`` in descending order of their final tally; ``seats`` is their number.

    Examples
    --------
    >>> p = Profile.from_rankings([["A"]] * 5 + [["B"]] * 3 + [["C", "B"]] * 2)
    >>> r = bottoms_up(p, percentage=25)
    >>> r.winners, [dict(x.tallies) for x in r.rounds]
    (('A', 'B'), [{'A': 5, 'B': 3, 'C': 2}, {'A': 5, 'B': 5}])
    """
    try:
        share = Fraction(str(percentage)) / 100
    except (TypeError, ValueError):
        share = Fraction(-1)
    if isinstance(percentage, bool) or not 0 < share <= 1:
        raise RuleError("percentage must be a number above 0 and at most 100", code="bad_percentage")
    return _runoff(
        profile,
        share=share,
        overvote=overvote,
        max_skipped=max_skipped,
        duplicates=duplicates,
        max_rankings=max_rankings,
        threshold=threshold,
        batch_elimination=batch_elimination,
        continue_until_two=False,
        eliminate_first=eliminate_first,
        excluded=excluded,
        tie_break=tie_break,
        rng=rng,
        audit=audit,
    )


def sequential_irv(
    profile: Profile,
    *,
    seats: int,
    overvote: str = "exhaust_immediately",
    max_skipped: int | None = None,
    duplicates: str = "skip",
    max_rankings: int | None = None,
    threshold: str = "continuing",
    batch_elimination: bool = False,
    continue_until_two: bool = False,
    eliminate_first: Sequence[Hashable] = (),
    excluded: Sequence[Hashable] = (),
    tie_break: str | Sequence[str] = ("previous_rounds", "lot"),
    rng: RngLike = None,
    audit: bool = False,
) -> RankedResult:
    """Fill ``seats`` by repeated instant runoff (RCTab's "multi-pass IRV", sequential RCV).

    Pass 1 is :func:`irv` on the ballots; each later pass counts the original ballots again by
    :func:`irv` with every earlier winner withdrawn (as ``excluded``: ballots skip them), and
    elects one more candidate. Each pass starts afresh: its own threshold, inactive ballots
    and tie-break history (an int ``rng`` seed gives every pass the same lot).

    Parameters
    ----------
    profile : Profile
        The ballots.
    seats : int
        Number of passes (winners).
    overvote, max_skipped, duplicates, max_rankings, threshold, batch_elimination, \
continue_until_two, eliminate_first, excluded, tie_break, rng, audit
        As in :func:`irv`, for every pass.

    Returns
    -------
    RankedResult
        ``rounds`` of all passes one after another, numbered on; ``Round.extra`` holds
        ``"pass"`` and ``"pass_round"`` (the round's number within its pass). ``details["passes"]``
        lists each pass's winner and round numbers. Tie-breaks carry the overall round numbers.

    Examples
    --------
    >>> p = Profile.from_rankings([["A", "B"]] * 5 + [["B"]] * 2 + [["C", "A"]] * 3)
    >>> r = sequential_irv(p, seats=2)
    >>> r.winners, [(x.extra["pass"], dict(x.tallies)) for x in r.rounds]
    (('A', 'B'), [(1, {'A': 5, 'B': 2, 'C': 3}), (1, {'A': 5, 'C': 3}), (2, {'B': 7, 'C': 3})])
    """
    if isinstance(seats, bool) or int(seats) < 1:
        raise RuleError("seats must be a positive integer", code="bad_seats")
    seats = int(seats)
    out = set(_candidate_indices(profile, excluded, "excluded"))
    out |= set(_candidate_indices(profile, eliminate_first, "eliminate_first"))
    if seats > profile.n_candidates - len(out):
        raise RuleError(f"{seats} seats but only {profile.n_candidates - len(out)} candidates", code="bad_seats")
    opts = {
        "overvote": overvote,
        "max_skipped": max_skipped,
        "duplicates": duplicates,
        "max_rankings": max_rankings,
        "threshold": threshold,
        "batch_elimination": batch_elimination,
        "continue_until_two": continue_until_two,
        "eliminate_first": eliminate_first,
        "tie_break": tie_break,
        "rng": rng,
        "audit": audit,
    }
    withdrawn = list(excluded)
    passes: list[RankedResult] = []
    while len(passes) < seats:
        result = irv(profile, excluded=tuple(withdrawn), **opts)
        passes.append(result)
        withdrawn.append(result.winner)
    rounds: list[Round] = []
    tie_breaks: list[TieBreak] = []
    summary = []
    for p, result in enumerate(passes, start=1):
        offset = len(rounds)
        rounds += [
            replace(x, number=offset + x.number, extra={**x.extra, "pass": p, "pass_round": x.number})
            for x in result.rounds
        ]
        tie_breaks += [replace(t, round=offset + t.round) for t in result.tie_breaks]
        summary.append({"pass": p, "winner": result.winner, "rounds": [offset + 1, len(rounds)]})
    first = passes[0]
    trail = None
    if audit:
        trail = AuditTrail(
            np.concatenate([x.audit.recipients for x in passes], axis=1), None, profile.ballot_rows, profile.names
        )
    return RankedResult(
        method="sequential-irv",
        candidates=first.candidates,
        winners=tuple(x.winner for x in passes),
        rounds=tuple(rounds),
        tie_breaks=tuple(tie_breaks),
        seats=seats,
        quota=None,
        n_ballots=first.n_ballots,
        blank_ballots=first.blank_ballots,
        inactive=dict(rounds[-1].inactive),
        options={"seats": seats, **first.options, "excluded": [str(x) for x in excluded]},
        details={"passes": summary},
        seed=first.seed,
        lot_order=first.lot_order,
        audit=trail,
    )


def _runoff(
    profile: Profile,
    *,
    share: Fraction | None,
    overvote: str,
    max_skipped: int | None,
    duplicates: str,
    max_rankings: int | None,
    threshold: str,
    batch_elimination: bool,
    continue_until_two: bool,
    eliminate_first: Sequence[Hashable],
    excluded: Sequence[Hashable],
    tie_break: str | Sequence[str],
    rng: RngLike,
    audit: bool,
) -> RankedResult:
    """The elimination loop of :func:`irv` (``share`` None: majority, one winner) and of
    :func:`bottoms_up` (``share``: every continuing candidate needs that share; all win)."""
    if threshold not in ("continuing", "first_round"):
        raise RuleError("threshold must be 'continuing' or 'first_round'", code="bad_threshold")
    walker = Walker(
        profile, overvote=overvote, max_skipped=max_skipped, duplicates=duplicates, max_rankings=max_rankings
    )
    names = profile.names
    k = profile.n_candidates
    tb = TieBreaker(tie_break, names, rng)
    counts = profile.counts
    n = profile.n_distinct
    continuing = np.ones(k, dtype=bool)
    for c in _candidate_indices(profile, excluded, "excluded"):
        continuing[c] = False
    if not continuing.any():
        raise RuleError("no candidate is left to count for (all excluded)", code="no_candidates")
    first_out = _candidate_indices(profile, eliminate_first, "eliminate_first")
    top = np.full(n, -1, dtype=np.int64)
    status = np.full(n, -1, dtype=np.int64)
    status[walker.blank] = BLANK
    blank_ballots = int(counts[walker.blank].sum())

    history: list[list[int]] = []
    raw_rounds: list[dict] = []
    audit_cols: list[np.ndarray] = []
    winner: int | None = None
    elected: list[int] = []  # bottoms-up: everyone left once all have the share
    fixed_threshold: int | Fraction | None = None
    just_out: list[int] = []
    r = 0
    while True:
        r += 1
        active = status == -1
        need = np.nonzero(active & ((top < 0) | ~continuing[np.maximum(top, 0)]))[0]
        old = top[need]
        new, cause = walker.advance(need, continuing)
        top[need] = new
        became = cause >= 0
        status[need[became]] = cause[became]
        top[need[became]] = -1
        if just_out:
            moved = old >= 0
            dest = np.where(new[moved] >= 0, new[moved], k)
            flows = _sum_by(old[moved] * (k + 1) + dest, counts[need[moved]], k * (k + 1)).reshape(k, k + 1)
            raw_rounds[-1]["transfers"] = {
                names[x]: {
                    **{names[y]: int(flows[x, y]) for y in range(k) if flows[x, y]},
                    **({"exhausted": int(flows[x, k])} if flows[x, k] else {}),
                }
                for x in just_out
            }
        active = status == -1
        tally = _sum_by(top[active], counts[active], k)
        inactive_w = _sum_by(
            status[(status >= 0) & (status < BLANK)], counts[(status >= 0) & (status < BLANK)], 4
        )
        inactive = {cause_name: int(inactive_w[i]) for i, cause_name in enumerate(INACTIVE_CAUSES)}
        history.append([int(t) for t in tally])
        if audit:
            audit_cols.append(np.where(status == BLANK, -9, np.where(status >= 0, -1 - status, top)))
        active_total = int(tally[continuing].sum())
        if threshold == "first_round" and fixed_threshold is not None:
            thr = fixed_threshold
        else:
            thr = active_total // 2 + 1 if share is None else share * active_total
            fixed_threshold = thr
        cont = [int(c) for c in np.nonzero(continuing)[0]]
        rnd: dict = {
            "number": r,
            "tallies": {names[c]: int(tally[c]) for c in cont},
            "threshold": thr,
            "inactive": inactive,
            "active": active_total,
            "elected": (),
            "eliminated": (),
            "note": "",
        }
        raw_rounds.append(rnd)
        just_out = []
        if r == 1 and first_out:
            out = [c for c in first_out if continuing[c]]
            for c in out:
                continuing[c] = False
            rnd["eliminated"] = tuple(names[c] for c in out)
            rnd["note"] = "eliminated before the count proper (eliminate_first)"
            just_out = out
            continue
        if share is not None:
            if len(cont) == 1 or all(tally[c] >= thr for c in cont):
                elected = sorted(cont, key=lambda c: (-int(tally[c]), c))
                rnd["elected"] = tuple(names[c] for c in elected)
                rnd["note"] = "only continuing candidate" if len(cont) == 1 else f"every candidate has {thr}"
                break
        elif winner is None:
            leaders = [c for c in cont if tally[c] >= thr]
            if len(cont) == 1:
                winner = cont[0]
                rnd["note"] = "only continuing candidate"
            elif leaders:
                winner = max(leaders, key=lambda c: tally[c])
                rnd["note"] = f"reached the threshold of {thr}"
            elif len(cont) == 2:
                # Two left and neither has the threshold: a tie (or, with a first-round
                # threshold, too many exhausted ballots). The one with more votes wins; a tie is
                # broken by the announced rule in this round rather than by an elimination.
                best = max(tally[c] for c in cont)
                tied = [c for c in cont if tally[c] == best]
                winner = (
                    tied[0]
                    if len(tied) == 1
                    else tb.resolve(
                        tied,
                        pick="highest",
                        history=history[:-1],
                        round_number=r,
                        purpose="winner",
                        value=best,
                    )
                )
                rnd["note"] = "most votes of the last two" if len(tied) == 1 else "last two tied; tie broken"
            if winner is not None:
                rnd["elected"] = (names[winner],)
                if not (continue_until_two and len(cont) > 2):
                    break
        if len(cont) <= 2 and winner is not None:
            break
        # elimination
        pool = {c: int(tally[c]) for c in cont if c != winner}
        losers: list[int] = []
        if batch_elimination:
            losers = _batch_losers(pool)
            if continue_until_two and winner is not None and len(cont) - len(losers) < 2:
                losers = []
            if len(losers) > 1:
                rnd["note"] = (rnd["note"] + "; " if rnd["note"] else "") + "batch elimination"
            else:
                losers = []
        if not losers:
            low = min(pool.values())
            tied = [c for c in pool if pool[c] == low]
            loser = (
                tied[0]
                if len(tied) == 1
                else tb.resolve(
                    tied, pick="lowest", history=history[:-1], round_number=r, purpose="eliminate", value=low
                )
            )
            losers = [loser]
            if not rnd["note"]:
                rnd["note"] = "fewest votes" if len(tied) == 1 else "fewest votes (tie broken)"
        for c in losers:
            continuing[c] = False
        rnd["eliminated"] = tuple(names[c] for c in sorted(losers, key=lambda c: (pool[c], c)))
        just_out = losers
    rounds = tuple(Round(**{**d, "transfers": d.get("transfers", {})}) for d in raw_rounds)
    options = {
        "overvote": overvote,
        "max_skipped": max_skipped,
        "duplicates": duplicates,
        "max_rankings": max_rankings,
        "threshold": threshold,
        "batch_elimination": batch_elimination,
        "continue_until_two": continue_until_two,
        "eliminate_first": [str(x) for x in eliminate_first],
        "excluded": [str(x) for x in excluded],
        "tie_break": list(tb.steps),
    }
    trail = None
    if audit:
        trail = AuditTrail(np.stack(audit_cols, axis=1), None, profile.ballot_rows, names)
    if share is not None:
        options = {"percentage": share * 100, **options}
        options.pop("continue_until_two")
    elif winner is not None:
        elected = [winner]
    return RankedResult(
        method="irv" if share is None else "bottoms-up",
        candidates=names,
        winners=tuple(names[c] for c in elected),
        rounds=rounds,
        tie_breaks=tuple(tb.records),
        seats=len(elected) if share is not None else 1,
        quota=rounds[-1].threshold,
        n_ballots=profile.n_ballots,
        blank_ballots=blank_ballots,
        inactive=dict(rounds[-1].inactive),
        options=options,
        seed=tb.seed,
        lot_order=tuple(names[i] for i in tb.lot_order) if tb.lot_order is not None else None,
        audit=trail,
    )
