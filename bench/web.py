"""Load test of the proposal pages against gunicorn on PostgreSQL.

Seeds a schema of its own (default ``bench_web``) with 10,000 proposals and 100,000 comments,
starts gunicorn with the production settings (gunicorn.conf.py) on a loopback port, then runs each
scenario with N concurrent clients (keep-alive connections where the workers keep them) and
reports requests per second and latency percentiles, next to a minimal Flask page served by the same
gunicorn (the ceiling):

    python bench/web.py --db postgresql://postgres@127.0.0.1:5432/agora_bench [--clients 20]
                        [--workers W --threads T --worker-class sync|gthread] [--no-seed] [--only WORD]
                        [--load-generator wrk|python] [--seconds 10]

The clients are wrk's (a C load generator: Debian's ``wrk`` package), each a thread with one
connection and a Lua plan of requests written here; or, with ``--load-generator python``, threads
of this process. On a machine the server shares, the Python clients take 0.4 to 0.7 ms of CPU
per request from it, wrk a tenth of that, as clients on other machines would.

Errors are counted by kind, and a gunicorn worker replaced during a scenario is reported: its
connections break (read errors) and its CPU time leaves the figures. Run it on the production
interpreter, Python 3.12 or later. When comparing threaded workers (``--worker-class gthread
--threads 4``), not on 3.11: under CPython 3.11.2 and 3.11.7 a threaded worker died of SIGSEGV about
once per 100,000 requests at full load (heap corruption in the interpreter: an ORM object's attribute
values freed while in use); 3.12.1 served 560,000 requests without one.
Pass ``--connections per-request`` to open a connection per request, as a proxy in front does.

Results are printed and written to bench/out/web.json. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import runpy
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-long-enough-for-production-0123456789"
WORDS = ("trees bike lanes library playground benches parking buses square market school park river lights "
         "safety noise shade water sport music garden crossing bridge station toilets recycling housing").split()
_SYLLABLES = ["ka", "lo", "me", "ri", "tu", "sa", "ne", "vo", "di", "pa", "gu", "ze", "bo", "fi", "ha", "ju"]
TAGS = ["mobility", "green", "culture", "safety", "children", "housing", "sport", "public space", "water",
        "energy", "health", "economy", "tourism", "elderly", "education"]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def schema_url(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def reset_schema(url: str, schema: str) -> None:
    import sqlalchemy as sa

    from agora.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def seed(url: str, *, proposals: int, comments: int, users: int, rng: random.Random) -> dict:
    """Migrate and bulk-insert the data set; returns the ids the scenarios need."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text
    from werkzeug.security import generate_password_hash

    from agora import create_app
    from agora.accounts.models import User
    from agora.census.models import CensusEntry, District
    from agora.comments.models import Comment
    from agora.db import db
    from agora.proposals.models import Proposal, ProposalSupport, ProposalTag

    app = create_app({"ENV": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance")})
    now = datetime.now(UTC)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        session = db.session
        password = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")
        session.execute(insert(District), [{"id": i, "name": f"District {i}"} for i in range(1, 6)])
        session.execute(insert(User), [
            {"id": i, "email": f"user{i}@bench.example", "display_name": f"Resident {i}", "password_hash": password,
             "email_confirmed_at": now, "created_at": now - timedelta(days=400)} for i in range(1, users + 1)])
        session.execute(insert(CensusEntry), [
            {"document_hash": f"{i:064x}", "date_of_birth": datetime(1980, 1, 1).date(), "postal_code": "3000",
             "district_id": 1 + i % 5, "user_id": i, "verified_at": now} for i in range(1, users + 1)])

        # A realistic vocabulary: 4,000 filler words with a Zipf-like spread, and the searchable words in
        # about one text in six, so a search selects a few per cent of the proposals, not all of them.
        filler = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(5000)})
        weights = [1 / (rank + 1) for rank in range(len(filler))]

        def sentence(n: int) -> str:
            words = rng.choices(filler, weights=weights, k=n)
            for i in range(n):
                if rng.random() < .002 * len(WORDS) / 13:
                    words[i] = rng.choice(WORDS)
            return " ".join(words)

        rows, tag_rows = [], []
        for pid in range(1, proposals + 1):
            roll = rng.random()
            status = "published" if roll < .85 else "successful" if roll < .9 else "retired" if roll < .95 \
                else "archived"
            rows.append({"id": pid, "author_id": rng.randint(1, users), "title": sentence(5).capitalize(),
                         "summary": sentence(14), "body": sentence(90),
                         "district_id": rng.choice([None, 1, 2, 3, 4, 5]),
                         "status": status, "published_at": now - timedelta(days=rng.uniform(0, 365)),
                         "hidden_at": now if rng.random() < .01 else None})
            tag_rows += [{"proposal_id": pid, "tag": t} for t in rng.sample(TAGS, rng.randint(1, 3))]
        for chunk in range(0, len(rows), 5000):
            session.execute(insert(Proposal), rows[chunk:chunk + 5000])
        session.execute(insert(ProposalTag), tag_rows)
        supports = {(rng.randint(1, proposals), rng.randint(1, users)) for _ in range(proposals * 5)}
        support_rows = [{"proposal_id": p, "user_id": u, "created_at": now - timedelta(days=rng.uniform(0, 60))}
                        for p, u in supports]
        for chunk in range(0, len(support_rows), 10000):
            session.execute(insert(ProposalSupport), support_rows[chunk:chunk + 10000])
        session.execute(text("UPDATE proposals SET support_count = s.n FROM (SELECT proposal_id, count(*) AS n "
                             "FROM proposal_supports GROUP BY proposal_id) s WHERE s.proposal_id = proposals.id"))
        top_level = int(comments * .8)
        comment_rows, targets = [], {}
        for cid in range(1, comments + 1):
            if cid <= top_level:
                target = min(proposals, int(rng.paretovariate(1.2)) if rng.random() < .3 else rng.randint(1, proposals))
                parent, depth = None, 0
            else:
                parent = rng.randint(1, top_level)
                target, depth = targets[parent], 1
            targets[cid] = target
            comment_rows.append({"id": cid, "target_type": "proposals", "target_id": target, "parent_id": parent,
                                 "depth": depth, "author_id": rng.randint(1, users), "body": sentence(30),
                                 "created_at": now - timedelta(minutes=comments - cid),
                                 "hidden_at": now if rng.random() < .01 else None})
        for chunk in range(0, len(comment_rows), 10000):
            session.execute(insert(Comment), comment_rows[chunk:chunk + 10000])
        for table in ("districts", "users", "census_entries", "proposals", "comments"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
        session.commit()
        db.engine.dispose()
    vacuum(url)
    return {"seconds": round(time.perf_counter() - started, 1), "users": users, "proposals": proposals,
            "comments": comments, "supports": len(support_rows)}


def vacuum(url: str) -> None:
    """The steady state of a live site, which autovacuum keeps: statistics, the dead rows of earlier runs'
    supports cleared (each support rewrites its proposal's row), and the visibility map that lets the
    covering listing index answer without visiting the table. Run before every run, not only after seeding:
    where autovacuum is off (as on some test machines), ten runs left the proposals table with five dead
    rows for each live one."""
    from sqlalchemy import create_engine, text

    from agora.config import normalise_database_url

    with create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


class Client:
    """One client with its own cookie, like one browser tab: one keep-alive connection, or (``keep_alive``
    False) a connection per request, as a reverse proxy in front of gunicorn opens them by default."""

    keep_alive = True

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None, *,
                keep_cookie: bool = False) -> tuple[int, str]:
        path = quote(path, safe="/?&=+%")
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if not self.keep_alive:
            headers["Connection"] = "close"  # the server closes it; the next request opens another
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("session=") and not keep_cookie:
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def login(self, email: str) -> str:
        _status, page = self.request("GET", "/account/login")
        token = _CSRF.search(page).group(1)
        status, _ = self.request("POST", "/account/login", {"csrf_token": token, "email": email,
                                                           "password": "bench-password"})
        assert status == 302, f"login failed for {email}: {status}"
        return token


