"""Command line: ``python -m voting budget FILE.pb --rule ...``.

Prints the funded projects with their cost and votes, the total cost and what is left; ``--json`` prints
:meth:`BudgetResult.to_dict` (with at least ``selected``, the project ids in order of selection, and
``total_cost``). Exit status: 0 on success, 2 on a usage error or an invalid file.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from voting.budget.errors import BudgetError
from voting.budget.model import Election, _exact
from voting.budget.pb import read_pb
from voting.budget.results import BudgetResult, MESStep
from voting.budget.rules import allocate, rule_from_meta
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING

__all__ = ["main"]

_COMPLETIONS = ("none", "add1", "utilitarian", "add1u", "add1-comparison")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m voting budget",
        description="Allocate a participatory budget from a Pabulib .pb file.",
    )
    p.add_argument("file", help="the .pb file")
    p.add_argument(
        "--rule",
        required=True,
        choices=("greedy", "mes", "phragmen", "max-welfare", "meta"),
        help="allocation rule; 'meta' uses the rule the file's META names (greedy variants, equalshares/...)",
    )
    p.add_argument(
        "--completion",
        choices=_COMPLETIONS,
        default="none",
        help="MES completion (add1-comparison = add1 then the comparison step with greedy)",
    )
    p.add_argument("--utility", choices=("cost", "cardinality"), default="cost")
    p.add_argument("--threshold", help="greedy: minimum votes/points a project needs")
    p.add_argument(
        "--no-skip", action="store_true", help="greedy: stop at the first project that does not fit"
    )
    p.add_argument(
        "--add1-stop",
        choices=("overspend", "exhaustive"),
        default="overspend",
        help="add1: raise shares until the next raise would overspend (default) or until exhaustive",
    )
    p.add_argument(
        "--comparison", choices=("satisfaction", "exclusion"), help="MES: comparison step with greedy"
    )
    p.add_argument(
        "--tie-breaking",
        default=",".join(DEFAULT_TIE_BREAKING),
        help="comma-separated tie-breaking criteria (see voting.budget.tiebreak)",
    )
    p.add_argument("--seed", type=int, help="seed of the lot for the 'lot' tie-breaking criterion")
    p.add_argument("--exact", action="store_true", help="MES: exact rational arithmetic throughout")
    p.add_argument("--lenient", action="store_true", help="accept files with inconsistent counts or limits")
    p.add_argument("--explain", action="store_true", help="MES: print each step's price per voter")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def _options(args: argparse.Namespace, rule: str) -> dict[str, Any]:
    tie = tuple(x.strip() for x in args.tie_breaking.split(",") if x.strip())
    opts: dict[str, Any] = {"tie_breaking": tie}
    if args.seed is not None:
        opts["rng"] = args.seed
    if rule in ("greedy", "mes", "max-welfare"):
        opts["utility"] = args.utility
    if rule == "greedy":
        if args.threshold is not None:
            opts["threshold"] = _exact(args.threshold, what="threshold")
        if args.no_skip:
            opts["skip"] = False
    if rule == "mes":
        completion = args.completion
        if completion == "add1-comparison":
            completion = "add1"
            opts["comparison"] = args.comparison or "satisfaction"
        elif args.comparison:
            opts["comparison"] = args.comparison
        opts.update(completion=completion, add1_stop=args.add1_stop, exact=args.exact)
    return opts


def _print_text(result: BudgetResult, election: Election, explain: bool) -> None:
    names = {p.id: p.name for p in election.projects}
    costs = {p.id: p.cost for p in election.projects}
    currency = election.meta.get("currency", "")
    out = sys.stdout
    width = max([len("project")] + [len(p) for p in result.selected])
    out.write(f"rule: {result.rule}  options: {json.dumps(result.to_dict()['options'])}\n")
    out.write(f"{'project'.ljust(width)}  {'cost':>12}  {'votes':>8}  name\n")
    for pid, votes in zip(result.selected, result.votes, strict=True):
        out.write(f"{pid.ljust(width)}  {str(costs[pid]):>12}  {votes:>8}  {names.get(pid, '')}\n")
    unit = f" {currency}" if currency else ""
    out.write(
        f"{len(result.selected)} projects, total cost {result.total_cost}{unit} of {result.budget}{unit}, "
    )
    out.write(f"leftover {result.leftover}{unit}\n")
    if result.per_voter_budget is not None:
        out.write(
            f"per-voter share {float(result.per_voter_budget):.2f}{unit} after {result.mes_runs} MES run(s)\n"
        )
    if result.comparison is not None:
        c = result.comparison
        out.write(
            f"comparison ({c.measure}): {c.prefer_mes} prefer MES, {c.prefer_greedy} prefer greedy; "
            f"kept {c.kept}\n"
        )
    for t in result.ties:
        out.write(f"tie at step {t.step} between {', '.join(t.tied)}: {t.chosen} chosen by {t.decided_by}\n")
    if explain:
        for i, s in enumerate(result.steps):
            if isinstance(s, MESStep):
                out.write(
                    f"step {i + 1}: {s.project} price per voter {s.price_per_voter:.2f}, "
                    f"effective votes {s.effective_votes:.1f}, {s.full_payers} paid in full, "
                    f"{s.partial_payers} paid what they had\n"
                )


def main(argv: list[str]) -> int:
    """Run the budget command; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    try:
        election = read_pb(args.file, strict=not args.lenient)
        rule = args.rule
        if rule == "meta":
            found = rule_from_meta(election)
            if found is None:
                print(
                    f"the file's META rule {election.meta.get('rule', '')!r} is not supported; choose --rule",
                    file=sys.stderr,
                )
                return 2
            rule, opts = found
            opts = {**_options(args, rule), **{k: v for k, v in opts.items() if v is not None}}
        else:
            opts = _options(args, rule)
        result = allocate(election, rule, **opts)
    except BudgetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_text(result, election, args.explain)
    return 0
