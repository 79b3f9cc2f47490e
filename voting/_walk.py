"""Shared ballot walker: finds each ranking's next countable choice under the announced rules.

Internal module. A :class:`Walker` keeps, for every distinct ranking, the rank it is looking at.
Continuing candidates only ever stop continuing, so a ranking never has to look back: advancing
a pointer gives the same answer as re-reading the ballot from the top each round (as RCTab
does), at the cost of the rankings that actually move.
"""

from __future__ import annotations

import numpy as np

from voting.ballots import END, OVERVOTE, SKIP, Profile
from voting.errors import RuleError

OVERVOTE_RULES = ("exhaust_immediately", "skip_to_next", "exhaust_if_multiple_continuing")
DUPLICATE_RULES = ("skip", "exhaust")

# cause codes (index into results.INACTIVE_CAUSES)
EXHAUSTED, OVERVOTED, SKIPPED, REPEATED = 0, 1, 2, 3
BLANK = 9


def check_ranking_rules(
    overvote: str, max_skipped: int | None, duplicates: str, max_rankings: int | None
) -> None:
    """Validate the ballot-reading options shared by every method."""
    if overvote not in OVERVOTE_RULES:
        raise RuleError(
            f"overvote must be one of {', '.join(OVERVOTE_RULES)}, not {overvote!r}", code="bad_overvote"
        )
    if duplicates not in DUPLICATE_RULES:
        raise RuleError(
            f"duplicates must be one of {', '.join(DUPLICATE_RULES)}, not {duplicates!r}",
            code="bad_duplicates",
        )
    if max_skipped is not None and (isinstance(max_skipped, bool) or int(max_skipped) < 0):
        raise RuleError("max_skipped must be None or a non-negative integer", code="bad_max_skipped")
    if max_rankings is not None and (isinstance(max_rankings, bool) or int(max_rankings) < 1):
        raise RuleError("max_rankings must be None or a positive integer", code="bad_max_rankings")


class Walker:
    """Pointer per distinct ranking plus the rules for moving it."""

    def __init__(
        self,
        profile: Profile,
        *,
        overvote: str,
        max_skipped: int | None,
        duplicates: str,
        max_rankings: int | None,
    ) -> None:
        check_ranking_rules(overvote, max_skipped, duplicates, max_rankings)
        rows = profile.rows
        if max_rankings is not None and max_rankings < rows.shape[1] - 1:
            rows = rows[:, :max_rankings].copy()
            rows = np.concatenate([rows, np.full((rows.shape[0], 1), END, dtype=rows.dtype)], axis=1)
            # trailing skips left by the cut become the end of the ballot
            for j in range(max_rankings - 1, -1, -1):
                tail = (rows[:, j] == SKIP) & (rows[:, j + 1] == END)
                rows[tail, j] = END
        self.rows = rows
        self.overvote = overvote
        self.max_skipped = None if max_skipped is None else int(max_skipped)
        self.repeat = profile.repeat_mask()[:, : rows.shape[1]] if duplicates == "exhaust" else None
        self.groups = profile.group_matrix()
        n = rows.shape[0]
        self.pos = np.zeros(n, dtype=np.int64)
        self.prev = np.full(n, -1, dtype=np.int64)
        self.blank = rows[:, 0] == END

    def advance(self, idx: np.ndarray, continuing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move rankings ``idx`` to their next countable choice.

        Returns ``(top, cause)``: the candidate each now counts for (-1 if none) and the cause
        code when it became inactive (-1 if still active).
        """
        m = idx.size
        top = np.full(m, -1, dtype=np.int64)
        cause = np.full(m, -1, dtype=np.int64)
        work = np.arange(m)
        rows, pos, prev = self.rows, self.pos, self.prev
        while work.size:
            b = idx[work]
            p = pos[b]
            e = rows[b, p].astype(np.int64)
            end = e == END
            cause[work[end]] = EXHAUSTED
            mark = (e != SKIP) & ~end
            stop = end.copy()
            if self.max_skipped is not None:
                skipx = mark & (p - prev[b] - 1 > self.max_skipped)
                cause[work[skipx]] = SKIPPED
                stop |= skipx
                mark &= ~skipx
            prev[b[mark]] = p[mark]
            if self.repeat is not None:
                dupx = mark & self.repeat[b, p]
                cause[work[dupx]] = REPEATED
                stop |= dupx
                mark &= ~dupx
            single = mark & (e >= 0)
            ok = np.zeros(work.size, dtype=bool)
            ok[single] = continuing[e[single]]
            top[work[ok]] = e[ok]
            stop |= ok
            ov = mark & (e <= OVERVOTE)
            move = (e == SKIP) | (single & ~ok)
            if ov.any():
                if self.overvote == "exhaust_immediately":
                    cause[work[ov]] = OVERVOTED
                    stop |= ov
                elif self.overvote == "skip_to_next":
                    move |= ov
                else:
                    ovi = np.nonzero(ov)[0]
                    unknown = e[ovi] == OVERVOTE
                    g = np.where(unknown, len(self.groups) - 1, OVERVOTE - 1 - e[ovi])
                    members = self.groups[g] & continuing[None, :]
                    nc = members.sum(axis=1)
                    nc[unknown] = 2  # candidates unknown: cannot tell, so treated as exhausting
                    many = ovi[nc >= 2]
                    cause[work[many]] = OVERVOTED
                    one = nc == 1
                    top[work[ovi[one]]] = np.argmax(members[one], axis=1)
                    stop[ovi[nc >= 1]] = True
                    move[ovi[nc == 0]] = True
            pos[b[move]] += 1
            work = work[move & ~stop]
        return top, cause