def _cpu_seconds(match) -> float:
    """User + system CPU seconds of the live processes whose /proc stat ``match`` accepts (Linux only)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        # fields[1] is the parent pid, fields[11] and fields[12] user and system time (after the name)
        if match(int(stat.parent.name), int(fields[1]), name):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def worker_pids(server_pid: int) -> set[int]:
    """The gunicorn workers alive now: one that died and was replaced mid-scenario takes its CPU time with it."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server_pid:
                found.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the load generator (this process), gunicorn and PostgreSQL, to share out per request."""
    return {"client": time.process_time(),
            "app": _cpu_seconds(lambda pid, ppid, _name: server_pid in (pid, ppid)),
            "database": _cpu_seconds(lambda _pid, _ppid, name: name.startswith("postgres"))}


def run_scenario(port: int, clients: int, per_client: int, make_request, setup=None,
                 server_pid: int | None = None) -> dict:
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def worker(index: int) -> None:
        client = Client(port)
        state = setup(client, index) if setup else None
        rng = random.Random(index)
        mine = []
        barrier.wait()
        for _ in range(per_client):
            start = time.perf_counter()
            status = make_request(client, rng, state)
            mine.append(time.perf_counter() - start)
            if status >= 400:
                errors.append(status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    cpu_before = cpu_split(server_pid) if server_pid else None
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = {}
    if cpu_before:  # setup (log-ins) included: small next to 50 requests per client
        after = cpu_split(server_pid)
        cpu = {f"cpu_ms_{part}": round(1000 * (after[part] - cpu_before[part]) / (clients * per_client), 2)
               for part in after}
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {"requests": len(latencies), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(.5), "p95_ms": pct(.95), "p99_ms": pct(.99),
            "mean_ms": round(1000 * statistics.fmean(latencies), 1), "errors": len(errors), **cpu,
            "load_average": round(os.getloadavg()[0], 1)}


def _lua(value) -> str:
    """A Lua literal for a string, number, list or dict of them."""
    if value is None:
        return "nil"
    if isinstance(value, str):
        return json.dumps(value)  # JSON's string escapes are valid in Lua
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"[{_lua(k)}]={_lua(v)}" for k, v in value.items()) + "}"
    return "{" + ",".join(_lua(v) for v in value) + "}"


# Each wrk thread (one per client, one connection each) reads its own plan of requests from a file of
# its own (a script holding all plans would be parsed by every thread); done() prints the figures as
# JSON. Latencies are wrk's, in microseconds.
_WRK_SCRIPT = """
local folder = %s
local next_index = 0
function setup(thread)
  next_index = next_index + 1
  thread:set("index", next_index)
