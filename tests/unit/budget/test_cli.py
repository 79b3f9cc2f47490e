"""``python -m voting budget``: text and JSON output, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voting.budget.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "budget"
REPO = Path(__file__).resolve().parents[3]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_text_output_lists_projects_costs_and_votes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "textbook.pb"), "--rule", "mes", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "a1" in out
    assert "Project b1" in out
    assert "2 projects, total cost 2 EUR of 3 EUR, leftover 1 EUR" in out
    assert "tie at step 0 between a1, a2, a3: a1 chosen by order" in out
    assert "step 1: a1 price per voter 0.33, effective votes 3.0" in out


@pytest.mark.parametrize(
    ("argv", "selected", "total"),
    [
        (["--rule", "greedy"], ["a1", "a2", "a3"], 3),
        (["--rule", "mes"], ["a1", "b1"], 2),
        (["--rule", "mes", "--completion", "utilitarian"], ["a1", "b1", "a2"], 3),
        (["--rule", "mes", "--completion", "add1"], ["a1", "b1"], 2),
        # the three a-voters prefer greedy's a1, a2, a3: the comparison step switches
        (["--rule", "mes", "--completion", "add1-comparison"], ["a1", "a2", "a3"], 3),
        (["--rule", "mes", "--utility", "cardinality"], ["a1", "b1"], 2),
        (["--rule", "phragmen"], ["a1", "b1", "a2"], 3),
        (["--rule", "max-welfare"], ["a1", "a2", "a3"], 3),
        (["--rule", "greedy", "--tie-breaking", "reverse_order"], ["a3", "a2", "a1"], 3),
    ],
)
def test_json_output(
    capsys: pytest.CaptureFixture[str], argv: list[str], selected: list[str], total: int
) -> None:
    data = _json(capsys, [str(DATA / "textbook.pb"), *argv, "--json"])
    assert data["selected"] == selected
    assert data["total_cost"] == total


def test_points_file_greedy_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, [str(DATA / "points.pb"), "--rule", "greedy", "--threshold", "8", "--json"])
    assert data["selected"] == ["s"]  # q (7 points) would fit but is under the threshold


def test_meta_rule_on_refdata(capsys: pytest.CaptureFixture[str], refdata: Path) -> None:
    path = refdata / "pb" / "Poland_Katowice_2025_Zaleze.pb"
    data = _json(capsys, [str(path), "--rule", "meta", "--json"])
    assert data["options"]["threshold"] == 50
    assert len(data["selected"]) == 5
    assert data["total_cost"] == 547_900


def test_errors_exit_with_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "none.pb"), "--rule", "mes"]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    bad = tmp_path / "bad.pb"
    bad.write_text(
        (DATA / "textbook.pb").read_text(encoding="utf-8").replace("v5;b1,b2", "v5;b1,zz"), "utf-8"
    )
    assert main([str(bad), "--rule", "mes"]) == 2
    err = capsys.readouterr().err
    assert "line 28" in err
    assert "'vote'" in err
    assert main([str(DATA / "textbook.pb"), "--rule", "meta"]) == 2
    assert "not supported" in capsys.readouterr().err
    assert main([str(DATA / "textbook.pb"), "--rule", "nope"]) == 2
    assert main([str(DATA / "textbook.pb"), "--rule", "mes", "--tie-breaking", "coin"]) == 2


def test_module_entry_point_dispatches_to_budget() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "voting", "budget", str(DATA / "textbook.pb"), "--rule", "mes", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["selected"] == ["a1", "b1"]
