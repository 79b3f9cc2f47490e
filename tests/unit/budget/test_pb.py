"""The Pabulib .pb reader and writer: round trips, and errors that name line and field."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from voting.budget import (
    Ballot,
    PBFormatError,
    Project,
    format_pb,
    make_election,
    parse_pb,
    read_pb,
    write_pb,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "budget"

HEADER = "META\nkey;value\nbudget;10\nvote_type;approval\nnum_projects;2\nnum_votes;2\n"
PROJECTS = "PROJECTS\nproject_id;cost;name\na;6;A\nb;5;B\n"
VOTES = "VOTES\nvoter_id;vote\n1;a,b\n2;b\n"


def test_textbook_file_reads() -> None:
    e = read_pb(DATA / "textbook.pb")
    assert e.budget == 3
    assert e.vote_type == "approval"
    assert e.project_ids == ("a1", "a2", "a3", "b1", "b2")
    assert [b.projects for b in e.ballots][:1] == [("a1", "a2", "a3")]
    assert e.project("b2").name == 'Project "b2"; quoted'
    assert e.project("a1").fields == {"votes": "3"}
    assert e.meta["currency"] == "EUR"


def test_points_file_reads_points_and_extra_columns() -> None:
    e = read_pb(DATA / "points.pb")
    assert e.vote_type == "cumulative"
    assert e.ballots[0].projects == ("p", "q")
    assert e.ballots[0].points == (3, 2)
    assert e.ballots[0].fields == {"age": "30"}


@pytest.mark.parametrize("name", ["textbook.pb", "points.pb"])
def test_own_files_write_back_byte_for_byte(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert format_pb(parse_pb(text)) == text


def test_every_refdata_file_round_trips(refdata: Path) -> None:
    files = sorted((refdata / "pb").glob("*.pb"))
    assert len(files) >= 13
    for path in files:
        e = read_pb(path)
        assert len(e.ballots) == int(e.meta["num_votes"]), path.name
        again = parse_pb(format_pb(e), source=path.name)
        assert again == e, path.name


def test_in_memory_election_round_trips(tmp_path: Path) -> None:
    e = make_election(
        [Project("p1", 1200, "Park; with a semicolon", {"category": "green"}), ("p2", Fraction("99.5"))],
        [["p1"], ["p1", "p2"], []],
        "1500",
        meta={"description": "Agora test", "unit": "Town"},
    )
    path = tmp_path / "x.pb"
    write_pb(e, path)
    back = read_pb(path)
    assert back.project_ids == e.project_ids
    assert back.project("p2").cost == Fraction("99.5")
    assert back.project("p1").name == "Park; with a semicolon"
    assert back.project("p1").fields == {"category": "green"}
    assert [b.projects for b in back.ballots] == [("p1",), ("p1", "p2"), ()]
    assert back.budget == 1500
    assert back.meta["num_votes"] == "3"
    assert back.meta["rule"] == "unknown"
    # the written file is itself a fixed point
    assert format_pb(back) == path.read_text(encoding="utf-8")


def test_points_ballots_round_trip_in_memory() -> None:
    e = make_election(
        [("x", 3), ("y", 4)], [{"x": 2, "y": 1}, Ballot(("y",), (Fraction(3, 2),))], 5, vote_type="scoring"
    )
    back = parse_pb(format_pb(e))
    assert back.vote_type == "scoring"
    assert [b.points for b in back.ballots] == [(2, 1), (Fraction(3, 2),)]


def _error(text: str, **kw: object) -> PBFormatError:
    with pytest.raises(PBFormatError) as info:
        parse_pb(text, source="t.pb", **kw)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "code", "line", "field"),
    [
        (HEADER + PROJECTS + VOTES.replace("1;a,b", "1;a,zz"), "unknown_project", 13, "vote"),
        (HEADER + PROJECTS + VOTES.replace("1;a,b", "1;a,a"), "duplicate_in_vote", 13, "vote"),
        (HEADER + PROJECTS.replace("a;6;A", "a;6,5;A") + VOTES, "comma_decimal", 9, "cost"),
        (HEADER + PROJECTS.replace("a;6;A", "a;six;A") + VOTES, "not_a_number", 9, "cost"),
        (HEADER + PROJECTS.replace("a;6;A", "a;0;A") + VOTES, "nonpositive_cost", 9, "cost"),
        (HEADER + PROJECTS.replace("b;5;B", "a;5;B") + VOTES, "duplicate_project", 10, "project_id"),
        (HEADER.replace("budget;10", "budget;-1") + PROJECTS + VOTES, "nonpositive_budget", 3, "budget"),
        (
            HEADER.replace("vote_type;approval", "vote_type;secret") + PROJECTS + VOTES,
            "bad_vote_type",
            4,
            "vote_type",
        ),
        (HEADER.replace("budget;10\n", "") + PROJECTS + VOTES, "missing_meta", 2, "budget"),
        (
            HEADER + PROJECTS.replace("project_id;cost", "project_id;price") + VOTES,
            "missing_column",
            8,
            "cost",
        ),
        (HEADER + PROJECTS + VOTES.replace("2;b", "1;b"), "duplicate_voter", 14, "voter_id"),
        (HEADER + PROJECTS, "missing_section", 10, "VOTES"),
        (HEADER.replace("num_votes;2", "num_votes;3") + PROJECTS + VOTES, "count_mismatch", 6, "num_votes"),
        (HEADER + "max_length;1\n" + PROJECTS + VOTES, "ballot_limit", 14, "max_length"),
        (HEADER + PROJECTS + VOTES.replace("1;a,b", "1;a,b;extra"), "field_count", 13, None),
        (HEADER + PROJECTS + "\n" + VOTES, "empty_line", 11, None),
    ],
)
def test_errors_name_line_and_field(text: str, code: str, line: int, field: str | None) -> None:
    err = _error(text)
    assert err.code == code
    assert err.line == line
    assert err.field == field
    assert err.file == "t.pb"
    assert f"line {line}" in str(err)
    assert err.to_dict()["code"] == code


def test_cumulative_points_errors() -> None:
    head = HEADER.replace("approval", "cumulative")
    votes = "VOTES\nvoter_id;vote;points\n1;a,b;1,2\n2;b;x\n"
    err = _error(head + PROJECTS + votes)
    assert (err.code, err.line, err.field) == ("not_a_number", 14, "points")
    err = _error(head + PROJECTS + votes.replace("2;b;x", "2;b;1,1"))
    assert (err.code, err.line, err.field) == ("points_mismatch", 14, "points")
    err = _error(head + PROJECTS + "VOTES\nvoter_id;vote\n1;a\n2;b\n")
    assert (err.code, err.field) == ("missing_column", "points")


def test_lenient_mode_accepts_inconsistent_counts_and_limits() -> None:
    text = HEADER.replace("num_votes;2", "num_votes;3") + "max_length;1\n" + PROJECTS + VOTES
    e = parse_pb(text, strict=False)
    assert len(e.ballots) == 2


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PBFormatError) as info:
        read_pb(tmp_path / "missing.pb")
    assert info.value.code == "unreadable"
    bad = tmp_path / "latin1.pb"
    bad.write_bytes((HEADER + PROJECTS.replace("A", "Ä") + VOTES).encode("latin-1"))
    with pytest.raises(PBFormatError) as info:
        read_pb(bad)
    assert (info.value.code, info.value.line) == ("not_utf8", 9)


def test_bom_and_crlf_are_accepted() -> None:
    text = "\ufeff" + (HEADER + PROJECTS + VOTES).replace("\n", "\r\n")
    e = parse_pb(text)
    assert e.project_ids == ("a", "b")
    assert e.budget == 10
