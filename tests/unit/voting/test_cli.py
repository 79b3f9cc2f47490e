"""``python -m voting rank``: table, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voting.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "voting"
REPO = Path(__file__).resolve().parents[3]


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_keys_for_irv(capsys, refdata):
    f = refdata / "ranked" / "burlington" / "00005-00000002.toi"
    code, out, _ = run(
        capsys,
        str(f),
        "--method",
        "irv",
        "--overvote",
        "exhaust_if_multiple_continuing",
        "--batch-elimination",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["winners"] == ["Bob Kiss"]
    assert [r["tallies"]["Bob Kiss"] for r in d["rounds"]] == [2585, 2981, 4313]
    assert d["tie_breaks"] == []
    assert d["options"]["overvote"] == "exhaust_if_multiple_continuing"


def test_table_for_stv_from_blt_uses_header_seats(capsys):
    code, out, _ = run(
        capsys, str(DATA / "small.blt"), "--method", "stv", "--stv-rule", "scottish", "--seed", "1"
    )
    assert code == 0
    assert "Method: stv (scottish, 2 seats)" in out
    assert "Round 1" in out
    assert "Winners:" in out
    assert "Dee" not in out.split("Winners:")[1]  # withdrawn in the BLT file


@pytest.mark.parametrize("method", ["schulze", "ranked-pairs", "copeland", "minimax", "borda", "plurality"])
def test_single_round_methods(capsys, method):
    code, out, _ = run(capsys, str(DATA / "small.csv"), "--method", method, "--json", "--seed", "3")
    assert code == 0
    d = json.loads(out)
    assert len(d["winners"]) == 1
    assert len(d["rounds"]) == 1
    assert "pairwise" in d["details"]


def test_audit_in_json(capsys):
    code, out, _ = run(capsys, str(DATA / "plain.csv"), "--method", "irv", "--json", "--audit", "--seed", "1")
    assert code == 0
    d = json.loads(out)
    assert len(d["audit"]["ballot_rows"]) == 5


def test_bad_file_exit_2(capsys):
    code, _, err = run(capsys, str(DATA / "bad_count.csv"), "--method", "irv")
    assert code == 2
    assert "bad_count.csv, line 3" in err


def test_unbroken_tie_exit_3(capsys):
    code, _, err = run(capsys, str(DATA / "plain.csv"), "--method", "plurality", "--tie-break", "lot")
    assert code == 3
    assert "no seed" in err


def test_module_entry_point():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "voting",
            "rank",
            str(DATA / "small.toi"),
            "--method",
            "irv",
            "--json",
            "--seed",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["winners"]


def test_sequential_irv_and_bottoms_up(capsys):
    seq = [str(DATA / "small.csv"), "--method", "sequential-irv", "--seats", "2", "--seed", "1"]
    code, out, _ = run(capsys, *seq, "--json")
    assert code == 0
    d = json.loads(out)
    assert len(d["winners"]) == 2
    assert [p["pass"] for p in d["details"]["passes"]] == [1, 2]
    code, out, _ = run(capsys, *seq)
    assert code == 0
    assert "(pass 2, round 1)" in out
    code, out, _ = run(capsys, str(DATA / "small.csv"), "--method", "bottoms-up", "--percentage", "20", "--seed", "1")
    assert code == 0
    assert "Method: bottoms-up (20 %)" in out
    code, _, err = run(capsys, str(DATA / "small.csv"), "--method", "bottoms-up")
    assert code == 2
    assert "bad_percentage" in err


def test_stv_one_winner_per_round(capsys):
    argv = [str(DATA / "small.csv"), "--method", "stv", "--seats", "2", "--json", "--seed", "1"]
    code, out, _ = run(capsys, *argv, "--one-winner-per-round")
    assert code == 0
    d = json.loads(out)
    assert d["options"]["one_winner_per_round"] is True
    assert all(len(r["elected"]) <= 1 for r in d["rounds"])
