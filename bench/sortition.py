"""Benchmark sortition's LEXIMIN against the Sortition Foundation's ``sortition-algorithms``.

Run by hand from the repository root (``sortition-algorithms`` must be installed: ``pip install .[bench]``)::

    python bench/sortition.py [--refdata ../shared/refdata] [--timeout 600]
                              [--instances sf_fixture,example_large_200] [--skip-theirs]

Instances: the Sortition Foundation fixture (n=150, k=22), OpenDLP's monitoring fixture (n=100, k=30),
the Nature 2021 replication examples example_small_20 (n=200, k=20) and example_large_200
(n=2000, k=200), and generated pools with self-selection bias: n=2,000 with 6 categories and
n=10,000 with 8 categories (15 to 20 feature values).

Each run happens in its own process (so a run over ``--timeout`` seconds can be killed); the time
covers the distribution only (reading the files excluded); wall and CPU seconds of the process are
both printed, since the machine may be shared. ``sortition-algorithms`` computes LEXIMIN
only with Gurobi; without ``gurobipy`` its LEXIMIN is unavailable, and the bench runs its MAXIMIN
(HiGHS) instead, which has the same minimum probability (LEXIMIN's first stage), and says so.
sortition-algorithms is a GPL yardstick used only here; sortition never imports it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# name -> (pool path, quotas path, k, id column or None, address columns), paths relative to refdata
FIXTURES = {
    "sf_fixture": (
        "sortition/sortition-algorithms/tests/fixtures/candidates.csv",
        "sortition/sortition-algorithms/tests/fixtures/features.csv",
        22,
        "nationbuilder_id",
    ),
    "opendlp_monitoring": (
        "sortition/opendlp/backend/docs/fixtures/monitoring/respondents.csv",
        "sortition/opendlp/backend/docs/fixtures/monitoring/categories.csv",
        30,
        "unique_id",
    ),
    "example_small_20": (
        "sortition/citizensassemblies-replication/data/example_small_20/respondents.csv",
        "sortition/citizensassemblies-replication/data/example_small_20/categories.csv",
        20,
        None,
    ),
    "example_large_200": (
        "sortition/citizensassemblies-replication/data/example_large_200/respondents.csv",
        "sortition/citizensassemblies-replication/data/example_large_200/categories.csv",
        200,
        None,
    ),
}
# name -> (n, k, values per category, seed)
GENERATED = {
    "gen_2000_6cat": (2000, 100, [2, 3, 3, 2, 3, 2], 1),  # 15 values, 216 possible profiles
    "gen_2000_6cat_20v": (2000, 100, [2, 3, 4, 3, 3, 5], 1),  # 20 values: ~800 distinct profiles occur
    "gen_10000_8cat": (10000, 200, [2, 2, 3, 2, 3, 2, 2, 2], 2),  # 18 values, 576 possible profiles
}


def generate(folder: Path, name: str) -> tuple[str, str, int, str]:
    """Write a biased pool and loose quotas (±20 % around equal shares) as CSV files."""
    import numpy as np

    n, k, values, seed = GENERATED[name]
    rng = np.random.default_rng(seed)
    columns = {}
    for f, nv in enumerate(values):
        bias = rng.uniform(0.5, 2.0, nv)  # self-selection: some values volunteer up to 4x more
        columns[f"f{f}"] = rng.choice(nv, size=n, p=bias / bias.sum())
    pool_path, quotas_path = folder / f"{name}_pool.csv", folder / f"{name}_quotas.csv"
    with open(pool_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", *columns])
        for i in range(n):
            writer.writerow([f"p{i:05d}", *(f"v{c[i]}" for c in columns.values())])
    with open(quotas_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["feature", "value", "min", "max"])
        for f, nv in enumerate(values):
            share = k / nv
            for v in range(nv):
                writer.writerow([f"f{f}", f"v{v}", int(share * 0.8), int(np.ceil(share * 1.2))])
    return str(pool_path), str(quotas_path), k, "id"


def _read(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _worker(impl: str, pool_path: str, quotas_path: str, k: int, id_column: str) -> None:
    """Compute one distribution in this process and print a JSON line."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if impl == "ours":
        sys.path.insert(0, str(REPO))
        from sortition import find_distribution, load_pool, load_quotas

        quotas = load_quotas(quotas_path)
        pool = load_pool(pool_path, id_column=id_column or None)
        t0, c0 = time.perf_counter(), time.process_time()
        dist = find_distribution(pool, quotas, k, method="leximin")
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        probs = list(dist.probabilities.values())
        print(
            json.dumps(
                {
                    "time": elapsed,
                    "cpu": cpu,
                    "min": min(probs),
                    "max": max(probs),
                    "algorithm": "leximin",
                    "stats": dist.stats,
                }
            )
        )
        return
    from sortition_algorithms.committee_generation import (
        GUROBI_AVAILABLE,
        find_distribution_leximin,
        find_distribution_maximin,
    )
    from sortition_algorithms.features import read_in_features
    from sortition_algorithms.people import read_in_people
    from sortition_algorithms.settings import Settings

    fhead, fbody = _read(quotas_path)
    if [h.lower() for h in fhead[:2]] == ["category", "feature"]:  # the replication header: rename for them
        fbody = [{"feature": r[fhead[0]], "value": r[fhead[1]], "min": r["min"], "max": r["max"]} for r in fbody]
        fhead = ["feature", "value", "min", "max"]
    phead, pbody = _read(pool_path)
    if not id_column:  # the replication pools have no id column: number the rows as ours does
        phead = ["id", *phead]
        pbody = [{"id": str(i + 1), **row} for i, row in enumerate(pbody)]
        id_column = "id"
    features, fcol, _ = read_in_features(fhead, fbody, k)
    settings = Settings(id_column=id_column, columns_to_keep=[])
    people, _ = read_in_people(phead, pbody, features, settings, feature_column_name=fcol)
    t0, c0 = time.perf_counter(), time.process_time()
    if GUROBI_AVAILABLE:
        committees, probabilities, _ = find_distribution_leximin(features, people, k, [])
        algorithm = "leximin (gurobi)"
    else:
        committees, probabilities, _ = find_distribution_maximin(features, people, k, [], "highspy")
        algorithm = "maximin (highspy; leximin needs gurobi)"
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    marg = dict.fromkeys(people, 0.0)
    for committee, p in zip(committees, probabilities, strict=True):
        for pid in committee:
            marg[pid] += p
    print(
        json.dumps(
            {"time": elapsed, "cpu": cpu, "min": min(marg.values()), "max": max(marg.values()), "algorithm": algorithm}
        )
    )


