"""Single transferable vote: WIGM, Scottish STV, ERS97-like exclusive Gregory, and Meek.

All decisions are taken on exact numbers: :class:`fractions.Fraction` for WIGM, fixed-point
decimals held as Fractions for Scottish STV (5 decimals, truncated, SSI 2007/42 rule 48) and
the ERS97-like rule (2 decimals), and fixed-point integers (10**-9 votes by default) for Meek.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from fractions import Fraction

import numpy as np

from voting._walk import BLANK, Walker, check_ranking_rules
from voting.ballots import END, OVERVOTE, SKIP, Profile
from voting.errors import RuleError
from voting.irv import _candidate_indices, _sum_by
from voting.results import INACTIVE_CAUSES, AuditTrail, RankedResult, Round, jsonable
from voting.tiebreak import RngLike, TieBreaker

__all__ = ["STV_RULES", "stv"]

STV_RULES = ("wigm", "scottish", "meek", "ers97")
QUOTAS = ("droop", "droop_fractional", "hare")

_DEFAULTS = {
    # rule: (decimals, quota, tie_break)
    "wigm": (None, "droop", ("earliest_round", "lot")),
    "scottish": (5, "droop", ("earliest_round", "lot")),
    "ers97": (2, "droop_fractional", ("previous_rounds", "lot")),
    "meek": (9, "droop_fractional", ("previous_rounds", "lot")),
}


def _trunc(x: Fraction, decimals: int | None) -> Fraction:
    if decimals is None:
        return x
    scale = 10**decimals
    return Fraction((x.numerator * scale) // x.denominator, scale)


def stv(
    profile: Profile,
    *,
    seats: int,
    rule: str = "wigm",
    quota: str | None = None,
    decimals: int | None | str = "default",
    overvote: str = "exhaust_immediately",
    max_skipped: int | None = None,
    duplicates: str = "skip",
    max_rankings: int | None = None,
    excluded: Sequence[Hashable] = (),
    eliminate_first: Sequence[Hashable] = (),
    tie_break: str | Sequence[str] | None = None,
    rng: RngLike = None,
    meek_tolerance: Fraction = Fraction(1, 10**5),
    one_winner_per_round: bool = False,
    audit: bool = False,
) -> RankedResult:
    """Count ranked ballots by the single transferable vote.

    Parameters
    ----------
    profile : Profile
        The ballots.
    seats : int
        Number of seats.
    rule : {"wigm", "scottish", "meek", "ers97"}
        ``"wigm"``: weighted inclusive Gregory, every ballot of an elected candidate passes on
        at ``value * surplus / total``, exact rational arithmetic. ``"scottish"``: the same as
        SSI 2007/42 (Scottish local elections) with each transfer value truncated to 5
        decimals. ``"ers97"``: exclusive Gregory in the manner of the ERS97 rules: only the
        last parcel that elected the candidate is transferred (all ballots for an election on
        first preferences), excluded candidates' ballots move parcel by parcel in descending
        value, values truncated to 2 decimals; no deferral of surpluses. ``"meek"``: Meek's
        method with keep factors iterated to convergence, in fixed point (``decimals``).
    quota : {"droop", "droop_fractional", "hare"}, optional
        ``"droop"``: ``floor(valid / (seats + 1)) + 1`` (default for WIGM and Scottish);
        ``"droop_fractional"``: ``valid / (seats + 1)`` truncated to ``decimals`` plus one unit
        of the last decimal, or exactly ``valid / (seats + 1)`` with election on exceeding it
        under exact arithmetic (default for ERS97; Meek always recomputes it each iteration);
        ``"hare"``: ``valid / seats``.
    decimals : int or None
        Fixed-point places for transfer values (None = exact). Default: per rule (WIGM exact,
        Scottish 5, ERS97 2, Meek 9).
    overvote, max_skipped, duplicates, max_rankings
        Ballot rules as in :func:`voting.irv.irv`. Meek applies them before the count and
        does not accept ``"exhaust_if_multiple_continuing"``.
    excluded : sequence
        Withdrawn candidates.
    eliminate_first : sequence
        Candidates excluded together after the first count, before anyone is elected (e.g.
        undeclared write-ins, as RCTab does). Meek treats them as withdrawn.
    tie_break : str or sequence of str, optional
        Announced tie-break steps; default ``("earliest_round", "lot")`` for WIGM and Scottish
        (SSI 2007/42 rule 50: the earliest stage with unequal totals, then lot), else
        ``("previous_rounds", "lot")``.
    rng : None, int or numpy.random.Generator
        Seed for the lot (needed only if a tie reaches the lot).
    meek_tolerance : Fraction
        Meek iterates until the elected candidates' surpluses add up to at most this fraction of
        the quota (default 10**-5, i.e. 0.1 vote for a quota of 10,000), or until an iteration
        no longer lowers the total surplus (fixed-point rounding floor).
    one_winner_per_round : bool
        Elect at most one candidate per stage (RCTab's "allow only one winner per round"):
        when several reach the quota, the one with the most votes is elected and its surplus
        transferred before the next is considered (Gregory rules only; default False).
    audit : bool
        Record each ranking's pile and value per stage (Gregory rules only).

    Returns
    -------
    RankedResult
        One round per stage. ``Round.extra["loss_by_fraction"]`` (Gregory rules) is the vote
        value lost to truncation so far (for ``"ers97"`` it also holds surplus that no
        transferable ballot could carry); ``Round.extra["keep_factors"]`` (Meek) the elected
        candidates' keep factors. Meek reports inactive weight only as ``exhausted_choices``
        (ballot rules are applied before its count) and has no ballot-level audit trail.

    Examples
    --------
    >>> p = Profile.from_rankings([["A", "B"]] * 6 + [["B"]] * 2 + [["C"]] * 3)
    >>> stv(p, seats=2).winners
    ('A', 'B')
    """
    if rule not in STV_RULES:
        raise RuleError(f"rule must be one of {', '.join(STV_RULES)}, not {rule!r}", code="bad_stv_rule")
    if isinstance(seats, bool) or int(seats) < 1:
        raise RuleError("seats must be a positive integer", code="bad_seats")
    seats = int(seats)
    d_dec, d_quota, d_tb = _DEFAULTS[rule]
    if decimals == "default":
        decimals = d_dec
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        raise RuleError("decimals must be None or a non-negative integer", code="bad_decimals")
    quota = quota or d_quota
    if quota not in QUOTAS:
        raise RuleError(f"quota must be one of {', '.join(QUOTAS)}, not {quota!r}", code="bad_quota")
    tie_break = d_tb if tie_break is None else tie_break
    check_ranking_rules(overvote, max_skipped, duplicates, max_rankings)
    options = {
        "rule": rule,
        "seats": seats,
        "quota": quota,
        "decimals": decimals,
        "overvote": overvote,
        "max_skipped": max_skipped,
        "duplicates": duplicates,
        "max_rankings": max_rankings,
        "excluded": [str(x) for x in excluded],
        "eliminate_first": [str(x) for x in eliminate_first],
        "one_winner_per_round": bool(one_winner_per_round),
    }
    if rule == "meek":
        if one_winner_per_round:
            raise RuleError(
                "Meek STV elects within its iterations: one_winner_per_round needs a Gregory rule",
                code="bad_one_winner_per_round",
            )
        if overvote == "exhaust_if_multiple_continuing":
            raise RuleError("Meek STV needs a static overvote rule", code="bad_overvote")
        if audit:
            raise RuleError(
                "Meek STV splits every ballot among candidates: no ballot-level audit trail", code="no_audit"
            )
        if decimals is None or decimals > 12:
            raise RuleError("Meek STV needs fixed-point decimals between 0 and 12", code="bad_decimals")
        options["meek_tolerance"] = str(meek_tolerance)
        return _meek(
            profile,
            seats,
            decimals,
            overvote,
            max_skipped,
            duplicates,
            max_rankings,
            tuple(excluded) + tuple(eliminate_first),
            tie_break,
            rng,
            meek_tolerance,
            options,
        )
    return _gregory(
        profile,
        seats,
        rule,
        quota,
        decimals,
        overvote,
        max_skipped,
        duplicates,
        max_rankings,
        excluded,
        tie_break,
        rng,
        audit,
        options,
        eliminate_first,
        bool(one_winner_per_round),
    )


def _quota_value(valid: Fraction, seats: int, quota: str, decimals: int | None) -> tuple[Fraction, bool]:
    """Return (quota, strict) where strict means a candidate must exceed it."""
    if quota == "droop":
        return Fraction(int(valid) // (seats + 1) + 1), False
    if quota == "hare":
        return valid / seats, False
    exact = valid / (seats + 1)
    if decimals is None:
        return exact, True
    return _trunc(exact, decimals) + Fraction(1, 10**decimals), False


def _gregory(
    profile,
    seats,
    rule,
    quota_rule,
    decimals,
    overvote,
    max_skipped,
    duplicates,
    max_rankings,
    excluded,
    tie_break,
    rng,
    audit,
    options,
    eliminate_first=(),
    one_per_round=False,
) -> RankedResult:
    names = profile.names
    k = profile.n_candidates
    n = profile.n_distinct
    counts = profile.counts
    tb = TieBreaker(tie_break, names, rng)
    walker = Walker(
        profile, overvote=overvote, max_skipped=max_skipped, duplicates=duplicates, max_rankings=max_rankings
    )
    hopeful = np.ones(k, dtype=bool)
    for c in _candidate_indices(profile, excluded, "excluded"):
        hopeful[c] = False
    elected: list[int] = []
    excluded_now: list[int] = [c for c in range(k) if not hopeful[c]]
    transferred = np.zeros(k, dtype=bool)  # surplus already passed on; tally fixed at quota
    elected_stage = np.zeros(k, dtype=np.int64)
    top = np.full(n, -1, dtype=np.int64)
    status = np.full(n, -1, dtype=np.int64)
    status[walker.blank] = BLANK
    vid = np.zeros(n, dtype=np.int64)
    parcel = np.zeros(n, dtype=np.int64)
    values: list[Fraction] = [Fraction(1)]
    value_ids: dict[Fraction, int] = {Fraction(1): 0}
    history: list[list[Fraction]] = []
    raw: list[dict] = []
    audit_top: list[np.ndarray] = []
    audit_val: list[np.ndarray] = []

    def value_id(v: Fraction) -> int:
        if v not in value_ids:
            value_ids[v] = len(values)
            values.append(v)
        return value_ids[v]

    def weighted(mask: np.ndarray, key: np.ndarray, size: int) -> list[Fraction]:
        """Exact sum of count * value over ``mask`` grouped by ``key`` (0..size-1)."""
        nv = len(values)
        sums = _sum_by(key[mask] * nv + vid[mask], counts[mask], size * nv).reshape(size, nv)
        out = []
        for row in sums:
            nz = np.nonzero(row)[0]
            out.append(sum((int(row[j]) * values[j] for j in nz), Fraction(0)))
        return out

    def move(idx: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        new, cause = walker.advance(idx, hopeful)
        top[idx] = new
        gone = cause >= 0
        status[idx[gone]] = cause[gone]
        top[idx[gone]] = -1
        parcel[idx] = stage
        return new, cause

    def flows_subset(idx: np.ndarray, new: np.ndarray) -> dict[str, Fraction]:
        if not idx.size:
            return {}
        dest = np.where(new >= 0, new, k)
        nv = len(values)
        sums = _sum_by(dest * nv + vid[idx], counts[idx], (k + 1) * nv).reshape(k + 1, nv)
        out: dict[str, Fraction] = {}
        for y in range(k + 1):
            nz = np.nonzero(sums[y])[0]
            if nz.size:
                amt = sum((int(sums[y, j]) * values[j] for j in nz), Fraction(0))
                out[names[y] if y < k else "exhausted"] = amt
        return out

    # stage 1
    stage = 1
    move(np.nonzero(status == -1)[0], stage)
    active = status == -1
    first = weighted(active, np.maximum(top, 0), k)
    valid = sum(first, Fraction(0))
    quota, strict = _quota_value(valid, seats, quota_rule, decimals)
    blank_ballots = int(counts[walker.blank].sum())
    pending: list[int] = []

    def tallies() -> list[Fraction]:
        act = status == -1
        t = weighted(act, np.maximum(top, 0), k)
        for c in elected:
            if transferred[c]:
                t[c] = quota
        return t

    def reaches(v: Fraction) -> bool:
        return v > quota if strict else v >= quota

    def record(t: list[Fraction], note: str) -> dict:
        inactive_mask = (status >= 0) & (status < BLANK)
        inact = weighted(inactive_mask, np.where(inactive_mask, status, 0), len(INACTIVE_CAUSES))
        shown = [c for c in range(k) if hopeful[c] or c in elected]
        total_in = sum((t[c] for c in shown), Fraction(0))
        rnd = {
            "number": stage,
            "tallies": {names[c]: t[c] for c in shown},
            "threshold": quota,
            "inactive": dict(zip(INACTIVE_CAUSES, inact, strict=True)),
            "active": total_in,
            "elected": [],
            "eliminated": [],
            "note": note,
            "extra": {"loss_by_fraction": valid - total_in - sum(inact, Fraction(0))},
            "transfers": {},
        }
        raw.append(rnd)
        history.append(t)
        if audit:
            audit_top.append(np.where(status == BLANK, -9, np.where(status >= 0, -1 - status, top)))
            audit_val.append(np.array([values[v] for v in vid], dtype=object))
        return rnd

    def elect_reaching(t: list[Fraction], rnd: dict) -> None:
        reached = [c for c in range(k) if hopeful[c] and reaches(t[c])]
        if not reached:
            return
        if one_per_round:
            # only the highest is elected now; the others wait for its surplus
            best = max(t[c] for c in reached)
            tied = [c for c in reached if t[c] == best]
            reached = [
                tied[0]
                if len(tied) == 1
                else tb.resolve(
                    tied, pick="highest", history=history[:-1], round_number=stage, purpose="elect", value=best
                )
            ]
        for c in tb.order(
            reached, t, descending=True, history=history[:-1], round_number=stage, purpose="elect"
        ):
            if len(elected) >= seats:
                break
            hopeful[c] = False
            elected.append(c)
            elected_stage[c] = stage
            rnd["elected"].append(names[c])
            if t[c] > quota:
                pending.append(c)

    t = tallies()
    rnd = record(t, "first preferences")
    first_out = [c for c in _candidate_indices(profile, eliminate_first, "eliminate_first") if hopeful[c]]
    if first_out:
        for c in first_out:
            hopeful[c] = False
            excluded_now.append(c)
        rnd["eliminated"] = [names[c] for c in first_out]
        rnd["note"] += "; eliminated before the count proper (eliminate_first)"
        idx = np.nonzero((status == -1) & np.isin(top, first_out))[0]
        top_before = top[idx].copy()
        stage += 1
        new, _ = move(idx, stage)
        rnd["transfers"] = {
            names[c]: flows_subset(idx[top_before == c], new[top_before == c]) for c in first_out
        }
        t = tallies()
        rnd = record(t, "after eliminating " + ", ".join(names[c] for c in first_out))
    elect_reaching(t, rnd)
    while len(elected) < seats:
        n_hope = int(hopeful.sum())
        if n_hope + len(elected) <= seats:
            rest = tb.order(
                [c for c in range(k) if hopeful[c]],
                t,
                descending=True,
                history=history[:-1],
                round_number=stage,
                purpose="elect",
            )
            for c in rest:
                hopeful[c] = False
                elected.append(c)
                rnd["elected"].append(names[c])
            rnd["note"] += "; remaining candidates fill the remaining seats"
            break
        if pending:
            surplus_of = {c: t[c] - quota for c in pending}
            c = tb.order(
                pending,
                [surplus_of.get(i, Fraction(0)) for i in range(k)],
                descending=True,
                history=history[:-1],
                round_number=stage,
                purpose="surplus",
            )[0]
            pending.remove(c)
            surplus = t[c] - quota
            on_pile = (status == -1) & (top == c)
            if rule == "ers97" and elected_stage[c] > 1:
                on_pile &= parcel == elected_stage[c]
            idx = np.nonzero(on_pile)[0]
            if rule == "ers97":
                # only ballots with a further continuing choice share the surplus
                saved = (walker.pos[idx].copy(), walker.prev[idx].copy())
                probe, cause = walker.advance(idx, hopeful)
                walker.pos[idx], walker.prev[idx] = saved
                movable = idx[cause < 0]
                nv = len(values)
                sums = _sum_by(vid[movable], counts[movable], nv)
                transferable = sum((int(sums[j]) * values[j] for j in np.nonzero(sums)[0]), Fraction(0))
                factor = min(Fraction(1), surplus / transferable) if transferable else Fraction(0)
                idx = movable
            else:
                factor = surplus / t[c]
            old_v = vid[idx].copy()
            new_ids = {int(v): value_id(_trunc(values[int(v)] * factor, decimals)) for v in np.unique(old_v)}
            vid[idx] = np.array([new_ids[int(v)] for v in old_v], dtype=np.int64) if idx.size else old_v
            transferred[c] = True
            rnd["note"] += f"; surplus of {names[c]} ({jsonable(surplus)}) transferred next"
            stage += 1
            new, _ = move(idx, stage)
            rnd["transfers"] = {names[c]: flows_subset(idx, new)}
            t = tallies()
            rnd = record(t, f"surplus of {names[c]}")
            elect_reaching(t, rnd)
            continue
        if one_per_round and any(hopeful[c] and reaches(t[c]) for c in range(k)):
            # a deferred candidate reached the quota and no surplus is left to move: the next
            # stage changes no total and elects it
            stage += 1
            rnd = record(t, "deferred election (one winner per round)")
            elect_reaching(t, rnd)
            continue
        # exclusion
        low = min(t[c] for c in range(k) if hopeful[c])
        tied = [c for c in range(k) if hopeful[c] and t[c] == low]
        loser = (
            tied[0]
            if len(tied) == 1
            else tb.resolve(
                tied, pick="lowest", history=history[:-1], round_number=stage, purpose="eliminate", value=low
            )
        )
        hopeful[loser] = False
        excluded_now.append(loser)
        rnd["eliminated"].append(names[loser])
        on_pile = np.nonzero((status == -1) & (top == loser))[0]
        if rule == "ers97":
            vals = sorted({int(v) for v in vid[on_pile]}, key=lambda v: values[v], reverse=True)
            parcels = [on_pile[vid[on_pile] == v] for v in vals] or [on_pile]
        else:
            parcels = [on_pile]
        for j, idx in enumerate(parcels):
            stage += 1
            new, _ = move(idx, stage)
            rnd["transfers"] = {names[loser]: flows_subset(idx, new)}
            t = tallies()
            part = f" (parcel {j + 1} of {len(parcels)})" if len(parcels) > 1 else ""
            rnd = record(t, f"exclusion of {names[loser]}{part}")
            elect_reaching(t, rnd)
            if len(elected) >= seats:
                break
    rounds = tuple(
        Round(
            number=d["number"],
            tallies=d["tallies"],
            threshold=d["threshold"],
            elected=tuple(d["elected"]),
            eliminated=tuple(d["eliminated"]),
            transfers=d["transfers"],
            inactive=d["inactive"],
            active=d["active"],
            note=d["note"],
            extra=d["extra"],
        )
        for d in raw
    )
    options["tie_break"] = list(tb.steps)
    trail = None
    if audit:
        trail = AuditTrail(
            np.stack(audit_top, axis=1), np.stack(audit_val, axis=1), profile.ballot_rows, names
        )
    return RankedResult(
        method="stv",
        candidates=names,
        winners=tuple(names[c] for c in elected),
        rounds=rounds,
        tie_breaks=tuple(tb.records),
        seats=seats,
        quota=quota,
        n_ballots=profile.n_ballots,
        blank_ballots=blank_ballots,
        inactive=dict(rounds[-1].inactive),
        options=options,
        details={"valid_votes": valid, "quota_strict": strict},
        seed=tb.seed,
        lot_order=tuple(names[i] for i in tb.lot_order) if tb.lot_order is not None else None,
        audit=trail,
    )


def strict_rows(
    profile: Profile, *, overvote: str, max_skipped: int | None, duplicates: str, max_rankings: int | None
) -> np.ndarray:
    """Apply static ballot rules once, giving strict rankings padded with ``END`` (for Meek)."""
    rows = profile.rows
    if max_rankings is not None:
        rows = rows[:, :max_rankings]
    n, width = rows.shape
    out = np.full((n, width + 1), END, dtype=np.int64)
    rep = profile.repeat_mask()[:, :width]
    fill = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    prev = np.full(n, -1, dtype=np.int64)
    ar = np.arange(n)
    for j in range(width):
        e = rows[:, j].astype(np.int64)
        mark = alive & (e != SKIP) & (e != END)
        if max_skipped is not None:
            bad = mark & (j - prev - 1 > max_skipped)
            alive &= ~bad
            mark &= ~bad
        prev[mark] = j
        dup = mark & rep[:, j]
        if duplicates == "exhaust":
            alive &= ~dup
        mark &= ~dup
        ov = mark & (e <= OVERVOTE)
        if overvote == "exhaust_immediately":
            alive &= ~ov
        mark &= ~ov
        take = ar[mark]
        out[take, fill[take]] = e[take]
        fill[take] += 1
    keep = int(fill.max()) + 1 if n else 1
    return out[:, :keep]


def _meek(
    profile,
    seats,
    decimals,
    overvote,
    max_skipped,
    duplicates,
    max_rankings,
    excluded,
    tie_break,
    rng,
    tolerance,
    options,
) -> RankedResult:
    names = profile.names
    k = profile.n_candidates
    counts = profile.counts
    tb = TieBreaker(tie_break, names, rng)
    rows = strict_rows(
        profile, overvote=overvote, max_skipped=max_skipped, duplicates=duplicates, max_rankings=max_rankings
    )
    nonblank = rows[:, 0] != END
    blank_ballots = int(counts[~nonblank].sum())
    rows = rows[nonblank]
    cnt = counts[nonblank]
    scale = 10**decimals
    # END maps to an extra candidate with keep factor 0 so it absorbs nothing
    rows_k = np.where(rows == END, k, rows)
    total_units = int(cnt.sum()) * scale
    exact_float = total_units < 2**53
    keep = np.full(k + 1, scale, dtype=np.int64)
    keep[k] = 0
    state = np.zeros(k, dtype=np.int8)  # 0 hopeful, 1 elected, 2 excluded
    for c in _candidate_indices(profile, excluded, "excluded"):
        state[c] = 2
        keep[c] = 0
    elected: list[int] = []
    raw: list[dict] = []
    history: list[list[Fraction]] = []

    def distribute() -> tuple[np.ndarray, int]:
        w = np.full(rows_k.shape[0], scale, dtype=np.int64)
        votes = np.zeros(k + 1, dtype=np.int64)
        for j in range(rows_k.shape[1]):
            col = rows_k[:, j]
            kc = keep[col]
            give = (w * kc) // scale
            live = give > 0
            if not live.any():
                if not (w > 0).any():
                    break
                continue
            amounts = give[live] * cnt[live]
            if exact_float:
                votes += np.rint(np.bincount(col[live], weights=amounts, minlength=k + 1)).astype(np.int64)
            else:
                np.add.at(votes, col[live], amounts)
            w = w - give
        return votes[:k], total_units - int(votes[:k].sum())

    stage = 0
    iterations_total = 0
    while True:
        stage += 1
        iterations = 0
        newly: list[int] = []
        last_surplus: int | None = None
        while True:
            iterations += 1
            votes, excess = distribute()
            q = (total_units - excess) // (seats + 1) + 1
            reached = [c for c in range(k) if state[c] == 0 and votes[c] >= q]
            if reached:
                order = tb.order(
                    reached,
                    [Fraction(int(v), scale) for v in votes],
                    descending=True,
                    history=history,
                    round_number=stage,
                    purpose="elect",
                )
                for c in order:
                    if len(elected) + len(newly) < seats:
                        state[c] = 1
                        newly.append(c)
            surplus = sum(int(votes[c]) - q for c in range(k) if state[c] == 1)
            stalled = last_surplus is not None and surplus >= last_surplus
            last_surplus = surplus
            if newly or surplus <= tolerance * q or stalled:
                break
            changed = False
            for c in range(k):
                if state[c] == 1 and votes[c] > 0:
                    nk = -((-int(keep[c]) * q) // int(votes[c]))  # round up
                    nk = min(nk, scale)
                    if nk != keep[c]:
                        keep[c] = nk
                        changed = True
            if not changed:
                break
        iterations_total += iterations
        elected.extend(newly)
        tally = [Fraction(int(v), scale) for v in votes]
        history.append(tally)
        shown = [c for c in range(k) if state[c] != 2]
        rnd = {
            "number": stage,
            "tallies": {names[c]: tally[c] for c in shown},
            "threshold": Fraction(q, scale),
            "inactive": {"exhausted_choices": Fraction(excess, scale)},
            "active": sum((tally[c] for c in shown), Fraction(0)),
            "elected": [names[c] for c in newly],
            "eliminated": [],
            "note": f"{iterations} iteration(s)",
            "extra": {
                "keep_factors": {names[c]: Fraction(int(keep[c]), scale) for c in range(k) if state[c] == 1}
            },
        }
        raw.append(rnd)
        if len(elected) >= seats:
            break
        hope = [c for c in range(k) if state[c] == 0]
        if len(hope) + len(elected) <= seats:
            order = tb.order(
                hope, tally, descending=True, history=history[:-1], round_number=stage, purpose="elect"
            )
            for c in order:
                state[c] = 1
                elected.append(c)
                rnd["elected"].append(names[c])
            rnd["note"] += "; remaining candidates fill the remaining seats"
            break
        if newly:
            continue
        low = min(tally[c] for c in hope)
        tied = [c for c in hope if tally[c] == low]
        loser = (
            tied[0]
            if len(tied) == 1
            else tb.resolve(
                tied, pick="lowest", history=history[:-1], round_number=stage, purpose="eliminate", value=low
            )
        )
        state[loser] = 2
        keep[loser] = 0
        rnd["eliminated"].append(names[loser])
    rounds = tuple(
        Round(
            number=d["number"],
            tallies=d["tallies"],
            threshold=d["threshold"],
            elected=tuple(d["elected"]),
            eliminated=tuple(d["eliminated"]),
            inactive=d["inactive"],
            active=d["active"],
            note=d["note"],
            extra=d["extra"],
        )
        for d in raw
    )
    options["tie_break"] = list(tb.steps)
    return RankedResult(
        method="stv",
        candidates=names,
        winners=tuple(names[c] for c in elected),
        rounds=rounds,
        tie_breaks=tuple(tb.records),
        seats=seats,
        quota=rounds[-1].threshold,
        n_ballots=profile.n_ballots,
        blank_ballots=blank_ballots,
        inactive=dict(rounds[-1].inactive),
        options=options,
        details={"iterations": iterations_total},
        seed=tb.seed,
        lot_order=tuple(names[i] for i in tb.lot_order) if tb.lot_order is not None else None,
    )
