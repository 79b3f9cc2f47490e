"""Ballot-by-ballot reference IRV, written for clarity rather than speed (tests only).

It re-reads every ballot from the top each round, exactly as RCTab's tabulator does, so it is
an independent check of the vectorised pointer walk in ``voting._walk``.
"""

from __future__ import annotations

from voting import OVERVOTE_MARK, Profile

CAUSES = ("exhausted_choices", "overvote", "skipped_rankings", "repeated_ranking")


def _choice(ranking, continuing, *, overvote, max_skipped, duplicates):
    """(candidate, None) or (None, cause) for one ballot given the continuing set."""
    last_seen = -1
    seen: set = set()
    marks = [i for i, e in enumerate(ranking) if e is not None]
    for pos, entry in enumerate(ranking):
        if entry is None:
            continue
        if max_skipped is not None and pos - last_seen - 1 > max_skipped:
            return None, "skipped_rankings"
        last_seen = pos
        members = (
            [entry]
            if not isinstance(entry, frozenset) and entry is not OVERVOTE_MARK
            else (None if entry is OVERVOTE_MARK else sorted(entry, key=str))
        )
        if duplicates == "exhaust" and members is not None:
            if any(m in seen for m in members):
                return None, "repeated_ranking"
            seen.update(members)
        if members is None or len(members) > 1:
            if overvote == "exhaust_immediately" or members is None and overvote != "skip_to_next":
                return None, "overvote"
            if overvote == "skip_to_next":
                continue
            live = [m for m in members if m in continuing]
            if len(live) >= 2:
                return None, "overvote"
            if len(live) == 1:
                return live[0], None
            continue
        if members[0] in continuing:
            return members[0], None
    del marks
    return None, "exhausted_choices"


def naive_irv(
    profile: Profile,
    *,
    overvote="exhaust_immediately",
    max_skipped=None,
    duplicates="skip",
    batch_elimination=False,
):
    """Round tallies and cumulative inactive counts; ties for last broken by candidate order."""
    ballots = []
    for i in range(profile.n_distinct):
        ranking = profile.ranking(i)
        if ranking:
            ballots.extend([ranking] * int(profile.counts[i]))
    continuing = set(profile.candidates)
    out_tallies, out_inactive = [], []
    dead: dict[int, str] = {}
    while True:
        tally = {c: 0 for c in continuing}
        inactive = dict.fromkeys(CAUSES, 0)
        for b, ranking in enumerate(ballots):
            if b in dead:
                inactive[dead[b]] += 1
                continue
            cand, cause = _choice(
                ranking, continuing, overvote=overvote, max_skipped=max_skipped, duplicates=duplicates
            )
            if cand is None:
                dead[b] = cause
                inactive[cause] += 1
            else:
                tally[cand] += 1
        out_tallies.append({str(c): v for c, v in tally.items()})
        out_inactive.append(inactive)
        total = sum(tally.values())
        if len(continuing) <= 2 or any(v > total / 2 for v in tally.values()):
            break
        losers = []
        if batch_elimination:
            ordered = sorted(tally.values())
            running = 0
            for level in sorted(set(ordered)):
                below = [c for c in tally if tally[c] < level]
                if running < level and below:
                    losers = below
                running += level * ordered.count(level)
            if len(losers) < 2:
                losers = []
        if not losers:
            low = min(tally.values())
            losers = [max((c for c in tally if tally[c] == low), key=profile.candidates.index)]
        continuing -= set(losers)
    return {"tallies": out_tallies, "inactive": out_inactive}