def run(impl: str, spec: tuple, timeout: float) -> dict:
    pool_path, quotas_path, k, id_column = spec
    cmd = [sys.executable, __file__, "--worker", impl, pool_path, quotas_path, str(k), id_column or ""]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(REPO))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _, impl, pool_path, quotas_path, k, id_column = argv
        _worker(impl, pool_path, quotas_path, int(k), id_column)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refdata", default=os.environ.get("AGORA_REFDATA", str(REPO.parent / "shared" / "refdata")))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run before it is killed")
    parser.add_argument("--instances", default=",".join([*FIXTURES, *GENERATED]))
    parser.add_argument("--skip-theirs", action="store_true")
    args = parser.parse_args(argv)
    refdata = Path(args.refdata)
    tmp = Path(tempfile.mkdtemp(prefix="sortition-bench-"))
    rows = []
    try:
        for name in args.instances.split(","):
            if name in FIXTURES:
                pool_rel, quotas_rel, k, id_column = FIXTURES[name]
                spec = (str(refdata / pool_rel), str(refdata / quotas_rel), k, id_column)
                if not Path(spec[0]).exists():
                    print(f"{name}: reference data not found under {refdata}, skipped", file=sys.stderr)
                    continue
            else:
                spec = generate(tmp, name)
            n = sum(1 for _ in open(spec[0], encoding="utf-8-sig")) - 1
            ours = run("ours", spec, args.timeout)
            theirs = {"skipped": True} if args.skip_theirs else run("theirs", spec, args.timeout)
            rows.append((name, n, spec[2], ours, theirs))
            print(json.dumps({"instance": name, "n": n, "k": spec[2], "ours": ours, "theirs": theirs}), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def cell_time(r: dict) -> str:
        if r.get("timeout"):
            return f"> {args.timeout:.0f} (killed)"
        if "time" in r:
            return f"{r['time']:.2f}"
        return "skipped" if r.get("skipped") else f"error: {r.get('error')}"

    def cell_cpu(r: dict) -> str:
        return f"{r['cpu']:.2f}" if "cpu" in r else "-"

    print("\n| instance | n | k | ours s | theirs s | ours CPU s | theirs CPU s | min prob ours | min prob theirs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n, k, ours, theirs in rows:
        mo = f"{ours['min']:.5f}" if "min" in ours else "-"
        mt = f"{theirs['min']:.5f}" if "min" in theirs else "-"
        print(
            f"| {name} | {n} | {k} | {cell_time(ours)} | {cell_time(theirs)} | {cell_cpu(ours)} | {cell_cpu(theirs)}"
            f" | {mo} | {mt} |"
        )
    print("\n| instance | abs(min ours - min theirs) | ratio (wall) | ratio (CPU) |")
    print("|---|---|---|---|")
    for name, _, _, ours, theirs in rows:
        dm = f"{abs(ours['min'] - theirs['min']):.1e}" if "min" in ours and "min" in theirs else "-"
        if "time" in ours and "time" in theirs:
            ratio = f"{theirs['time'] / ours['time']:.1f}x"
        elif "time" in ours and theirs.get("timeout"):
            ratio = f"> {args.timeout / ours['time']:.1f}x"
        else:
            ratio = "-"
        cpu_ratio = f"{theirs['cpu'] / ours['cpu']:.1f}x" if "cpu" in ours and "cpu" in theirs else "-"
        print(f"| {name} | {dm} | {ratio} | {cpu_ratio} |")
    algos = {r[4].get("algorithm") for r in rows if r[4].get("algorithm")}
    if algos:
        print(f"\ntheirs ran: {', '.join(sorted(algos))}; ours: leximin")


if __name__ == "__main__":
    main()
