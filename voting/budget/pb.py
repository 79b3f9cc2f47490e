"""Reader and writer for the Pabulib ``.pb`` format.

The format (pabulib.org/format) is one UTF-8 text with three sections, ``META``, ``PROJECTS`` and
``VOTES``. Each section name stands alone on its line, the next line is the section's header, and rows
are separated by semicolons, quoted as in CSV (``"`` doubles itself inside a quoted field).

Structural faults always raise :class:`~voting.budget.errors.PBFormatError` naming the line and the
field: a missing section or required column (``project_id``, ``cost``, ``voter_id``, ``vote``, and
``points`` for cumulative and scoring ballots), a number that does not parse (comma decimals included),
a non-positive cost or budget, a duplicated project or voter, a vote naming an unknown project or a
project twice, points that do not match the projects. With ``strict=True`` (the default) consistency
faults raise too: META ``num_projects``/``num_votes`` differing from the counted rows, blank lines, and
ballots breaking the META limits (``min_length``, ``max_length``, ``max_sum_cost``, ``min_sum_cost``,
``min_points``, ``max_points``, ``min_sum_points``, ``max_sum_points``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from voting.budget.errors import PBFormatError
from voting.budget.model import Ballot, Election, Number, Project, ballot_limits, limit_violations

__all__ = ["format_pb", "parse_pb", "read_pb", "write_pb"]

_SECTIONS = ("meta", "projects", "votes")
_REQUIRED_META = (
    "description",
    "country",
    "unit",
    "instance",
    "num_projects",
    "num_votes",
    "budget",
    "vote_type",
    "rule",
    "date_begin",
    "date_end",
)
# Pabulib "choose-1" files are approval ballots of length one.
_VOTE_TYPE_ALIASES = {
    "approval": "approval",
    "choose-1": "approval",
    "cumulative": "cumulative",
    "scoring": "scoring",
    "ordinal": "ordinal",
}


def _number(text: str, *, source: str, line: int, field: str, integer: bool = False) -> Number:
    raw = text.strip()
    if "," in raw:
        raise PBFormatError(
            f"{raw!r} uses a comma; write decimals with a point",
            code="comma_decimal",
            file=source,
            line=line,
            field=field,
            value=raw,
        )
    try:
        value = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise PBFormatError(
            f"{raw!r} is not a number", code="not_a_number", file=source, line=line, field=field, value=raw
        ) from None
    if value.denominator == 1:
        return value.numerator
    if integer:
        raise PBFormatError(
            f"{raw!r} is not a whole number",
            code="not_an_integer",
            file=source,
            line=line,
            field=field,
            value=raw,
        )
    return value


def _format_number(value: Number) -> str:
    if isinstance(value, int):
        return str(value)
    f = Fraction(value)
    if f.denominator == 1:
        return str(f.numerator)
    den = f.denominator
    digits = 0
    while den % 10 == 0 or den % 2 == 0 or den % 5 == 0:
        if den % 10 == 0:
            den //= 10
        elif den % 2 == 0:
            den //= 2
        else:
            den //= 5
        digits += 1
    if den != 1:
        raise PBFormatError(f"{f} has no finite decimal form", code="not_decimal", value=str(f))
    sign = "-" if f < 0 else ""
    scaled = abs(f) * 10**digits
    assert scaled.denominator == 1
    s = str(scaled.numerator).rjust(digits + 1, "0")
    return f"{sign}{s[:-digits]}.{s[-digits:]}".rstrip("0").rstrip(".")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    for row in reader:
        yield reader.line_num, row


def parse_pb(text: str, *, source: str = "<string>", strict: bool = True) -> Election:
    """Parse the text of a ``.pb`` file.

    Parameters
    ----------
    text : str
        The whole file.
    source : str
        Name used in error messages.
    strict : bool
        Also raise on consistency faults (see the module docstring).

    Returns
    -------
    Election

    Raises
    ------
    PBFormatError
        With ``line`` and ``field`` set to where the fault is.

    Examples
    --------
    >>> text = "META\\nkey;value\\nbudget;10\\nvote_type;approval\\nPROJECTS\\nproject_id;cost\\n"
    >>> text += "a;6\\nb;5\\nVOTES\\nvoter_id;vote\\n1;a,b\\n2;b\\n"
    >>> e = parse_pb(text, strict=False)
    >>> e.budget, e.project_ids, [b.projects for b in e.ballots]
    (10, ('a', 'b'), [('a', 'b'), ('b',)])
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    project_rows: list[tuple[int, list[str]]] = []
    vote_rows: list[tuple[int, list[str]]] = []
    headers: dict[str, tuple[int, list[str]]] = {}
    section: str | None = None
    expect_header = False
    blank_lines: list[int] = []
    last_line = 0
    for line, row in _rows(text):
        last_line = line
        if not row or all(not c.strip() for c in row):
            blank_lines.append(line)
            continue
        first = row[0].strip().lower()
        if first in _SECTIONS and all(not c.strip() for c in row[1:]):
            if first in headers or first == section:
                raise PBFormatError(
                    f"section {first.upper()} appears twice",
                    code="duplicate_section",
                    file=source,
                    line=line,
                    field=first.upper(),
                )
            if section is None and first != "meta":
                raise PBFormatError(
                    "the file must start with META",
                    code="missing_section",
                    file=source,
                    line=line,
                    field="META",
                )
            section = first
            expect_header = True
            continue
        if section is None:
            raise PBFormatError(
                "the file must start with META", code="missing_section", file=source, line=line, field="META"
            )
        if expect_header:
            headers[section] = (line, [c.strip() for c in row])
            expect_header = False
            continue
        if section == "meta":
            if len(row) < 2:
                raise PBFormatError(
                    "a META row needs a key and a value",
                    code="bad_meta_row",
                    file=source,
                    line=line,
                    field=row[0].strip(),
                )
            key = row[0].strip()
            if key in meta:
                raise PBFormatError(
                    f"META key {key!r} appears twice",
                    code="duplicate_meta_key",
                    file=source,
                    line=line,
                    field=key,
                )
            cells = row[1:]
            while len(cells) > 1 and not cells[-1].strip():
                cells = cells[:-1]
            meta[key] = ";".join(cells).strip()
            meta_lines[key] = line
        elif section == "projects":
            project_rows.append((line, row))
        else:
            vote_rows.append((line, row))
    for name in _SECTIONS:
        if name not in headers:
            raise PBFormatError(
                f"section {name.upper()} is missing",
                code="missing_section",
                file=source,
                line=last_line or None,
                field=name.upper(),
            )
    trailing = set()
    for ln in reversed(blank_lines):
        if ln == last_line - len(trailing):
            trailing.add(ln)
    if strict and set(blank_lines) - trailing:
        first_blank = min(set(blank_lines) - trailing)
        raise PBFormatError("empty line inside the file", code="empty_line", file=source, line=first_blank)

    # META
    meta_header_line = headers["meta"][0]
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PBFormatError(
                f"META has no {key!r}", code="missing_meta", file=source, line=meta_header_line, field=key
            )
    raw_type = meta["vote_type"].strip().lower()
    if raw_type not in _VOTE_TYPE_ALIASES:
        raise PBFormatError(
            f"unknown vote_type {meta['vote_type']!r}",
            code="bad_vote_type",
            file=source,
            line=meta_lines["vote_type"],
            field="vote_type",
            value=meta["vote_type"],
        )
    vote_type = _VOTE_TYPE_ALIASES[raw_type]
    budget = _number(meta["budget"], source=source, line=meta_lines["budget"], field="budget")
    if budget <= 0:
        raise PBFormatError(
            "the budget must be positive",
            code="nonpositive_budget",
            file=source,
            line=meta_lines["budget"],
            field="budget",
            value=meta["budget"],
        )

    # PROJECTS
    p_line, p_header = headers["projects"]
    for col in ("project_id", "cost"):
        if col not in p_header:
            raise PBFormatError(
                f"PROJECTS has no {col!r} column", code="missing_column", file=source, line=p_line, field=col
            )
    i_id, i_cost = p_header.index("project_id"), p_header.index("cost")
    i_name = p_header.index("name") if "name" in p_header else None
    projects: list[Project] = []
    known: dict[str, int] = {}
    for line, row in project_rows:
        if len(row) != len(p_header):
            raise PBFormatError(
                f"{len(row)} fields where the header has {len(p_header)}",
                code="field_count",
                file=source,
                line=line,
            )
        pid = row[i_id].strip()
        if not pid:
            raise PBFormatError(
                "empty project_id", code="empty_field", file=source, line=line, field="project_id"
            )
        if pid in known:
            raise PBFormatError(
                f"project {pid!r} already defined on line {known[pid]}",
                code="duplicate_project",
                file=source,
                line=line,
                field="project_id",
                value=pid,
            )
        known[pid] = line
        cost = _number(row[i_cost], source=source, line=line, field="cost")
        if cost <= 0:
            raise PBFormatError(
                f"project {pid!r} has cost {row[i_cost].strip()}; costs must be positive",
                code="nonpositive_cost",
                file=source,
                line=line,
                field="cost",
                value=row[i_cost].strip(),
            )
        fields = {
            h: v
            for k, (h, v) in enumerate(zip(p_header, row, strict=True))
            if k not in (i_id, i_cost, i_name)
        }
        name = row[i_name] if i_name is not None else ""
        projects.append(Project(pid, cost, name, fields))

    # VOTES
    v_line, v_header = headers["votes"]
    needed = ["voter_id", "vote"] + (["points"] if vote_type in ("cumulative", "scoring") else [])
    for col in needed:
        if col not in v_header:
            raise PBFormatError(
                f"VOTES has no {col!r} column", code="missing_column", file=source, line=v_line, field=col
            )
    i_voter, i_vote = v_header.index("voter_id"), v_header.index("vote")
    i_points = v_header.index("points") if "points" in v_header else None
    skip = {i_voter, i_vote} | ({i_points} if i_points is not None else set())
    extra_cols = [(k, h) for k, h in enumerate(v_header) if k not in skip]
    ballots: list[Ballot] = []
    voters: set[str] = set()
    n_header = len(v_header)
    for line, row in vote_rows:
        if len(row) != n_header:
            raise PBFormatError(
                f"{len(row)} fields where the header has {n_header}",
                code="field_count",
                file=source,
                line=line,
            )
        vid = row[i_voter].strip()
        if vid in voters:
            raise PBFormatError(
                f"voter {vid!r} appears twice",
                code="duplicate_voter",
                file=source,
                line=line,
                field="voter_id",
                value=vid,
            )
        voters.add(vid)
        raw_vote = row[i_vote].strip()
        chosen = tuple(x.strip() for x in raw_vote.split(",")) if raw_vote else ()
        if len(set(chosen)) != len(chosen):
            dup = next(x for x in chosen if chosen.count(x) > 1)
            raise PBFormatError(
                f"the vote names project {dup!r} twice",
                code="duplicate_in_vote",
                file=source,
                line=line,
                field="vote",
                value=dup,
            )
        for x in chosen:
            if x not in known:
                raise PBFormatError(
                    f"the vote names unknown project {x!r}",
                    code="unknown_project",
                    file=source,
                    line=line,
                    field="vote",
                    value=x,
                )
        points: tuple[Number, ...] | None = None
        if i_points is not None and vote_type in ("cumulative", "scoring"):
            raw_points = row[i_points].strip()
            parts = raw_points.split(",") if raw_points else []
            if len(parts) != len(chosen):
                raise PBFormatError(
                    f"{len(parts)} points for {len(chosen)} projects",
                    code="points_mismatch",
                    file=source,
                    line=line,
                    field="points",
                    value=raw_points,
                )
            points = tuple(_number(x, source=source, line=line, field="points") for x in parts)
            if any(x < 0 for x in points):
                raise PBFormatError(
                    "points must not be negative",
                    code="negative_points",
                    file=source,
                    line=line,
                    field="points",
                    value=raw_points,
                )
        fields = {h: row[k] for k, h in extra_cols}
        if i_points is not None and vote_type not in ("cumulative", "scoring"):
            fields["points"] = row[i_points]
        ballots.append(Ballot(chosen, points, vid, fields))

    election = Election(
        projects=tuple(projects),
        ballots=tuple(ballots),
        budget=budget,
        vote_type=vote_type,
        meta=meta,
        project_columns=tuple(p_header),
        vote_columns=tuple(v_header),
    )
    if strict:
        _check_consistency(
            election, source=source, meta_lines=meta_lines, vote_lines=[ln for ln, _ in vote_rows]
        )
    return election


