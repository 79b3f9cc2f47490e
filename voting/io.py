"""Readers for ballot files: PrefLib ``.soi``/``.soc``/``.toi``/``.toc``, CSV and BLT.

Every reader returns a :class:`~voting.ballots.Profile` and raises
:class:`~voting.errors.BallotFormatError` naming the file, the line (and column) and the
problem.

CSV format
----------
One ballot per line, candidates in rank order, one per cell. An empty cell is a skipped rank,
``A=B`` marks several candidates at one rank (an overvote or a tie) and the word ``overvote``
an overvote whose candidates are unknown. An optional first line of headers is recognised
when a cell reads ``count`` (or ``weight``/``ballots``) or starts with ``rank``, ``choice``
or ``pref``; the ``count`` column then gives the number of identical ballots on the line, and
a column headed ``receipt``, ``id``, ``ballot id`` or ``voter id`` names each ballot (it is not
a rank and is left out of the count). Lines starting with ``#`` are comments, except a line
whose first cell is ``#candidates``: its other cells announce the candidates in ballot order
(so candidates without any vote, and the ballot order used by tie-break rules, are known); it
must come before the ballots.

BLT format
----------
``<candidates> <seats>``, optional withdrawn line of negative candidate numbers, then ballot
lines ``<weight> <c1> <c2> ... 0`` (candidates numbered from 1, ``a=b`` for equal ranks, ``-``
for a skipped rank, an optional leading ``(id)``), a line ``0``, the candidate names in double
quotes and the title.
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Hashable, Sequence
from pathlib import Path

from voting.ballots import OVERVOTE_MARK, Profile
from voting.errors import BallotFormatError

__all__ = ["read_ballots", "read_blt", "read_csv", "read_preflib"]

PREFLIB_SUFFIXES = (".soi", ".soc", ".toi", ".toc")


def _read_text(path: str | Path) -> tuple[str, list[str]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BallotFormatError("file not found", code="file_not_found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise BallotFormatError(
            f"not UTF-8 text ({exc.reason})", code="bad_encoding", file=str(path)
        ) from None
    return p.name, text.splitlines()


def read_preflib(path: str | Path) -> Profile:
    """Read a PrefLib ``.soi``, ``.soc``, ``.toi`` or ``.toc`` file.

    Groups ``{a,b}`` (``.toi``/``.toc``) become several candidates at one rank.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    Profile
        Candidates named from the ``ALTERNATIVE NAME`` headers, in their numeric order.
    """
    name, lines = _read_text(path)
    alt: dict[int, str] = {}
    meta: dict[str, object] = {}
    rankings: list[list[object]] = []
    counts: list[int] = []
    n_alt: int | None = None
    for ln, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            key, _, value = body.partition(":")
            key = key.strip().upper()
            value = value.strip()
            if key.startswith("ALTERNATIVE NAME"):
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                try:
                    alt[int(key.split()[-1])] = value
                except ValueError:
                    raise BallotFormatError(
                        f"bad header {body!r}", code="bad_header", file=name, line=ln
                    ) from None
            elif key == "NUMBER ALTERNATIVES":
                try:
                    n_alt = int(value)
                except ValueError:
                    raise BallotFormatError(
                        f"bad header {body!r}", code="bad_header", file=name, line=ln
                    ) from None
            elif key == "TITLE":
                meta["title"] = value
            continue
        count_text, sep, order = line.partition(":")
        if not sep:
            raise BallotFormatError("expected 'count: ranking'", code="bad_line", file=name, line=ln)
        try:
            count = int(count_text)
        except ValueError:
            raise BallotFormatError(
                f"count {count_text.strip()!r} is not an integer",
                code="bad_count",
                file=name,
                line=ln,
                column=1,
            ) from None
        if count <= 0:
            raise BallotFormatError(
                f"count must be positive, got {count}", code="bad_count", file=name, line=ln
            )
        ranking: list[object] = []
        col = len(count_text) + 2
        rest = order
        while rest.strip():
            rest = rest.strip()
            if rest.startswith("{"):
                close = rest.find("}")
                if close < 0:
                    raise BallotFormatError("unclosed '{'", code="bad_group", file=name, line=ln, column=col)
                inner = rest[1:close]
                items = [s.strip() for s in inner.split(",") if s.strip()]
                rest = rest[close + 1 :].strip()
                if rest.startswith(","):
                    rest = rest[1:]
                try:
                    ranking.append(frozenset(int(s) for s in items))
                except ValueError:
                    raise BallotFormatError(
                        f"bad group {{{inner}}}", code="bad_candidate", file=name, line=ln, column=col
                    ) from None
            else:
                item, _, rest = rest.partition(",")
                try:
                    ranking.append(int(item))
                except ValueError:
                    raise BallotFormatError(
                        f"candidate {item.strip()!r} is not a number",
                        code="bad_candidate",
                        file=name,
                        line=ln,
                        column=col,
                    ) from None
            col = len(raw) - len(rest) + 1
        for entry in ranking:
            for c in entry if isinstance(entry, frozenset) else (entry,):
                if c not in alt and (n_alt is None or not 1 <= c <= n_alt):
                    raise BallotFormatError(
                        f"unknown candidate {c}", code="unknown_candidate", file=name, line=ln
                    )
        rankings.append(ranking)
        counts.append(count)
    numbers = sorted(set(alt) | set(range(1, (n_alt or 0) + 1)))
    names = [alt.get(i, str(i)) for i in numbers]
    if len(set(names)) != len(names):
        raise BallotFormatError("two alternatives share a name", code="duplicate_candidate", file=name)
    ids = {i: names[j] for j, i in enumerate(numbers)}
    rankings_named = [
        [frozenset(ids[c] for c in e) if isinstance(e, frozenset) else ids[e] for e in r] for r in rankings
    ]
    prof = Profile.from_rankings(rankings_named, candidates=names, counts=counts, source=name)
    return Profile(prof.candidates, prof.rows, prof.counts, prof.groups, None, name, meta)


_HEADER_WORDS = ("count", "weight", "ballots")
_ID_WORDS = ("receipt", "id", "ballot id", "ballot_id", "voter id", "voter_id")
_CANDIDATES_MARK = "#candidates"


def read_csv(
    path: str | Path,
    *,
    candidates: Sequence[Hashable] | None = None,
    keep_ballot_rows: bool = True,
) -> Profile:
    """Read a CSV file of ballots (format in the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
    candidates : sequence, optional
        The announced candidates; a name not in it is an error. Default: the names found,
        sorted.
    keep_ballot_rows : bool
        Keep the map from each line to its ranking for the audit trail (only without a count
        column).
    """
    name, lines = _read_text(path)
    reader = csv.reader(lines)
    rankings: list[list[object]] = []
    counts: list[int] = []
    line_of: list[int] = []
    count_col: int | None = None
    id_cols: set[int] = set()
    first = True
    allowed = None if candidates is None else {str(c): c for c in candidates}
    for ln, cells in enumerate(reader, start=1):
        if cells and cells[0].strip().lower() == _CANDIDATES_MARK:
            if not first or rankings:
                raise BallotFormatError(
                    "the #candidates line must come before the header and the ballots",
                    code="late_candidates",
                    file=name,
                    line=ln,
                )
            announced = [c.strip() for c in cells[1:] if c.strip()]
            if len(set(announced)) != len(announced) or not announced:
                raise BallotFormatError(
                    "the #candidates line must name each candidate once",
                    code="duplicate_candidate",
                    file=name,
                    line=ln,
                )
            if candidates is None:
                candidates = announced
                allowed = {c: c for c in announced}
            continue
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        lowered = [c.strip().lower() for c in cells]
        if first:
            first = False
            if any(
                c in _HEADER_WORDS or c in _ID_WORDS or c.startswith(("rank", "choice", "pref"))
                for c in lowered
            ):
                for j, c in enumerate(lowered):
                    if c in _HEADER_WORDS:
                        count_col = j
                    elif c in _ID_WORDS:
                        id_cols.add(j)
                continue
        count = 1
        ranking: list[object] = []
        for j, cell in enumerate(cells):
            text = cell.strip()
            if j in id_cols:
                continue
            if j == count_col:
                try:
                    count = int(text)
                except ValueError:
                    raise BallotFormatError(
                        f"count {text!r} is not an integer",
                        code="bad_count",
                        file=name,
                        line=ln,
                        column=j + 1,
                    ) from None
                if count <= 0:
                    raise BallotFormatError(
                        f"count must be positive, got {count}",
                        code="bad_count",
                        file=name,
                        line=ln,
                        column=j + 1,
                    )
                continue
            if not text:
                ranking.append(None)
                continue
            if text.lower() == "overvote":
                ranking.append(OVERVOTE_MARK)
                continue
            parts = [t.strip() for t in text.split("=")] if "=" in text else [text]
            for part in parts:
                if not part:
                    raise BallotFormatError(
                        f"empty name in {text!r}", code="bad_candidate", file=name, line=ln, column=j + 1
                    )
                if allowed is not None and part not in allowed:
                    raise BallotFormatError(
                        f"unknown candidate {part!r}",
                        code="unknown_candidate",
                        file=name,
                        line=ln,
                        column=j + 1,
                    )
            conv = [allowed[p] if allowed is not None else p for p in parts]
            ranking.append(frozenset(conv) if len(conv) > 1 else conv[0])
        rankings.append(ranking)
        counts.append(count)
        line_of.append(ln)
    try:
        if count_col is None and keep_ballot_rows:
            return Profile.from_rankings(rankings, candidates=candidates, source=name)
        return Profile.from_rankings(rankings, candidates=candidates, counts=counts, source=name)
    except BallotFormatError as exc:
        line = line_of[exc.line - 1] if exc.line is not None else None
        raise BallotFormatError(exc.message, code=exc.code, file=name, line=line, column=exc.column) from None


def read_blt(path: str | Path) -> Profile:
    """Read a BLT file (format in the module docstring).

    The number of seats, the title and withdrawn candidates are kept in ``Profile.meta``.
    """
    name, lines = _read_text(path)
    it = [(i, ln.strip()) for i, ln in enumerate(lines, start=1)]
    it = [(i, ln) for i, ln in it if ln and not ln.startswith("#")]
    if not it:
        raise BallotFormatError("empty file", code="empty_file", file=name)
    ln0, head = it[0]
    try:
        n_cand, seats = (int(x) for x in head.split())
    except ValueError:
        raise BallotFormatError(
            f"first line must be '<candidates> <seats>', got {head!r}", code="bad_header", file=name, line=ln0
        ) from None
    if n_cand < 1 or seats < 1:
        raise BallotFormatError(
            "candidates and seats must be positive", code="bad_header", file=name, line=ln0
        )
    k = 1
    withdrawn: list[int] = []
    if k < len(it) and it[k][1].startswith("-"):
        try:
            withdrawn = [-int(x) for x in it[k][1].split()]
        except ValueError:
            raise BallotFormatError(
                "bad withdrawn line", code="bad_withdrawn", file=name, line=it[k][0]
            ) from None
        k += 1
    rankings: list[list[object]] = []
    counts: list[int] = []
    line_of: list[int] = []
    ended = False
    while k < len(it):
        ln, text = it[k]
        k += 1
        if text == "0":
            ended = True
            break
        tokens = text.split()
        if tokens and tokens[0].startswith("("):
            tokens = tokens[1:]
        if not tokens or tokens[-1] != "0":
            raise BallotFormatError("ballot line must end with 0", code="bad_ballot", file=name, line=ln)
        try:
            weight = int(tokens[0])
        except ValueError:
            raise BallotFormatError(
                f"weight {tokens[0]!r} is not an integer", code="bad_count", file=name, line=ln, column=1
            ) from None
        if weight <= 0:
            raise BallotFormatError(
                f"weight must be positive, got {weight}", code="bad_count", file=name, line=ln
            )
        ranking: list[object] = []
        for tok in tokens[1:-1]:
            if tok == "-":
                ranking.append(None)
                continue
            try:
                members = [int(t) for t in tok.split("=")]
            except ValueError:
                raise BallotFormatError(
                    f"bad preference {tok!r}", code="bad_candidate", file=name, line=ln
                ) from None
            for c in members:
                if not 1 <= c <= n_cand:
                    raise BallotFormatError(
                        f"candidate {c} out of range 1..{n_cand}",
                        code="unknown_candidate",
                        file=name,
                        line=ln,
                    )
            ranking.append(frozenset(members) if len(members) > 1 else members[0])
        rankings.append(ranking)
        counts.append(weight)
        line_of.append(ln)
    if not ended:
        raise BallotFormatError("missing the 0 line that ends the ballots", code="missing_end", file=name)
    names: list[str] = []
    title = ""
    for ln, text in it[k:]:
        try:
            parts = shlex.split(text)
        except ValueError:
            raise BallotFormatError(
                f"bad quoted name {text!r}", code="bad_name", file=name, line=ln
            ) from None
        for part in parts:
            if len(names) < n_cand:
                names.append(part)
            else:
                title = part if not title else f"{title} {part}"
    if len(names) < n_cand:
        raise BallotFormatError(
            f"{n_cand} candidate names expected, found {len(names)}",
            code="missing_names",
            file=name,
            line=it[-1][0],
        )
    named = [
        [
            frozenset(names[c - 1] for c in e)
            if isinstance(e, frozenset)
            else (None if e is None else names[int(e) - 1])
            for e in r
        ]
        for r in rankings
    ]
    prof = Profile.from_rankings(named, candidates=names, counts=counts, source=name)
    meta = {
        "seats": seats,
        "title": title,
        "withdrawn": tuple(names[c - 1] for c in withdrawn if 1 <= c <= n_cand),
    }
    return Profile(prof.candidates, prof.rows, prof.counts, prof.groups, None, name, meta)


def read_ballots(path: str | Path, **kwargs: object) -> Profile:
    """Read a ballot file, choosing the reader from the suffix (PrefLib, ``.csv``, ``.blt``)."""
    suffix = Path(path).suffix.lower()
    if suffix in PREFLIB_SUFFIXES:
        return read_preflib(path)
    if suffix == ".csv":
        return read_csv(path, **kwargs)  # type: ignore[arg-type]
    if suffix == ".blt":
        return read_blt(path)
    raise BallotFormatError(
        f"unknown ballot file type {suffix!r} (use .soi, .soc, .toi, .toc, .csv or .blt)",
        code="unknown_format",
        file=Path(path).name,
    )
