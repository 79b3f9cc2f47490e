"""Command line: ``python -m voting rank FILE --method ... [options]``.

Prints a round-by-round table, or the result as JSON with ``--json``. Exit status 0 on
success, 2 for bad input or options, 3 when a tie cannot be broken by the announced rule
(e.g. it needs a lot and no ``--seed`` was given).
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

from voting import METHODS, tabulate
from voting._walk import DUPLICATE_RULES, OVERVOTE_RULES
from voting.errors import BallotFormatError, RuleError, TieBreakError
from voting.io import read_ballots
from voting.results import RankedResult, jsonable
from voting.stv import QUOTAS, STV_RULES
from voting.tiebreak import TIE_BREAK_STEPS

__all__ = ["build_parser", "format_table", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``rank`` command's argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m voting rank",
        description="Tabulate ranked ballots (PrefLib .soi/.soc/.toi/.toc, .csv or .blt).",
    )
    p.add_argument("file", help="ballot file")
    p.add_argument("--method", required=True, choices=sorted(METHODS), help="counting method")
    p.add_argument(
        "--seats", type=int, help="seats to fill (stv, sequential-irv; default: the BLT header, else 1)"
    )
    p.add_argument("--stv-rule", choices=STV_RULES, default="wigm", help="STV rule (default wigm)")
    p.add_argument("--quota", choices=QUOTAS, help="STV quota (default per rule)")
    p.add_argument("--decimals", type=int, help="STV fixed-point decimals (default per rule)")
    p.add_argument(
        "--one-winner-per-round", action="store_true", help="stv: elect at most one candidate per stage"
    )
    p.add_argument("--percentage", help="bottoms-up: share (in %%) every winner needs, e.g. 15")
    p.add_argument(
        "--overvote",
        choices=OVERVOTE_RULES,
        default="exhaust_immediately",
        help="overvote rule (default exhaust_immediately)",
    )
    p.add_argument("--max-skipped", type=int, help="blank ranks allowed before a mark (default: any)")
    p.add_argument(
        "--duplicates",
        choices=DUPLICATE_RULES,
        default="skip",
        help="repeated candidate: skip (default) or exhaust",
    )
    p.add_argument("--max-rankings", type=int, help="read only the first N ranks")
    p.add_argument(
        "--threshold",
        choices=("continuing", "first_round"),
        default="continuing",
        help="irv, sequential-irv, bottoms-up: of continuing (default) or first-round ballots",
    )
    p.add_argument("--batch-elimination", action="store_true", help="irv, sequential-irv, bottoms-up")
    p.add_argument("--tie-break", help=f"comma-separated steps from {', '.join(TIE_BREAK_STEPS)}")
    p.add_argument("--seed", type=int, help="seed of the lot used to break ties")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--audit", action="store_true", help="include the ballot-level audit trail in the JSON")
    return p


def _options(args: argparse.Namespace, profile_meta: dict) -> dict[str, Any]:
    m = args.method
    ballot_rules = {
        "overvote": args.overvote,
        "max_skipped": args.max_skipped,
        "duplicates": args.duplicates,
        "max_rankings": args.max_rankings,
    }
    opts: dict[str, Any] = {}
    if args.seed is not None:
        opts["rng"] = args.seed
    if args.tie_break:
        opts["tie_break"] = tuple(s.strip() for s in args.tie_break.split(",") if s.strip())
    runoffs = ("irv", "sequential-irv", "bottoms-up")
    if m in runoffs and profile_meta.get("withdrawn"):
        opts["excluded"] = tuple(profile_meta["withdrawn"])
    if m in runoffs:
        opts.update(
            ballot_rules, threshold=args.threshold, batch_elimination=args.batch_elimination, audit=args.audit
        )
    if m == "sequential-irv":
        opts["seats"] = args.seats or int(profile_meta.get("seats", 1))
    elif m == "bottoms-up":
        if args.percentage is None:
            raise RuleError("bottoms-up needs --percentage", code="bad_percentage")
        opts["percentage"] = args.percentage
    elif m == "stv":
        seats = args.seats or int(profile_meta.get("seats", 1))
        opts.update(
            ballot_rules, seats=seats, rule=args.stv_rule, audit=args.audit and args.stv_rule != "meek"
        )
        if args.quota:
            opts["quota"] = args.quota
        if args.decimals is not None:
            opts["decimals"] = args.decimals
        if args.one_winner_per_round:
            opts["one_winner_per_round"] = True
        if profile_meta.get("withdrawn"):
            opts["excluded"] = tuple(profile_meta["withdrawn"])
    elif m == "plurality":
        opts.update(ballot_rules)
    return opts


def _num(x: Any) -> str:
    if x is None:
        return ""
    j = jsonable(x)
    if isinstance(j, str) and "/" in j:
        return f"{float(Fraction(j)):.5f}~"
    return str(j)


def format_table(result: RankedResult) -> str:
    """Readable round-by-round table of a result."""
    lines = [
        f"Method: {result.method}"
        + (f" ({result.options.get('rule')}, {result.seats} seats)" if result.method == "stv" else "")
        + (f" ({result.seats} seats)" if result.method == "sequential-irv" else "")
        + (f" ({_num(result.options.get('percentage'))} %)" if result.method == "bottoms-up" else ""),
        f"Ballots: {result.n_ballots} ({result.blank_ballots} blank)",
        "Rules: " + ", ".join(f"{k}={v}" for k, v in jsonable(result.options).items()),
    ]
    rounds = result.rounds
    cands = list(result.candidates)
    label_w = max([len(c) for c in cands] + [30])
    col_w = max([12] + [len(_num(v)) + 2 for r in rounds for v in r.tallies.values()])
    head = " " * label_w + "".join(f"{'Round ' + str(r.number):>{col_w}}" for r in rounds)
    lines += ["", head]
    for c in cands:
        cells = [(_num(r.tallies[c]) if c in r.tallies else "") for r in rounds]
        if any(cells):
            lines.append(f"{c:<{label_w}}" + "".join(f"{v:>{col_w}}" for v in cells))
    if any(r.inactive for r in rounds):
        for cause in rounds[-1].inactive:
            lines.append(
                f"{'inactive: ' + cause:<{label_w}}"
                + "".join(f"{_num(r.inactive.get(cause, 0)):>{col_w}}" for r in rounds)
            )
    if any(r.threshold is not None for r in rounds):
        lines.append(f"{'threshold':<{label_w}}" + "".join(f"{_num(r.threshold):>{col_w}}" for r in rounds))
    lines.append("")
    for r in rounds:
        events = []
        if r.elected:
            events.append("elected " + ", ".join(r.elected))
        if r.eliminated:
            events.append("eliminated " + ", ".join(r.eliminated))
        where = f" (pass {r.extra['pass']}, round {r.extra['pass_round']})" if "pass" in r.extra else ""
        lines.append(
            f"Round {r.number}{where}: " + ("; ".join(events) or "-") + (f" ({r.note})" if r.note else "")
        )
        for src, dest in r.transfers.items():
            moved = ", ".join(f"{k} {_num(v)}" for k, v in dest.items())
            lines.append(f"    transfer from {src}: {moved}")
    if result.tie_breaks:
        lines.append("")
        lines.append("Tie-breaks:")
        for t in result.tie_breaks:
            lines.append(
                f"  round {t.round} ({t.purpose}): tied {', '.join(t.tied)} at {_num(t.value)}; "
                f"rule {' then '.join(t.steps)} chose {t.chosen}"
            )
    lines.append("")
    lines.append("Winner" + ("s" if len(result.winners) != 1 else "") + ": " + ", ".join(result.winners))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the ``rank`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        profile = read_ballots(args.file)
        result = tabulate(profile, args.method, **_options(args, dict(profile.meta)))
    except BallotFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuleError as exc:
        print(f"error: {exc.message} [{exc.code}]", file=sys.stderr)
        return 2
    except TieBreakError as exc:
        print(f"error: {exc.message} [{exc.code}]", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(result.to_dict(include_audit=args.audit), indent=2, ensure_ascii=False))
    else:
        print(format_table(result))
    return 0
