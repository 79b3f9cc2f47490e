"""``python -m sortition draw`` and ``verify``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sortition.cli import main
from sortition.selection import clear_cache

REPO = Path(__file__).resolve().parents[3]

POOL = "id,name,gender,age,street\n" + "".join(
    f"p{i:02d},Name {i},{'fm'[i % 2]},{['young', 'old'][i // 7 % 2]},s{i}\n" for i in range(14)
)
QUOTAS = "category,name,min,max\ngender,f,2,3\ngender,m,2,3\nage,young,2,3\nage,old,2,3\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "pool.csv").write_text(POOL, encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(QUOTAS, encoding="utf-8")
    return tmp_path


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_draw_then_verify(files):
    code, out, err = run(
        [
            "draw",
            "--pool",
            str(files / "pool.csv"),
            "--quotas",
            str(files / "quotas.csv"),
            "--size",
            "5",
            "--seed",
            "dice 4 2 6",
            "--alternates",
            "2",
            "--address-columns",
            "street",
            "--json",
            str(files / "result.json"),
        ]
    )
    assert code == 0, err
    data = json.loads((files / "result.json").read_text(encoding="utf-8"))
    assert data["seed"] == "dice 4 2 6" and data["method"] == "leximin" and len(data["panel"]) == 5
    assert set(data["probabilities"]) == {f"p{i:02d}" for i in range(14)}
    for pid in data["panel"]:
        assert pid in out
    assert "gender = f" in out and "Gini" in out and "minimum" in out
    assert "leximin" in err  # progress bar on stderr
    clear_cache()  # verify recomputes the distribution, as a separate run would
    code, out, _ = run(
        ["verify", str(files / "result.json"), "--pool", str(files / "pool.csv"), "--quotas", str(files / "quotas.csv")]
    )
    assert code == 0 and "verified" in out


def test_verify_fails_when_the_pool_changes(files):
    assert (
        run(
            [
                "draw",
                "--pool",
                str(files / "pool.csv"),
                "--quotas",
                str(files / "quotas.csv"),
                "--size",
                "5",
                "--seed",
                "1",
                "--quiet",
                "--json",
                str(files / "r.json"),
            ]
        )[0]
        == 0
    )
    (files / "pool.csv").write_text(POOL.replace("p03,Name 3,m", "p03,Name 3,f"), encoding="utf-8")
    code, out, _ = run(
        ["verify", str(files / "r.json"), "--pool", str(files / "pool.csv"), "--quotas", str(files / "quotas.csv")]
    )
    assert code == 1 and "NOT verified" in out and "pool differs" in out


def test_bad_input_exits_2_and_names_the_place(files):
    (files / "quotas.csv").write_text("feature,value,min,max\ngender,f,two,3\n", encoding="utf-8")
    code, _, err = run(
        ["draw", "--pool", str(files / "pool.csv"), "--quotas", str(files / "quotas.csv"), "--size", "5"]
    )
    assert code == 2
    assert "quotas.csv, row 2, column 'min', value 'two'" in err


def test_infeasible_prints_the_suggestion(files):
    (files / "quotas.csv").write_text(QUOTAS.replace("gender,f,2,3", "gender,f,5,5"), encoding="utf-8")
    code, _, err = run(
        ["draw", "--pool", str(files / "pool.csv"), "--quotas", str(files / "quotas.csv"), "--size", "5", "--quiet"]
    )
    assert code == 2 and "no panel meets the quotas" in err and "suggested change" in err


def test_python_dash_m(files):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sortition",
            "draw",
            "--pool",
            str(files / "pool.csv"),
            "--quotas",
            str(files / "quotas.csv"),
            "--size",
            "4",
            "--seed",
            "7",
            "--method",
            "maximin",
            "--lottery-panels",
            "20",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "uniform lottery of 20 panels" in proc.stdout
