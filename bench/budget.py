"""Benchmark voting.budget against pabutools on the Pabulib reference files.

Run by hand from the repository root (pabutools must be installed: ``pip install .[bench]``)::

    python bench/budget.py [--refdata ../shared/refdata] [--timeout 120] [--files Wieliczka,Assen]
                           [--variants exhaustive,overspend] [--skip-pabutools] [--no-skip-ahead]

For each approval file of ``<refdata>/pb`` it times greedy (cost utility, i.e. by votes) and the Method
of Equal Shares with add1 completion, here and in pabutools, each run in its own process so that peak
memory (max RSS) is measured per run and a run over ``--timeout`` seconds can be killed. add1 comes in
two variants (see voting.budget.equal_shares):

``exhaustive``  stop raising the shares once the outcome is exhaustive; pabutools
                ``method_of_equal_shares(..., voter_budget_increment=1)``.
``overspend``   raise until the next raise would overspend (the official Wieliczka rule); pabutools
                ``exhaustion_by_budget_increase(..., budget_step=n, exhaustive_stop=False)``.

Printed per run: rule time (parse excluded) and parse time (imports excluded), for ours and pabutools;
whether the sets of selected projects agree; the speed ratio (pabutools rule time / ours); the peak RSS
of each process (interpreter, imports and parsed file included).
pabutools is a GPL yardstick used only here, in separate processes; voting.budget never imports it.

Besides the files, two synthetic votes with few voters and a big budget (the case where add1 needs thousands
of one-unit raises): ``synthetic:<budget>``, the textbook 6 + 4 voters (a1, a2, a3 against b1, b2) with
costs scaled to the budget. ``--no-skip-ahead`` runs every add1 raise (``equal_shares(skip_ahead=False)``),
to compare with skipping the raises proven to keep the outcome; "MES runs" counts raises either way, and
"computed" the runs actually done.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC = ["synthetic:100000", "synthetic:1000000"]
APPROVAL_FILES = [
    "Netherlands_Assen_2024.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "Netherlands_Amsterdam_252.pb",
    "Poland_Warszawa_2020_Praga-Poludnie.pb",
    "Poland_Warszawa_2026.pb",
    "Poland_Lodz_2022.pb",
]


def _synthetic(path: str):
    from voting.budget import make_election

    budget = int(path.split(":")[1])
    names = ("a1", "a2", "a3", "b1", "b2")
    costs = [3 * budget // 10] * 3 + [4 * budget // 10] * 2
    return make_election(list(zip(names, costs, strict=True)), [["a1", "a2", "a3"]] * 6 + [["b1", "b2"]] * 4, budget)


def _worker(impl: str, task: str, path: str) -> None:
    """Run one task in this process and print a JSON line."""
    if impl.startswith("ours"):
        sys.path.insert(0, str(REPO))
        from voting.budget import equal_shares, greedy, read_pb

        t0 = time.perf_counter()
        election = _synthetic(path) if path.startswith("synthetic:") else read_pb(path)
        t1 = time.perf_counter()
        if task == "greedy":
            result = greedy(election)
        else:
            variant = task.split(":")[1]
            result = equal_shares(election, completion="add1", add1_stop=variant, explain=False,
                                  skip_ahead=impl != "ours-no-skip")
        selected = list(result.selected)
        extra = {"runs": result.mes_runs, "computed": result.mes_runs_computed,
                 "share": float(result.per_voter_budget or 0)}
    else:
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import (
            exhaustion_by_budget_increase,
            greedy_utilitarian_welfare,
            method_of_equal_shares,
        )

        t0 = time.perf_counter()
        instance, profile = parse_pabulib(path)
        t1 = time.perf_counter()
        if task == "greedy":
            outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
        elif task == "mes-add1:exhaustive":
            outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)
        else:
            outcome = exhaustion_by_budget_increase(
                instance,
                profile,
                method_of_equal_shares,
                {"sat_class": Cost_Sat},
                budget_step=profile.num_ballots(),
                exhaustive_stop=False,
            )
        selected = [p.name for p in outcome]
        extra = {}
    t2 = time.perf_counter()
    print(json.dumps({"parse": t1 - t0, "rule": t2 - t1, "selected": selected, **extra}))


def _launch(impl: str, task: str, path: Path, timeout: float) -> dict:
    """Run a worker process; return its JSON plus peak RSS (MB), or a timeout/failure marker."""
    cmd = [sys.executable, __file__, "--worker", impl, task, str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    start = time.perf_counter()
    rusage = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            proc.kill()
            _, status, rusage = os.wait4(proc.pid, 0)
            return {"timeout": True, "wall": time.perf_counter() - start, "rss_mb": rusage.ru_maxrss / 1024}
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"}
    data = json.loads(out.strip().splitlines()[-1])
    data["rss_mb"] = rusage.ru_maxrss / 1024
    return data


def _fmt_time(run: dict) -> str:
    if run.get("timeout"):
        return f">{run['wall']:.0f}s"
    if "error" in run:
        return "error"
    return f"{run['rule']:.3f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--refdata", default=str(REPO.parent / "shared" / "refdata"))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per pabutools run")
    parser.add_argument("--files", help="comma-separated substrings selecting files")
    parser.add_argument("--variants", default="exhaustive,overspend")
    parser.add_argument("--skip-pabutools", action="store_true")
    parser.add_argument("--no-skip-ahead", action="store_true", help="add1: run every raise (the old way)")
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "TASK", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(*args.worker)
        return 0
    folder = Path(args.refdata) / "pb"
    files = [folder / f for f in APPROVAL_FILES if (folder / f).is_file()] + [Path(s) for s in SYNTHETIC]
    if args.files:
        keys = [k.strip() for k in args.files.split(",")]
        files = [f for f in files if any(k in str(f) for k in keys)]
    if not files:
        print(f"no reference files under {folder}", file=sys.stderr)
        return 2
    tasks = ["greedy"] + [f"mes-add1:{v.strip()}" for v in args.variants.split(",") if v.strip()]
    header = (
        f"{'file':<40} {'task':<22} {'ours':>9} {'parse':>7} {'pabutools':>10} {'parse':>7} "
        f"{'agree':>6} {'ratio':>8} {'ours MB':>8} {'pabu MB':>8}  notes"
    )
    print(header)
    print("-" * len(header))
    for path in files:
        for task in tasks:
            ours = _launch("ours-no-skip" if args.no_skip_ahead else "ours", task, path, timeout=600)
            synthetic = str(path).startswith("synthetic:")
            label = str(path) if synthetic else path.name
            theirs = (
                {"skipped": True}
                if args.skip_pabutools or synthetic
                else _launch("pabutools", task, path, args.timeout)
            )
            agree = "-"
            ratio = "-"
            if "selected" in ours and "selected" in theirs:
                agree = "yes" if set(ours["selected"]) == set(theirs["selected"]) else "NO"
                ratio = f"{theirs['rule'] / max(ours['rule'], 1e-9):.0f}x"
            elif "selected" in ours and theirs.get("timeout"):
                ratio = f">{theirs['wall'] / max(ours['rule'], 1e-9):.0f}x"
            notes = []
            if "selected" in ours:
                notes.append(f"{len(ours['selected'])} projects")
                if ours.get("runs", 0) > 1:
                    notes.append(f"{ours['runs']} MES runs ({ours['computed']} computed)")
            if "selected" in theirs and agree == "NO":
                notes.append(f"pabutools {len(theirs['selected'])} projects")
            if "error" in theirs:
                notes.append(f"pabutools error: {theirs['error'][:60]}")
            if "error" in ours:
                notes.append(f"ours error: {ours['error'][:60]}")
            ours_parse = f"{ours['parse']:.2f}s" if "parse" in ours else "-"
            their_parse = f"{theirs['parse']:.2f}s" if "parse" in theirs else "-"
            their_time = "skipped" if theirs.get("skipped") else _fmt_time(theirs)
            their_mb = f"{theirs['rss_mb']:.0f}" if "rss_mb" in theirs else "-"
            print(
                f"{label[:40]:<40} {task:<22} {_fmt_time(ours):>9} {ours_parse:>7} {their_time:>10} "
                f"{their_parse:>7} {agree:>6} {ratio:>8} {ours.get('rss_mb', 0):>8.0f} {their_mb:>8}  "
                + ", ".join(notes),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
