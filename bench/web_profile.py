"""Cost of the busiest pages measured in-process, against the data bench/web.py seeded.

Less noisy than the load test on a shared machine: per request, CPU time of this process (the
app's own work), wall time, and SQL statements sent; ``--profile`` adds a cProfile listing
(CPU time) of one scenario.

    python bench/web_profile.py --db postgresql://postgres@127.0.0.1:5432/agora_bench [--profile page_anon]
                                [--instructions] [--set KEY=JSON]

``--instructions`` counts the CPU instructions per request instead, each scenario in a process of its
own under valgrind's callgrind (instrumented only while the measured requests run): the same count
on every run, whatever else the machine does, so a change of a few per cent shows. ``--set`` changes
a setting of the app for an A/B comparison (``--set RATELIMIT_ENABLED=false``).

Scenarios: listing, district_tag, search, page_anon, page_user, support (a support POST as a
signed-in resident; it adds supports to the bench data). ``--no-listing-cache`` measures the
listing's uncached path. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


_UNDER_CALLGRIND = "AGORA_WEB_PROFILE_UNDER_CALLGRIND"


def callgrind(*, on: bool) -> None:
    """Instrument (count) from here on, or stop, when this process runs under callgrind."""
    if os.environ.get(_UNDER_CALLGRIND):
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       check=True, capture_output=True)


def count_instructions(args: argparse.Namespace) -> None:
    """Each scenario in its own process under callgrind; prints millions of instructions per request."""
    import tempfile

    options = [f"--set={item}" for item in args.set] + (["--no-listing-cache"] if args.no_listing_cache else [])
    print(f"{'scenario':<14} {'M instructions per request':>27}")
    for name in args.scenarios:
        with tempfile.TemporaryDirectory() as folder:
            run = subprocess.run(
                ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={folder}/out",
                 sys.executable, __file__, "--db", args.db, "--schema", args.schema, "--requests",
                 str(args.requests), *options, name],
                env={**os.environ, _UNDER_CALLGRIND: "1"}, capture_output=True, text=True, check=True)
        collected = int(re.search(r"Collected : (\d+)", run.stderr).group(1))
        print(f"{name:<14} {collected / args.requests / 1e6:>27.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("AGORA_BENCH_DATABASE_URL"))
    parser.add_argument("--schema", default="bench_web")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per scenario")
    parser.add_argument("--profile", metavar="SCENARIO", help="print a cProfile listing of this scenario")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    parser.add_argument("--dump", metavar="FILE", help="also write the cProfile statistics to FILE (for pstats)")
    parser.add_argument("--no-listing-cache", action="store_true")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="an app setting")
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db or set AGORA_BENCH_DATABASE_URL")
    if args.instructions and not os.environ.get(_UNDER_CALLGRIND):
        return count_instructions(args)
    settings = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event, text

    from agora import create_app
    from agora.db import db
    from bench.web import SECRET, TAGS, WORDS, schema_url, vacuum

    vacuum(schema_url(args.db, args.schema))  # as bench/web.py: earlier supports' dead rows cleared

    app = create_app({
        "ENV": "production", "DATABASE_URL": schema_url(args.db, args.schema), "SECRET_KEY": SECRET,
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_LOGIN": "100000 per minute", "RATELIMIT_POSTING": "100000 per minute",
        "PROPOSALS_SUPPORT_THRESHOLD": 1_000_000, "INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance"),
        "PROPOSALS_LISTING_CACHE_SECONDS": 0 if args.no_listing_cache else 5, **settings})
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py's workers do once the app is loaded
    sent: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
        open_ids = [r[0] for r in db.session.execute(text(
            "SELECT id FROM proposals WHERE hidden_at IS NULL AND status IN ('published', 'successful') ORDER BY id"))]
    rng = random.Random(2026)
    anonymous, resident = app.test_client(), app.test_client()
    anonymous.get("/")  # a visitor's session cookie, as in the load test

    def log_in(client, email: str) -> None:
        token = _CSRF.search(client.get("/account/login").text).group(1)
        assert client.post("/account/login", data={"csrf_token": token, "email": email,
                                                   "password": "bench-password"}).status_code == 302

    log_in(resident, f"user{rng.randint(100, 2000)}@bench.example")
    # Supports come from the resident who has supported least (each run adds supports): a second click
    # takes another path, a message and a rollback, and would measure nothing of a support.
    supporter = app.test_client()
    with app.app_context():
        least = db.session.execute(text(
            "SELECT u.id FROM users u LEFT JOIN proposal_supports s ON s.user_id = u.id GROUP BY u.id "
            "ORDER BY count(s.user_id), u.id LIMIT 1")).scalar()
        supported = set(db.session.execute(text("SELECT proposal_id FROM proposal_supports WHERE user_id = :u"),
                                           {"u": least}).scalars())
    log_in(supporter, f"user{least}@bench.example")
    token = _CSRF.search(supporter.get(f"/proposals/{open_ids[0]}").text).group(1)
    signed_in = supporter.get_cookie("session").value
    unsupported = [p for p in open_ids if p not in supported]
    to_support = iter(random.Random(least).sample(unsupported, len(unsupported)))

    def support():
        # Each support starts from the signed-in session, as in a browser that read the last thanks on the
        # page it was redirected to (otherwise the cookie grows by one flashed message per support).
        supporter.set_cookie("session", signed_in)
        return supporter.post(f"/proposals/{next(to_support)}/support", data={"csrf_token": token})
    scenarios = {
        "healthz": lambda: anonymous.get("/healthz"),  # the app's fixed cost of a request
        "listing": lambda: anonymous.get(f"/proposals/?page={rng.randint(1, 20)}"),
        "district_tag": lambda: anonymous.get(
            f"/proposals/?district={rng.randint(1, 5)}&tag={rng.choice(TAGS)}&sort=most_supported"),
        "search": lambda: anonymous.get(f"/proposals/?q={rng.choice(WORDS)}+{rng.choice(WORDS)}"),
        "page_anon": lambda: anonymous.get(f"/proposals/{rng.choice(open_ids)}"),
        "page_user": lambda: resident.get(f"/proposals/{rng.choice(open_ids)}"),
        "support": support,
    }
    print(f"{'scenario':<14} {'CPU ms':>7} {'wall ms':>8} {'statements':>11} {'best 50':>8}"
          f"   (load average {os.getloadavg()[0]:.1f})")
    for name in args.scenarios or list(scenarios):
        request = scenarios[name]
        for _ in range(5):
            assert request().status_code < 400, name
        sent.clear()
        n, batches = args.requests, []
        callgrind(on=True)
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, n, 50):
            batch_cpu = time.process_time()
            for _ in range(min(50, n - start)):
                request()
            batches.append((time.process_time() - batch_cpu) / min(50, n - start))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        callgrind(on=False)
        # The CPU time of the fastest batch of 50: on a shared machine, the least disturbed figure (others
        # slow a process down through the caches they share, and in its CPU time too, not only its wall time).
        print(f"{name:<14} {1000 * cpu / n:>7.2f} {1000 * wall / n:>8.2f} {len(sent) / n:>11.1f}"
              f" {1000 * min(batches):>8.2f}")
        if name == args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(n):
                request()
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
            if args.dump:
                profile.dump_stats(args.dump)


if __name__ == "__main__":
    main()
