"""Benchmark: ranked-ballot tabulation against pref_voting, votekit and pyrankvote.

Run by hand from the repository root (not a test)::

    python bench/ranked.py                # 1,000,000 ballots, 10 candidates
    python bench/ranked.py --ballots 100000 --timeout 120 --skip votekit

Generator (stated so anyone can rebuild the profile): Plackett–Luce rankings over 10
candidates with weights ``0.8 ** c`` (candidate 0 strongest), drawn with the Gumbel trick from
``numpy.random.default_rng(20240601)``: keys ``log(w) + Gumbel(0, 1)``, sorted descending;
each ballot is then truncated to a length drawn uniformly from 1..10 with the same generator.
1,000,000 such ballots have 407,393 distinct rankings.

What is timed (CPU seconds, ``time.process_time``, in a fresh process per library):

* ours: aggregation of the 1,000,000 x 10 matrix into distinct rankings, then IRV, STV (3
  seats, WIGM, exact) and Schulze (including the pairwise matrix) on the aggregated profile;
* pref_voting: ``ProfileWithTies`` build, ``instant_runoff_for_truncated_linear_orders``,
  ``stv_wig(num_seats=3, quota_rule="droop")``, ``beat_path``;
* votekit: ``RankProfile`` build, ``FastSTV(n_seats=3, transfer="fractional")``,
  ``FastSTV(n_seats=1)`` (its fast IRV), ``Schulze``, ``IRV``;
* pyrankvote: ``instant_runoff_voting`` and ``single_transferable_vote(number_of_seats=3)``
  on 1,000,000 ``Ballot`` references (one object per distinct ranking).

Each reference library runs in a subprocess with a wall-clock limit (``--timeout``); a method
that does not finish is reported as such. Winners are compared with ours. Then Meek STV on
Meath 2002 (64,081 ballots, 5 seats), ours, and pref_voting's ``stv_meek`` under
``--meek-timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SEED = 20240601


def generate(n: int, k: int = 10, seed: int = SEED) -> np.ndarray:
    """Plackett–Luce ballots (module docstring); -1 pads truncated rankings."""
    rng = np.random.default_rng(seed)
    w = 0.8 ** np.arange(k)
    keys = np.log(w)[None, :] + rng.gumbel(size=(n, k))
    order = np.argsort(-keys, axis=1)
    length = rng.integers(1, k + 1, size=n)
    order[np.arange(k)[None, :] >= length[:, None]] = -1
    return order


def names(k: int) -> list[str]:
    return [f"c{i}" for i in range(k)]


def distinct(matrix: np.ndarray) -> tuple[list[tuple[int, ...]], list[int]]:
    """Distinct rankings (tuples of candidate indices) and counts, for the reference libraries."""
    uniq, counts = np.unique(matrix, axis=0, return_counts=True)
    rankings = [tuple(int(c) for c in row if c >= 0) for row in uniq]
    return rankings, [int(c) for c in counts]


def emit(**kw: object) -> None:
    print(json.dumps(kw), flush=True)


def timed(label: str, fn):
    t = time.process_time()
    out = fn()
    seconds = time.process_time() - t
    shown = (
        out
        if isinstance(out, str) or (isinstance(out, list) and all(isinstance(x, str) for x in out))
        else None
    )
    emit(step=label, seconds=seconds, result=shown)
    return out


# ---------------------------------------------------------------- workers (one per library)
def worker_ours(n: int, k: int) -> None:
    from voting import Profile, irv, schulze, stv

    m = generate(n, k)
    cand = names(k)
    p = timed("aggregate", lambda: Profile.from_matrix(m, candidates=cand))
    emit(step="distinct", seconds=0.0, result=str(p.n_distinct))
    timed("irv", lambda: list(irv(p, rng=1).winners))
    timed("stv", lambda: sorted(stv(p, seats=3, rule="wigm", rng=1).winners))
    timed("schulze", lambda: list(schulze(p, rng=1).winners))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    emit(step="maxrss_mb", seconds=0.0, result=str(rss_mb))


def worker_pref_voting(n: int, k: int) -> None:
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_wig
    from pref_voting.voting_methods import beat_path, instant_runoff_for_truncated_linear_orders

    rankings, counts = distinct(generate(n, k))
    prof = timed(
        "build",
        lambda: ProfileWithTies(
            [{c: r for r, c in enumerate(rk)} for rk in rankings], rcounts=counts, candidates=list(range(k))
        ),
    )
    timed("stv", lambda: sorted(f"c{c}" for c in stv_wig(prof, num_seats=3, quota_rule="droop")))
    timed("irv", lambda: [f"c{c}" for c in instant_runoff_for_truncated_linear_orders(prof)])
    timed("schulze", lambda: [f"c{c}" for c in beat_path(prof)])


def worker_votekit(n: int, k: int) -> None:
    from votekit import RankBallot, RankProfile
    from votekit.elections import IRV, FastSTV, Schulze

    rankings, counts = distinct(generate(n, k))
    cand = names(k)

    def build():
        ballots = [
            RankBallot(ranking=tuple(frozenset({cand[c]}) for c in rk), weight=w)
            for rk, w in zip(rankings, counts, strict=True)
        ]
        return RankProfile(ballots=ballots, candidates=cand)

    prof = timed("build", build)

    def elected(e) -> list[str]:
        return sorted(c for s in e.get_elected() for c in s)

    timed("stv", lambda: elected(FastSTV(prof, n_seats=3, transfer="fractional")))
    timed("irv_faststv1", lambda: elected(FastSTV(prof, n_seats=1, transfer="fractional")))
    timed("schulze", lambda: elected(Schulze(prof)))
    timed("irv", lambda: elected(IRV(prof)))


def worker_pyrankvote(n: int, k: int) -> None:
    import pyrankvote
    from pyrankvote import Ballot, Candidate

    rankings, counts = distinct(generate(n, k))
    cands = [Candidate(c) for c in names(k)]

    def build():
        out = []
        for rk, w in zip(rankings, counts, strict=True):
            b = Ballot(ranked_candidates=[cands[c] for c in rk])
            out.extend([b] * w)
        return out

    ballots = timed("build", build)
    timed("irv", lambda: [c.name for c in pyrankvote.instant_runoff_voting(cands, ballots).get_winners()])
    timed(
        "stv",
        lambda: sorted(c.name for c in pyrankvote.single_transferable_vote(cands, ballots, 3).get_winners()),
    )


def worker_meek_pref_voting(path: str) -> None:
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_meek

    from voting import read_ballots

    p = read_ballots(path)
    rankings = [[c for c in p.ranking(i)] for i in range(p.n_distinct)]
    prof = ProfileWithTies(
        [{c: r for r, c in enumerate(rk)} for rk in rankings],
        rcounts=p.counts.tolist(),
        candidates=list(p.candidates),
    )
    timed("meek", lambda: sorted(stv_meek(prof, num_seats=5)))


WORKERS = {
    "ours": worker_ours,
    "pref_voting": worker_pref_voting,
    "votekit": worker_votekit,
    "pyrankvote": worker_pyrankvote,
}


def run_worker(args: list[str], timeout: float) -> tuple[dict[str, dict], bool]:
    """Run a worker; return its steps and whether it finished in time."""
    cmd = [sys.executable, __file__, "--worker", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        out, finished = proc.stdout, True
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2000:])
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        finished = False
    steps = {}
    for line in out.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        steps[d["step"]] = d
    return steps, finished


def refdata_dir() -> Path:
    return Path(os.environ.get("AGORA_REFDATA", REPO.parent / "shared" / "refdata"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ballots", type=int, default=1_000_000)
    ap.add_argument("--candidates", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=300.0, help="wall seconds per reference library")
    ap.add_argument("--meek-timeout", type=float, default=120.0, help="wall seconds for pref_voting stv_meek")
    ap.add_argument("--skip", action="append", default=[], help="library to skip (repeatable)")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        name, *rest = a.worker
        if name == "meek_pref_voting":
            worker_meek_pref_voting(rest[0])
        else:
            WORKERS[name](int(rest[0]), int(rest[1]))
        return 0

    n, k = a.ballots, a.candidates
    print(
        f"profile: {n:,} Plackett-Luce ballots (weights 0.8^c, seed {SEED}), {k} candidates, lengths 1..{k}"
    )
    results: dict[str, tuple[dict, bool]] = {}
    for lib in WORKERS:
        if lib in a.skip:
            continue
        limit = 3600.0 if lib == "ours" else a.timeout
        print(f"running {lib} (limit {limit:.0f} s wall)...", flush=True)
        results[lib] = run_worker([lib, str(n), str(k)], limit)

    ours, _ = results["ours"]
    print(
        f"\ndistinct rankings: {ours['distinct']['result']}; "
        f"our peak memory (RSS): {ours['maxrss_mb']['result']} MB"
    )
    print(f"our aggregation of the {n:,} x {k} matrix: {ours['aggregate']['seconds']:.3f} s\n")
    methods = [("irv", "IRV"), ("stv", "STV 3 seats (WIGM)"), ("schulze", "Schulze")]
    extra = {"votekit": [("irv_faststv1", "IRV as FastSTV, 1 seat")]}
    header = f"{'library':<12} {'method':<30} {'CPU s':>10} {'ratio to ours':>14} {'same winners':>13}"
    print(header)
    print("-" * len(header))
    fastest: dict[str, float] = {}
    for lib, (steps, finished) in results.items():
        if lib != "ours" and "build" in steps:
            note = " (incl. pairwise supports)" if lib == "pref_voting" else ""
            print(f"{lib:<12} {'build profile' + note:<30} {steps['build']['seconds']:>10.3f}")
        for key, label in methods + extra.get(lib, []):
            if lib == "pyrankvote" and key == "schulze":
                continue  # pyrankvote has no Condorcet method
            base = key if key in ours else "irv"
            if key in steps:
                s = steps[key]["seconds"]
                ratio = s / max(ours[base]["seconds"], 1e-9)
                same = "-" if lib == "ours" else str(steps[key]["result"] == ours[base]["result"])
                print(
                    f"{lib:<12} {label:<30} {s:>10.3f} {ratio:>14.1f} {same:>13}   "
                    f"winners {steps[key]['result']}"
                )
                if lib != "ours":
                    fastest[base] = min(fastest.get(base, float("inf")), s)
            elif lib != "ours":
                why = "did not finish" if not finished else "not run (error)"
                print(f"{lib:<12} {label:<30} {why + f' in {a.timeout:.0f} s wall':>40}")
    if "pref_voting" in results and "schulze" in results["pref_voting"][0]:
        # pref_voting computes its pairwise supports while building the profile, so its beat_path
        # alone is nearly free; ours includes the pairwise matrix. Compare like with like.
        pv = results["pref_voting"][0]
        fastest["schulze"] = min(
            [pv["build"]["seconds"] + pv["schulze"]["seconds"]]
            + (
                [results["votekit"][0]["schulze"]["seconds"]]
                if "schulze" in results.get("votekit", ({}, 0))[0]
                else []
            )
        )
        print(
            f"\npref_voting Schulze incl. its profile build (pairwise supports): "
            f"{pv['build']['seconds'] + pv['schulze']['seconds']:.3f} s"
        )
    print("\nours vs the fastest reference library (their CPU s / ours):")
    for key, label in methods:
        if key in fastest:
            print(
                f"  {label:<22} ours {ours[key]['seconds']:.3f} s, fastest other {fastest[key]:.3f} s, "
                f"x{fastest[key] / max(ours[key]['seconds'], 1e-9):.1f}"
            )
        else:
            print(f"  {label:<22} ours {ours[key]['seconds']:.3f} s, no reference library finished")
    for key in ("irv", "stv"):
        total = ours["aggregate"]["seconds"] + ours[key]["seconds"]
        print(f"  {key}: aggregation + count {total:.3f} s")

    meath = refdata_dir() / "ranked" / "irish" / "00001-00000003.soi"
    if meath.exists():
        from voting import read_ballots, stv

        p = read_ballots(meath)
        t = time.process_time()
        r = stv(p, seats=5, rule="meek")
        ours_meek = time.process_time() - t
        print(
            f"\nMeek STV, Meath 2002 ({p.n_ballots:,} ballots, {p.n_distinct:,} distinct, 5 seats): "
            f"ours {ours_meek:.3f} s, {r.details['iterations']} iterations, elected {sorted(r.winners)}"
        )
        if "pref_voting" not in a.skip and a.meek_timeout > 0:
            steps, finished = run_worker(["meek_pref_voting", str(meath)], a.meek_timeout)
            if "meek" in steps:
                print(
                    f"  pref_voting stv_meek: {steps['meek']['seconds']:.1f} s, "
                    f"elected {steps['meek']['result']}"
                )
            else:
                print(f"  pref_voting stv_meek: did not finish in {a.meek_timeout:.0f} s wall")
    else:
        print(f"\n(Meath file not found under {refdata_dir()}; Meek comparison skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
