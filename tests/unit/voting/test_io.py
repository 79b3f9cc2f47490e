"""Readers: PrefLib, CSV, BLT, and the errors they raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from voting import BallotFormatError, Profile, irv, read_ballots, read_blt, read_csv, read_preflib

DATA = Path(__file__).resolve().parents[2] / "data" / "voting"


def test_csv_with_counts_skips_and_overvotes():
    p = read_csv(DATA / "small.csv")
    assert p.names == ("Ada", "Bo", "Cy")
    assert p.n_ballots == 7
    rankings = {tuple(map(str, p.ranking(i))): int(p.counts[i]) for i in range(p.n_distinct)}
    assert rankings[("Ada", "Bo", "Cy")] == 3
    assert rankings[("Bo", "None", "Cy")] == 2
    assert any(
        isinstance(e, frozenset) and e == {"Ada", "Bo"} for i in range(p.n_distinct) for e in p.ranking(i)
    )


def test_csv_without_header_keeps_each_ballot_for_the_audit():
    p = read_csv(DATA / "plain.csv")
    assert p.n_ballots == 5
    assert p.ballot_rows is not None
    assert len(p.ballot_rows) == 5
    r = irv(p, audit=True)
    assert r.audit.ballot(0)[0] == "Ada"
    assert r.audit.ballot(1)[0] == "Bo"


def test_csv_announced_candidates_reject_unknown_names():
    with pytest.raises(BallotFormatError) as exc:
        read_csv(DATA / "plain.csv", candidates=["Ada", "Bo"])
    assert exc.value.code == "unknown_candidate"
    assert exc.value.line == 3
    assert exc.value.column == 1
    assert "plain.csv, line 3, column 1" in str(exc.value)


@pytest.mark.parametrize(
    ("fname", "code", "line"),
    [
        ("bad_count.csv", "bad_count", 3),
        ("bad_group.toi", "bad_group", 6),
        ("bad_candidate.soi", "unknown_candidate", 6),
        ("bad_end.blt", "bad_ballot", 2),
    ],
)
def test_errors_name_file_line_and_problem(fname, code, line):
    with pytest.raises(BallotFormatError) as exc:
        read_ballots(DATA / fname)
    err = exc.value
    assert err.code == code
    assert err.file == fname
    assert err.line == line
    assert str(err).startswith(f"{fname}, line {line}")


def test_unknown_suffix_and_missing_file():
    with pytest.raises(BallotFormatError) as exc:
        read_ballots(DATA / "ballots.xyz")
    assert exc.value.code == "unknown_format"
    with pytest.raises(BallotFormatError) as exc:
        read_ballots(DATA / "missing.csv")
    assert exc.value.code == "file_not_found"


def test_toi_groups_are_one_rank():
    p = read_preflib(DATA / "small.toi")
    assert p.names == ("Ada", "Bo", "Cy")
    assert p.meta["title"] == "small test"
    assert p.n_ballots == 6
    groups = [e for i in range(p.n_distinct) for e in p.ranking(i) if isinstance(e, frozenset)]
    assert groups == [frozenset({"Bo", "Cy"})]


def test_blt_weights_ties_skips_withdrawn_and_ids():
    p = read_blt(DATA / "small.blt")
    assert p.names == ("Ada", "Bo", "Cy", "Dee")
    assert p.meta == {"seats": 2, "title": "Small test election", "withdrawn": ("Dee",)}
    assert p.n_ballots == 12
    rankings = sorted(str(p.ranking(i)) for i in range(p.n_distinct))
    assert "['Bo', None, 'Cy']" in rankings


def test_profile_from_rankings_errors():
    with pytest.raises(BallotFormatError) as exc:
        Profile.from_rankings([["A"], ["B", "Q"]], candidates=["A", "B"])
    assert (exc.value.code, exc.value.line, exc.value.column) == ("unknown_candidate", 2, 2)
    with pytest.raises(BallotFormatError) as exc:
        Profile.from_rankings([["A"]], candidates=["A"], counts=[0])
    assert exc.value.code == "bad_count"
    with pytest.raises(BallotFormatError) as exc:
        Profile.from_rankings([["A"]], candidates=["A"], counts=[1, 2])
    assert exc.value.code == "count_mismatch"


def test_real_files_load(refdata):
    p = read_ballots(refdata / "ranked" / "irish" / "00001-00000003.soi")
    assert (p.n_ballots, p.n_candidates) == (64081, 14)
    assert p.n_distinct == 25101  # "NUMBER UNIQUE ORDERS" in the header


def test_csv_receipt_column_and_announced_candidates(tmp_path):
    path = tmp_path / "cvr.csv"
    path.write_text('#candidates,Zed,"Ada, the first",Bo\n'
                    "receipt,rank1,rank2\n"
                    'K1,"Ada, the first",Bo\n'
                    "K2,Bo,\n"
                    '"K3","Bo=Ada, the first",\n')
    p = read_csv(path)
    assert p.names == ("Zed", "Ada, the first", "Bo")  # ballot order kept, Zed known without a vote
    assert p.n_ballots == 3
    rankings = [tuple(p.ranking(i)) for i in range(p.n_distinct)]
    assert ("Ada, the first", "Bo") in rankings
    assert any(r and r[0] == frozenset({"Bo", "Ada, the first"}) for r in rankings)  # a shared rank
    assert all("K1" not in map(str, r) for r in rankings)  # the receipt is not a rank


def test_csv_id_column_without_candidates_line(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("ballot id,choice1,choice2\n7,Ada,Bo\n8,Bo,Ada\n9,Bo,\n")
    p = read_csv(path)
    assert p.names == ("Ada", "Bo") and p.n_ballots == 3


@pytest.mark.parametrize(("text", "code", "line"), [
    ("receipt,rank1\nK1,Ada\n#candidates,Ada,Bo\n", "late_candidates", 3),
    ("#candidates,Ada,Ada\nK1,Ada\n", "duplicate_candidate", 1),
    ("#candidates,Ada,Bo\nreceipt,rank1\nK1,Cy\n", "unknown_candidate", 3),
])
def test_csv_candidates_line_errors_name_the_line(tmp_path, text, code, line):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(BallotFormatError) as exc:
        read_csv(path)
    assert exc.value.code == code and exc.value.line == line
    assert f"bad.csv, line {line}" in str(exc.value)
