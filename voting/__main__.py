"""Command line: ``python -m voting rank ...`` and ``python -m voting budget ...``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m voting {rank,budget} ...  (add --help after a command for its options)"
    if not argv or argv[0] in {"-h", "--help"}:
        print(usage)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "rank":
        from voting.cli import main as rank_main

        return rank_main(rest)
    if command == "budget":
        from voting.budget.cli import main as budget_main

        return budget_main(rest)
    print(f"unknown command {command!r}\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
