"""Command line: ``python -m sortition draw ...`` and ``python -m sortition verify ...``."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from sortition import __version__
from sortition.data import Pool, Quotas, _find_column, load_quotas, read_csv_rows
from sortition.errors import SortitionError
from sortition.progress import Progress
from sortition.selection import METHODS, SelectionResult, draw, verify


def _load_pool(path: str, id_column: str | None, address_columns: Sequence[str], err: TextIO) -> tuple[Pool, str]:
    rows = read_csv_rows(path)
    if id_column is None:
        header = [str(k).strip() for k in (rows[0] if rows else {}) if k is not None]
        if _find_column(header, "id") is not None:
            id_column = "id"
        else:
            id_column = ""
            print(f"note: {path} has no 'id' column; people are numbered by row (first person = 1)", file=err)
    pool = Pool.from_rows(rows, id_column=id_column or None, address_columns=address_columns, source=path)
    return pool, id_column


class _Bar:
    """A one-line progress display on stderr."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()
        self.used = False

    def __call__(self, p: Progress) -> None:
        spin = "|/-\\"[p.iteration % 4]
        bound = "" if p.bound is None else f" min {p.bound:.4f}"
        line = f"\r{spin} {p.phase} it {p.iteration}{bound} {time.monotonic() - self.start:6.1f}s  {p.message}"
        self.out.write(line[:110].ljust(110))
        self.out.flush()
        self.used = True

    def close(self) -> None:
        if self.used:
            self.out.write("\n")
            self.out.flush()


def _columns(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def _print_result(result: SelectionResult, pool: Pool, quotas: Quotas, out: TextIO) -> None:
    print(f"Panel of {result.k} ({result.method}, seed {result.seed!r}):", file=out)
    for pid in result.panel:
        print(f"  {pid}", file=out)
    if result.alternates:
        print("Alternates, in order:", file=out)
        for r, pid in enumerate(result.alternates, 1):
            print(f"  {r}. {pid}", file=out)
    print("\nQuotas:", file=out)
    counts: dict[tuple[str, str], int] = {}
    for feature in quotas.features:
        col = pool.column(feature) or ()
        for v in col:
            counts[(feature, v)] = counts.get((feature, v), 0) + 1
    width = max(len(f"{f} = {v}") for f, v, *_ in result.quota_fulfilment)
    print(f"  {'feature = value':<{width}}   min   max  pool  selected", file=out)
    for f, v, lo, hi, s in result.quota_fulfilment:
        print(f"  {f'{f} = {v}':<{width}} {lo:5d} {hi:5d} {counts.get((f, v), 0):5d} {s:9d}", file=out)
    fz = result.fairness
    print("\nSelection probabilities:", file=out)
    print(
        f"  minimum {fz['minimum']:.4f}  maximum {fz['maximum']:.4f}  mean (k/n) {fz['mean']:.4f}  "
        f"geometric mean {fz['geometric_mean']:.4f}  Gini {fz['gini']:.4f}",
        file=out,
    )
    if result.lottery_panels:
        print(
            f"  drawn as panel {result.panel_index + 1} of a uniform lottery of {result.lottery_panels} panels; "
            f"largest change of anyone's probability from the exact distribution: {result.lottery_max_deviation:.4f}",
            file=out,
        )
    print(f"\npool SHA-256   {result.pool_sha256}\nquotas SHA-256 {result.quotas_sha256}", file=out)


def _cmd_draw(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    quotas = load_quotas(args.quotas)
    addr = _columns(args.address_columns)
    pool, id_column = _load_pool(args.pool, args.id_column, addr, err)
    seed = args.seed if args.seed is not None else str(secrets.randbelow(10**12))
    bar = _Bar(err) if not args.quiet else None
    try:
        result = draw(
            pool,
            quotas,
            args.size,
            seed=seed,
            method=args.method,
            address_columns=addr,
            lottery_panels=args.lottery_panels,
            alternates=args.alternates,
            progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    _print_result(result, pool, quotas, out)
    if args.json:
        data = result.to_dict()
        data["id_column"] = id_column
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        print(f"result written to {args.json}", file=out)
    return 0


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        with open(args.result, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise SortitionError(f"cannot read the result: {exc}", code="bad_result", file=args.result) from None
    if not isinstance(data, dict):
        raise SortitionError("not a sortition result (expected a JSON object)", code="bad_result", file=args.result)
    quotas = load_quotas(args.quotas)
    id_column = args.id_column if args.id_column is not None else data.get("id_column")
    addr = tuple(data.get("address_columns") or ())
    pool, _ = _load_pool(args.pool, id_column, addr, err)
    report = verify(data, pool, quotas)
    if report.ok:
        print(f"verified: the same panel of {data.get('k')} is drawn from seed {data.get('seed')!r}", file=out)
        return 0
    print("NOT verified:", file=out)
    for reason in report.reasons:
        print(f"  - {reason}", file=out)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sortition", description="Fair, verifiable citizens' panel draws.")
    parser.add_argument("--version", action="version", version=f"sortition {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("draw", help="draw a panel")
    d.add_argument("--pool", required=True, help="pool CSV (id column, feature columns, optional address columns)")
    d.add_argument("--quotas", required=True, help="quotas CSV (feature,value,min,max or category,name,min,max)")
    d.add_argument("--size", "-k", type=int, required=True, help="panel size")
    d.add_argument("--method", choices=METHODS, default="leximin")
    d.add_argument("--seed", help="public seed (default: a random one, printed)")
    d.add_argument("--address-columns", help="comma-separated columns: at most one person per address")
    d.add_argument("--lottery-panels", type=int, help="round to a uniform lottery over this many panels")
    d.add_argument("--alternates", type=int, default=0, help="length of the ordered reserve list")
    d.add_argument("--id-column", help="id column (default 'id', or the row number when there is none)")
    d.add_argument("--json", help="write the full result as JSON to this file")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    v = sub.add_parser("verify", help="re-run a recorded draw and compare")
    v.add_argument("result", help="result JSON written by draw --json")
    v.add_argument("--pool", required=True)
    v.add_argument("--quotas", required=True)
    v.add_argument("--id-column", help="id column (default: as recorded)")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 not verified, 2 bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "draw":
            return _cmd_draw(args, out, err)
        return _cmd_verify(args, out, err)
    except SortitionError as exc:
        print(f"error: {exc}", file=err)
        report = getattr(exc, "report", None)
        if report is not None and report.relaxations:
            print("suggested change:", file=err)
            for r in report.relaxations:
                print(f"  {r.sentence()}", file=err)
        return 2