def _check_consistency(
    election: Election, *, source: str, meta_lines: dict[str, int], vote_lines: list[int]
) -> None:
    meta = election.meta
    for key, actual in (("num_projects", len(election.projects)), ("num_votes", len(election.ballots))):
        if key in meta:
            stated = _number(meta[key], source=source, line=meta_lines[key], field=key, integer=True)
            if stated != actual:
                raise PBFormatError(
                    f"META says {key} {stated} but the file has {actual}",
                    code="count_mismatch",
                    file=source,
                    line=meta_lines[key],
                    field=key,
                    value=meta[key],
                )
    limits = {
        key: _number(meta[key], source=source, line=meta_lines[key], field=key) for key in ballot_limits(meta)
    }
    for index, key, value in limit_violations(election, limits):
        raise PBFormatError(
            f"voter {election.ballots[index].voter_id!r}: {value} breaks META {key} {meta[key]}",
            code="ballot_limit",
            file=source,
            line=vote_lines[index],
            field=key,
            value=str(value),
        )


def read_pb(path: str | os.PathLike[str], *, strict: bool = True) -> Election:
    """Read a ``.pb`` file; see :func:`parse_pb`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from voting.budget import make_election
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.pb"
    >>> write_pb(make_election([("a", 6), ("b", 5)], [["a"], ["a", "b"]], 10), path)
    >>> e = read_pb(path)
    >>> e.budget, len(e.ballots)
    (10, 2)
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PBFormatError(
            f"cannot read the file: {exc.strerror}", code="unreadable", file=str(path)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PBFormatError(
            "the file is not valid UTF-8", code="not_utf8", file=str(path), line=line
        ) from None
    return parse_pb(text, source=str(path), strict=strict)


def format_pb(election: Election) -> str:
    """Return the ``.pb`` text of an election.

    META keeps the election's entries in their order, adds the mandatory keys that are missing (empty, or
    ``unknown`` for ``rule``), writes ``num_projects`` and ``num_votes`` as counted, and writes
    ``budget`` and ``vote_type`` from the election unless the META text already says the same. Columns
    follow the election's column order (``project_id;cost;name`` plus extra fields for elections built
    in memory).

    Examples
    --------
    >>> from voting.budget import make_election
    >>> e = make_election([("a", 6), ("b", 5)], [["a", "b"], ["b"]], 10)
    >>> parse_pb(format_pb(e)).project_ids
    ('a', 'b')
    """
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    meta = dict(election.meta)
    counts = {"num_projects": str(len(election.projects)), "num_votes": str(len(election.ballots))}
    for key in _REQUIRED_META:
        if key not in meta:
            meta[key] = "unknown" if key == "rule" else ""
    for key, value in counts.items():
        try:
            same = int(Fraction(meta[key].strip())) == int(value)
        except (ValueError, ZeroDivisionError):
            same = False
        if not same:
            meta[key] = value
    try:
        same_budget = Fraction(meta["budget"].strip()) == Fraction(election.budget)
    except (ValueError, ZeroDivisionError):
        same_budget = False
    if not same_budget:
        meta["budget"] = _format_number(election.budget)
    if _VOTE_TYPE_ALIASES.get(meta["vote_type"].strip().lower()) != election.vote_type:
        meta["vote_type"] = election.vote_type
    w.writerow(["META"])
    w.writerow(["key", "value"])
    for key, value in meta.items():
        w.writerow([key, value])

    p_cols = list(election.project_columns) or ["project_id", "cost", "name"]
    for p in election.projects:
        for k in p.fields:
            if k not in p_cols:
                p_cols.append(k)
    w.writerow(["PROJECTS"])
    w.writerow(p_cols)
    for p in election.projects:
        row = []
        for col in p_cols:
            if col == "project_id":
                row.append(p.id)
            elif col == "cost":
                row.append(_format_number(p.cost))
            elif col == "name":
                row.append(p.name)
            else:
                row.append(p.fields.get(col, ""))
        w.writerow(row)

    points_ballots = election.vote_type in ("cumulative", "scoring")
    v_cols = list(election.vote_columns) or (["voter_id", "vote"] + (["points"] if points_ballots else []))
    if points_ballots and "points" not in v_cols:
        v_cols.append("points")
    for b in election.ballots:
        for k in b.fields:
            if k not in v_cols:
                v_cols.append(k)
    w.writerow(["VOTES"])
    w.writerow(v_cols)
    for i, b in enumerate(election.ballots):
        row = []
        for col in v_cols:
            if col == "voter_id":
                row.append(b.voter_id or str(i + 1))
            elif col == "vote":
                row.append(",".join(b.projects))
            elif col == "points" and points_ballots:
                row.append(",".join(_format_number(x) for x in (b.points or ())))
            else:
                row.append(b.fields.get(col, ""))
        w.writerow(row)
    return out.getvalue()


def write_pb(election: Election, path: str | os.PathLike[str]) -> None:
    """Write an election to a ``.pb`` file (UTF-8, ``\\n`` line ends); see :func:`format_pb`."""
    Path(path).write_text(format_pb(election), encoding="utf-8", newline="")
