"""Ballot profiles: distinct rankings with their counts.

A :class:`Profile` stores each distinct ranking once, as one row of an integer matrix, with the
number of ballots that cast it. A million ballots therefore cost what their distinct rankings
cost. Each cell of a row holds one rank of the ballot:

* ``c >= 0``: the single candidate ``c`` (index into :attr:`Profile.candidates`);
* :data:`SKIP` (-1): a rank left blank between marked ranks;
* :data:`END` (-2): no more rankings (every row ends with at least one ``END``);
* :data:`OVERVOTE` (-3): an overvote whose candidates are not known (e.g. a vendor's
  ``overvote`` label);
* ``-4 - g``: several candidates marked at the same rank, the group :attr:`Profile.groups` ``[g]``
  (an overvote in a US-style election, a tie in a weak order).

The same candidate may appear at several ranks (a repeated ranking); counting rules decide
what that means.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from voting.errors import BallotFormatError

__all__ = ["END", "OVERVOTE", "OVERVOTE_MARK", "SKIP", "Profile"]

SKIP = -1
END = -2
OVERVOTE = -3
_GROUP0 = -4


class _OvervoteMark:
    """Singleton entry for an overvote whose candidates are unknown."""

    _instance: _OvervoteMark | None = None

    def __new__(cls) -> _OvervoteMark:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OVERVOTE_MARK"


#: Ranking entry for an overvote whose candidates are unknown (a vendor "overvote" label).
OVERVOTE_MARK = _OvervoteMark()


def _group_code(g: int) -> int:
    return _GROUP0 - g


@dataclass(frozen=True, eq=False)
class Profile:
    """Distinct rankings with counts.

    Build one with :meth:`from_rankings` (in-memory ballots), :meth:`from_matrix` (a dense
    integer matrix, e.g. generated ballots) or a reader from :mod:`voting.io`.

    Attributes
    ----------
    candidates : tuple
        Candidate names (or ids) in their announced order; index ``i`` is candidate ``i``.
    rows : numpy.ndarray
        ``int32`` matrix, one distinct ranking per row (codes described in the module doc).
    counts : numpy.ndarray
        ``int64`` number of ballots per row (all positive).
    groups : tuple of tuple of int
        Candidate sets marked at one rank, referenced by codes ``-4 - g``.
    ballot_rows : numpy.ndarray or None
        For profiles built ballot by ballot: the row of each original ballot, in input order
        (used by the audit trail to name ballots); ``None`` for pre-aggregated input.
    source : str or None
        Where the ballots came from (file name), for reports.
    meta : Mapping
        Facts read with the ballots (BLT: ``seats``, ``title``, ``withdrawn``; PrefLib: ``title``).
    """

    candidates: tuple[Hashable, ...]
    rows: np.ndarray
    counts: np.ndarray
    groups: tuple[tuple[int, ...], ...] = ()
    ballot_rows: np.ndarray | None = None
    source: str | None = None
    meta: Mapping[str, object] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a frozen profile: its arrays cannot be changed in place either
        for arr in (self.rows, self.counts, self.ballot_rows):
            if arr is not None:
                arr.setflags(write=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_rankings(
        cls,
        rankings: Iterable[Sequence[object]],
        *,
        candidates: Sequence[Hashable] | None = None,
        counts: Iterable[int] | None = None,
        source: str | None = None,
    ) -> Profile:
        """Aggregate in-memory ballots.

        Parameters
        ----------
        rankings : iterable of sequences
            One ballot each, most preferred first. Each entry is a candidate id, ``None`` or an
            empty collection (a skipped rank), or a ``set``/``frozenset``/``list``/``tuple`` of
            candidate ids marked at the same rank (an overvote, or a tie in a weak order).
        candidates : sequence, optional
            All candidates in announced order (names or ids). When omitted the candidates met on
            the ballots are used, sorted by their string form.
        counts : iterable of int, optional
            Number of ballots for each ranking (default 1 each).
        source : str, optional
            Label used in error messages and reports.

        Raises
        ------
        BallotFormatError
            Unknown candidate, non-positive count, or mismatched lengths; ``line`` is the
            1-based index of the offending ranking.

        Examples
        --------
        >>> p = Profile.from_rankings([["A", "B"], ["B"], ["A", "B"], [{"A", "C"}, "B"]],
        ...                           candidates=["A", "B", "C"])
        >>> p.n_ballots, p.n_distinct
        (4, 3)
        """
        rankings = list(rankings)
        if counts is None:
            count_list = [1] * len(rankings)
        else:
            count_list = [int(c) for c in counts]
            if len(count_list) != len(rankings):
                raise BallotFormatError(
                    f"{len(count_list)} counts for {len(rankings)} rankings",
                    code="count_mismatch",
                    file=source,
                )
        if candidates is None:
            seen: set = set()
            for ranking in rankings:
                for entry in ranking:
                    if entry is None or entry is OVERVOTE_MARK:
                        continue
                    if isinstance(entry, set | frozenset | list | tuple):
                        seen.update(entry)
                    else:
                        seen.add(entry)
            candidates = sorted(seen, key=lambda x: (str(x), repr(x)))
        cand = tuple(candidates)
        index = {c: i for i, c in enumerate(cand)}
        if len(index) != len(cand):
            raise BallotFormatError("candidate list has duplicates", code="duplicate_candidate", file=source)
        group_index: dict[tuple[int, ...], int] = {}
        agg: dict[tuple[int, ...], int] = {}
        keys: list[tuple[int, ...]] = []
        for line, (ranking, count) in enumerate(zip(rankings, count_list, strict=True), start=1):
            if count <= 0:
                raise BallotFormatError(
                    f"ballot count must be positive, got {count}", code="bad_count", file=source, line=line
                )
            codes: list[int] = []
            for col, entry in enumerate(ranking, start=1):
                if entry is None:
                    codes.append(SKIP)
                    continue
                if entry is OVERVOTE_MARK:
                    codes.append(OVERVOTE)
                    continue
                if isinstance(entry, set | frozenset | list | tuple):
                    members = []
                    for m in entry:
                        if m not in index:
                            raise BallotFormatError(
                                f"unknown candidate {m!r}",
                                code="unknown_candidate",
                                file=source,
                                line=line,
                                column=col,
                            )
                        members.append(index[m])
                    members = sorted(set(members))
                    if not members:
                        codes.append(SKIP)
                    elif len(members) == 1:
                        codes.append(members[0])
                    else:
                        key = tuple(members)
                        if key not in group_index:
                            group_index[key] = len(group_index)
                        codes.append(_group_code(group_index[key]))
                    continue
                if entry not in index:
                    raise BallotFormatError(
                        f"unknown candidate {entry!r}",
                        code="unknown_candidate",
                        file=source,
                        line=line,
                        column=col,
                    )
                codes.append(index[entry])
            while codes and codes[-1] == SKIP:
                codes.pop()
            key = tuple(codes)
            keys.append(key)
            agg[key] = agg.get(key, 0) + count
        groups = tuple(sorted(group_index, key=group_index.__getitem__))
        return cls._from_aggregate(cand, agg, groups, keys=keys if counts is None else None, source=source)

    @classmethod
    def _from_aggregate(
        cls,
        candidates: tuple[Hashable, ...],
        agg: Mapping[tuple[int, ...], int],
        groups: tuple[tuple[int, ...], ...],
        *,
        keys: list[tuple[int, ...]] | None = None,
        source: str | None = None,
    ) -> Profile:
        # Rows sorted by their code tuple: the profile does not depend on input order.
        ordered = sorted(agg)
        width = max((len(k) for k in ordered), default=0) + 1
        rows = np.full((len(ordered), width), END, dtype=np.int32)
        for i, key in enumerate(ordered):
            rows[i, : len(key)] = key
        counts = np.fromiter((agg[k] for k in ordered), dtype=np.int64, count=len(ordered))
        ballot_rows = None
        if keys is not None:
            pos = {k: i for i, k in enumerate(ordered)}
            ballot_rows = np.fromiter((pos[k] for k in keys), dtype=np.int64, count=len(keys))
        return cls(candidates, rows, counts, groups, ballot_rows, source)

    @classmethod
    def from_matrix(
        cls,
        matrix: np.ndarray,
        *,
        candidates: Sequence[Hashable] | None = None,
        counts: np.ndarray | None = None,
        keep_ballot_rows: bool = False,
        source: str | None = None,
    ) -> Profile:
        """Aggregate a dense ballot matrix with numpy (no Python loop over ballots).

        Parameters
        ----------
        matrix : array_like of int, shape (n_ballots, max_rank)
            Candidate index per rank; negative values mean "no candidate at this rank"
            (:data:`SKIP` if a later rank is marked, otherwise the end of the ballot).
        candidates : sequence, optional
            Candidate names; default ``0 .. max+1``.
        counts : array_like of int, optional
            Number of ballots per row (default 1).
        keep_ballot_rows : bool
            Keep the row of each input ballot (for an audit trail), at 8 bytes a ballot.

        Examples
        --------
        >>> p = Profile.from_matrix(np.array([[0, 1, -1], [0, 1, -1], [1, -1, -1]]))
        >>> p.n_distinct, p.counts.tolist()
        (2, [2, 1])
        """
        m = np.asarray(matrix)
        if m.ndim != 2:
            raise BallotFormatError("ballot matrix must be two-dimensional", code="bad_matrix", file=source)
        n_cand = int(m.max()) + 1 if m.size else 0
        if candidates is None:
            candidates = tuple(range(max(n_cand, 0)))
        cand = tuple(candidates)
        if n_cand > len(cand):
            raise BallotFormatError(
                f"candidate index {n_cand - 1} out of range", code="unknown_candidate", file=source
            )
        n, width = m.shape
        w = None if counts is None else np.asarray(counts, dtype=np.int64)
        if w is not None and (w.shape != (n,) or (w.size and w.min() <= 0)):
            raise BallotFormatError("counts must be positive, one per row", code="bad_count", file=source)
        # Group identical raw rows first (every blank encoded alike: the blank pattern fixes
        # which blanks are skips and which end the ballot), then normalise only the distinct rows.
        base = len(cand) + 1
        if width * np.log2(base) < 62:
            digits = np.maximum(m.astype(np.int64, copy=False) + 1, 0)
            key = digits @ (base ** np.arange(width - 1, -1, -1, dtype=np.int64))
            order = np.argsort(key)
            sorted_key = key[order]
            new_group = np.empty(n, dtype=bool)
            new_group[:1] = True
            np.not_equal(sorted_key[1:], sorted_key[:-1], out=new_group[1:])
            inverse = np.empty(n, dtype=np.int64)
            inverse[order] = np.cumsum(new_group) - 1
            first = order[new_group]  # any ballot of each group: identical rows
            raw = m[first].astype(np.int64)
        else:
            raw, inverse = np.unique(np.where(m >= 0, m, -1), axis=0, return_inverse=True)
            raw = raw.astype(np.int64)
        inverse = inverse.reshape(-1)
        marked = raw >= 0
        rows = np.where(marked, raw, SKIP)
        if width:
            last = width - 1 - np.argmax(marked[:, ::-1], axis=1)
            last[~marked.any(axis=1)] = -1
            rows = np.where(np.arange(width)[None, :] > last[:, None], END, rows)
        rows = np.concatenate([rows, np.full((rows.shape[0], 1), END, dtype=np.int64)], axis=1)
        if w is None:
            agg_counts = np.bincount(inverse, minlength=rows.shape[0]).astype(np.int64)
        elif int(w.sum()) < 2**53:
            agg_counts = np.rint(np.bincount(inverse, weights=w, minlength=rows.shape[0])).astype(np.int64)
        else:
            agg_counts = np.zeros(rows.shape[0], dtype=np.int64)
            np.add.at(agg_counts, inverse, w)
        # Trim END-only columns (keep one).
        if rows.shape[0]:
            width = int((rows != END).sum(axis=1).max()) + 1
            rows = rows[:, :width]
        return cls(
            cand,
            np.ascontiguousarray(rows, dtype=np.int32),
            agg_counts,
            (),
            inverse.astype(np.int64) if keep_ballot_rows else None,
            source,
        )

    # ------------------------------------------------------------------ views
    @property
    def n_candidates(self) -> int:
        """Number of candidates."""
        return len(self.candidates)

    @property
    def n_distinct(self) -> int:
        """Number of distinct rankings."""
        return int(self.rows.shape[0])

    @property
    def n_ballots(self) -> int:
        """Number of ballots (sum of counts)."""
        return int(self.counts.sum())

    @property
    def names(self) -> tuple[str, ...]:
        """Candidate names as strings."""
        return tuple(str(c) for c in self.candidates)

    def ranking(self, row: int) -> list[object]:
        """Row ``row`` as a list of entries (names, ``None`` for a skip, frozensets for groups).

        Examples
        --------
        >>> b, skip, group = Profile.from_rankings([["B", None, {"A", "C"}]]).ranking(0)
        >>> b, skip, sorted(group)
        ('B', None, ['A', 'C'])
        """
        out: list[object] = []
        for code in self.rows[row]:
            code = int(code)
            if code == END:
                break
            if code == SKIP:
                out.append(None)
            elif code == OVERVOTE:
                out.append(OVERVOTE_MARK)
            elif code <= _GROUP0:
                out.append(frozenset(self.candidates[c] for c in self.groups[_GROUP0 - code]))
            else:
                out.append(self.candidates[code])
        return out

    def blank_mask(self) -> np.ndarray:
        """Rows with no mark at all (blank ballots, "undervotes")."""
        return self.rows[:, 0] == END

    def last_mark(self) -> np.ndarray:
        """Column of the last marked rank of each row (-1 for a blank row)."""
        if "last_mark" not in self._cache:
            marked = (self.rows != END) & (self.rows != SKIP)
            width = self.rows.shape[1]
            last = width - 1 - np.argmax(marked[:, ::-1], axis=1)
            last[~marked.any(axis=1)] = -1
            self._cache["last_mark"] = last
        return self._cache["last_mark"]

    def group_matrix(self) -> np.ndarray:
        """Boolean matrix ``(n_groups + 1, n_candidates)``; the last row is the unknown overvote."""
        if "group_matrix" not in self._cache:
            g = np.zeros((len(self.groups) + 1, self.n_candidates), dtype=bool)
            for i, members in enumerate(self.groups):
                g[i, list(members)] = True
            self._cache["group_matrix"] = g
        return self._cache["group_matrix"]

    def repeat_mask(self) -> np.ndarray:
        """``True`` where a rank repeats a candidate already marked at an earlier rank."""
        if "repeat" not in self._cache:
            n, width = self.rows.shape
            seen = np.zeros((n, self.n_candidates), dtype=bool)
            rep = np.zeros((n, width), dtype=bool)
            gm = self.group_matrix()
            ar = np.arange(n)
            for j in range(width):
                col = self.rows[:, j]
                single = col >= 0
                idx = ar[single]
                rep[idx, j] = seen[idx, col[single]]
                seen[idx, col[single]] = True
                grp = col <= _GROUP0
                if grp.any():
                    gi = ar[grp]
                    members = gm[_GROUP0 - col[grp]]
                    rep[gi, j] = (seen[gi] & members).any(axis=1)
                    seen[gi] |= members
            self._cache["repeat"] = rep
        return self._cache["repeat"]

    def rank_positions(self) -> np.ndarray:
        """Rank level of each candidate on each row (``n_distinct x n_candidates``).

        The level is the 0-based column of the candidate's first mark; candidates marked
        together share a level; unranked candidates get ``rows.shape[1]`` (below every ranked
        one). Skipped ranks and unknown overvotes are ignored.
        """
        if "rank_positions" not in self._cache:
            n, width = self.rows.shape
            pos = np.full((n, self.n_candidates), width, dtype=np.int32)
            gm = self.group_matrix()
            ar = np.arange(n)
            for j in range(width - 1, -1, -1):
                col = self.rows[:, j]
                single = col >= 0
                pos[ar[single], col[single]] = j
                grp = col <= _GROUP0
                if grp.any():
                    gi = ar[grp]
                    members = gm[_GROUP0 - col[grp]]
                    sub = pos[gi]
                    sub[members] = j
                    pos[gi] = sub
            self._cache["rank_positions"] = pos
        return self._cache["rank_positions"]