end
local plan, headers, sent
function init(args)
  local mine = dofile(folder .. "/plan" .. index .. ".lua")
  plan, headers, sent = mine.plan, mine.headers, 0
end
function request()
  sent = sent + 1
  local r = plan[(sent - 1) %% #plan + 1]
  return wrk.format(r[1], r[2], headers, r[3])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests": %%d, "seconds": %%f, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "mean_us": %%f, '
    .. '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(port: int, plans: list[list[tuple]], seconds: int, server_pid: int,
            headers: list[dict] | None = None) -> dict:
    """One scenario with wrk: ``plans[i]`` is client i's list of (method, path[, body]) requests."""
    import resource
    import tempfile

    clients = len(plans)
    headers = headers or [{} for _ in plans]
    if not Client.keep_alive:  # the server closes each connection; wrk opens another for the next request
        headers = [{**sent, "Connection": "close"} for sent in headers]
    with tempfile.TemporaryDirectory() as folder:
        for index, (plan, sent_headers) in enumerate(zip(plans, headers, strict=True), start=1):
            Path(folder, f"plan{index}.lua").write_text(
                f"return {{plan={_lua([list(r) for r in plan])}, headers={_lua(sent_headers)}}}")
        Path(folder, "run.lua").write_text(_WRK_SCRIPT % _lua(folder))
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_before = cpu_split(server_pid)
        workers_before = worker_pids(server_pid)
        out = subprocess.run(["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "60s",
                              "-s", str(Path(folder, "run.lua")), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, check=True)
        after = cpu_split(server_pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    n = max(figures["requests"], 1)
    client_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    return {"requests": figures["requests"], "rps": round(figures["requests"] / figures["seconds"], 1),
            "p50_ms": round(figures["p50_us"] / 1000, 1), "p95_ms": round(figures["p95_us"] / 1000, 1),
            "p99_ms": round(figures["p99_us"] / 1000, 1), "mean_ms": round(figures["mean_us"] / 1000, 1),
            "errors": sum(figures["errors"].values()),
            "error_kinds": {kind: count for kind, count in figures["errors"].items() if count},
            "workers_replaced": len(workers_before - worker_pids(server_pid)),
            "cpu_ms_client": round(1000 * client_cpu / n, 2),
            **{f"cpu_ms_{part}": round(1000 * (after[part] - cpu_before[part]) / n, 2)
               for part in ("app", "database")},
            "load_average": round(os.getloadavg()[0], 1)}


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(.2)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("AGORA_BENCH_DATABASE_URL"), required=False,
                        help="PostgreSQL URL (a schema of its own is created in it)")
    parser.add_argument("--schema", default="bench_web")
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="requests per client and scenario")
    # By default the worker settings are production's, from the settings file (see it for why).
    parser.add_argument("--workers", type=int, help="gunicorn -w (default: the settings file's)")
    parser.add_argument("--threads", type=int, help="gunicorn --threads (gthread workers)")
    parser.add_argument("--worker-class", help="gunicorn -k: sync, or gthread (keeps connections alive)")
    parser.add_argument("--config", default=str(ROOT / "gunicorn.conf.py"),
                        help="gunicorn's settings file (default: production's); the options here override it")
    parser.add_argument("--connections", choices=["keep-alive", "per-request"], default="keep-alive",
                        help="keep-alive: each client keeps one connection, which stays with the worker that "
                             "accepted it (sync workers close it after each response, so there both are the "
                             "same); per-request: a new one each time, as from a reverse proxy")
    parser.add_argument("--load-generator", choices=["wrk", "python"],
                        default="wrk" if shutil.which("wrk") else "python",
                        help="wrk (default where installed) or threads of this process")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each scenario with wrk")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0",
                        help="REDIS_URL for the app (visitors' page copies), also the rate limits' storage; "
                             "'' runs without")
    parser.add_argument("--no-seed", action="store_true", help="reuse the data of a previous run")
    parser.add_argument("--only", action="append", metavar="WORD",
                        help="run only the scenarios whose name contains WORD (repeatable); the ceiling always runs")
    args = parser.parse_args()
    Client.keep_alive = args.connections == "keep-alive"
    if not args.db:
        parser.error("give --db or set AGORA_BENCH_DATABASE_URL")
    sys.path.insert(0, str(ROOT))
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    url = schema_url(args.db, args.schema)
    rng = random.Random(2026)
    settings = runpy.run_path(args.config)  # what the options below do not override
    report: dict = {"clients": args.clients, "requests_per_client": args.requests,
                    "workers": args.workers or settings.get("workers"),
                    "threads": args.threads or settings.get("threads", 1),
                    "worker_class": args.worker_class or settings.get("worker_class", "sync"), "config": args.config,
                    "connections": args.connections, "load_generator": args.load_generator,
                    "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    if sys.version_info < (3, 12) and (args.threads or 1) > 1:
        print(f"note: Python {report['python']} with {args.threads} threads per worker: 3.11 workers die of "
              "SIGSEGV about once per 100,000 requests at full load (see the docstring); run on 3.12+", flush=True)
    if not args.no_seed:
        reset_schema(args.db, args.schema)
        report["seed"] = seed(url, proposals=args.proposals, comments=args.comments, users=args.users, rng=rng)
        print(f"seeded: {report['seed']}", flush=True)
    else:
        vacuum(url)

    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "AGORA_ENV": "production",
           "AGORA_SESSION_COOKIE_SECURE": "false", "AGORA_REMEMBER_COOKIE_SECURE": "false",
           "AGORA_RATELIMIT_LOGIN": "100000 per minute", "AGORA_RATELIMIT_POSTING": "100000 per minute",
           "AGORA_PROPOSALS_SUPPORT_THRESHOLD": "1000000",
           "AGORA_INSTANCE_PATH": str(ROOT / "bench" / "out" / "instance"), "PYTHONPATH": str(ROOT),
           # As in production (README): rate limits counted in Redis, shared by the workers.
           "AGORA_RATELIMIT_STORAGE_URI": os.environ.get("AGORA_RATELIMIT_STORAGE_URI", args.redis or "memory://"),
           "REDIS_URL": args.redis, "AGORA_PAGE_CACHE": "auto" if args.redis else "off",
           "AGORA_PAGE_CACHE_PREFIX": f"bench:{os.getpid()}:"}
    overrides = [*(["-k", args.worker_class] if args.worker_class else []),
                 *(["-w", str(args.workers)] if args.workers else []),
                 *(["--threads", str(args.threads)] if args.threads else [])]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", args.config, "--chdir", str(ROOT / "bench"), *overrides,
         "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "web_wsgi:application"],
        env=env, start_new_session=True)
    try:
        wait_for(args.port)
        n, port = args.requests, args.port
        import psycopg

        with psycopg.connect(args.db, options=f"-csearch_path={args.schema}") as conn:
            # Scenarios pick among proposals a visitor can see (hidden ones answer 404, as they should).
            open_ids = [r[0] for r in conn.execute(
                "SELECT id FROM proposals WHERE hidden_at IS NULL AND status IN ('published', 'successful')")]

        zipf_weights = list(itertools.accumulate(1 / rank for rank in range(1, len(open_ids) + 1)))

        # Each run supports other proposals: the same ones again (--no-seed) would be second clicks, which
        # take another path (a message and a rollback) and measure nothing of a support. So each client
        # walks, in its own random order, the open proposals its user has not supported yet.
        support_salt = time.time_ns()
        with psycopg.connect(args.db, options=f"-csearch_path={args.schema}") as conn:
            supported = {}
            for user_id, proposal_id in conn.execute(
                    "SELECT user_id, proposal_id FROM proposal_supports WHERE user_id <= %s", (args.clients,)):
                supported.setdefault(user_id, set()).add(proposal_id)

        def support_targets(index: int) -> list[int]:
            targets = [p for p in open_ids if p not in supported.get(index + 1, ())]
            random.Random(f"{support_salt}:{index}").shuffle(targets)
            return targets

        def support_setup(client, index):
            client.login(f"user{index + 1}@bench.example")
            _status, page = client.request("GET", "/proposals/1")
            return _CSRF.search(page).group(1), iter(support_targets(index))

        def support(client, _rng, state):
            token, targets = state
            # The session the response sets only adds the flashed thanks, which a browser reads on the page it
            # is redirected to; keeping it would grow the cookie by one message per support.
            return client.request("POST", f"/proposals/{next(targets)}/support", {"csrf_token": token},
                                  keep_cookie=True)[0]

        pages = {  # scenario -> the path of a request, drawn with the client's generator
            "minimal Flask page (ceiling)": lambda rng: "/__minimal/",
            "listing, newest": lambda rng: f"/proposals/?page={rng.randint(1, 20)}",
            "listing, district+tag, most supported":
                lambda rng: f"/proposals/?district={rng.randint(1, 5)}&tag={rng.choice(TAGS)}&sort=most_supported",
            "listing, hot": lambda rng: "/proposals/?sort=hot",
            "search": lambda rng: f"/proposals/?q={rng.choice(WORDS)}+{rng.choice(WORDS)}",
            # Any of the 8,000 open proposals, equally likely: nearly every request renders a page afresh.
            "proposal page with comments": lambda rng: f"/proposals/{rng.choice(open_ids)}",
            # Real visits go mostly to a few proposals (Zipf's law: the r-th most visited gets 1/r of the first's).
            "proposal page, popular ones (Zipf)":
                lambda rng: f"/proposals/{rng.choices(open_ids, cum_weights=zipf_weights)[0]}",
        }
        # A resident's page: rendered for them (their votes, the forms to reply, flag and vote), never a
        # visitors' copy. Residents other than the supporters.
        signed_in = "proposal page, signed in"
        names = [*pages, signed_in, "support (POST)"]
        if args.only:
            names = [name for name in names if name.startswith("minimal") or any(word in name for word in args.only)]

        def run(name: str, per_client: int) -> dict:
            if args.load_generator == "python":
                if name == signed_in:
                    return run_scenario(port, args.clients, per_client,
                                        lambda client, rng, _state: client.request(
                                            "GET", f"/proposals/{rng.choice(open_ids)}")[0],
                                        setup=lambda client, index: client.login(f"user{index + 101}@bench.example"),
                                        server_pid=server.pid)
                if name in pages:
                    path = pages[name]
                    return run_scenario(port, args.clients, per_client,
                                        lambda client, rng, _state: client.request("GET", path(rng))[0],
                                        server_pid=server.pid)
                return run_scenario(port, args.clients, per_client, support, setup=support_setup,
                                    server_pid=server.pid)
            if name in ("proposal page with comments", signed_in):
                # wrk sends more requests than the Python clients: each client walks its own share of
                # the open proposals in a random order, so that no page is asked twice in a run.
                walk = random.Random(name).sample(open_ids, len(open_ids))
                plans = [[("GET", f"/proposals/{pid}") for pid in walk[i::args.clients]] for i in range(args.clients)]
                headers = None
                if name == signed_in:
                    headers = []
                    for index in range(args.clients):
                        client = Client(port)
                        client.login(f"user{index + 101}@bench.example")
                        headers.append({"Cookie": client.cookie})
                return run_wrk(port, plans, args.seconds, server.pid, headers)
            if name in pages:
                plans = [[("GET", quote(pages[name](rng), safe="/?&=+%")) for _ in range(1000)]
                         for rng in (random.Random(f"{name}:{i}") for i in range(args.clients))]
                return run_wrk(port, plans, args.seconds, server.pid)
            plans, headers = [], []
            for index in range(args.clients):
                client = Client(port)
                token, targets = support_setup(client, index)
                body = f"csrf_token={quote(token)}"
                plans.append([("POST", f"/proposals/{target}/support", body)
                              for target in itertools.islice(targets, 1000)])
                headers.append({"Cookie": client.cookie, "Content-Type": "application/x-www-form-urlencoded"})
            return run_wrk(port, plans, args.seconds, server.pid, headers)

        # Warm up every worker's caches (templates, connection pool).
        run_scenario(port, args.clients, 5, lambda client, rng, _state: client.request(
            "GET", f"/proposals/{rng.choice(open_ids)}")[0])
        results = {}
        for name in names:
            results[name] = run(name, n)
            print(f"{name:<42} {results[name]}", flush=True)
        report["results"] = results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    (ROOT / "bench" / "out" / "web.json").write_text(json.dumps(report, indent=2))
    print(f"\ngunicorn: {report['workers']} {report['worker_class']} workers"
          + (f" x {report['threads']} threads" if report["threads"] > 1 else "") + f", Python {report['python']}, "
          f"{args.clients} clients, {args.connections} connections")
    print(f"{'scenario':<42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f"   CPU ms per request: {'app':>5} {'db':>5} {'client':>6}")
    for name, r in report["results"].items():
        print(f"{name:<42} {r['rps']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} {r['errors']:>7}"
              f"{'':>22}{r['cpu_ms_app']:>5} {r['cpu_ms_database']:>5} {r['cpu_ms_client']:>6}")
    for name, r in report["results"].items():
        if r.get("error_kinds") or r.get("workers_replaced"):
            print(f"{name}: errors {r.get('error_kinds', r['errors'])}, gunicorn workers replaced during the "
                  f"scenario: {r.get('workers_replaced', 'not checked')} (their CPU time is then missing)")


if __name__ == "__main__":
    main()
