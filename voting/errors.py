"""Error tree of the ranked-ballot library.

Every error raised on purpose by :mod:`voting` derives from :class:`VotingError` and carries a
stable machine-readable ``code`` (for translation and tests). Errors about an input file also
carry the file name, the 1-based line and, where it makes sense, the 1-based column.
"""

from __future__ import annotations

__all__ = ["BallotFormatError", "RuleError", "TieBreakError", "VotingError"]


class VotingError(Exception):
    """Base class of every error raised by :mod:`voting`.

    Parameters
    ----------
    message : str
        Human-readable description of the problem.
    code : str
        Stable identifier of the problem, e.g. ``"unknown_candidate"``.
    """

    def __init__(self, message: str, *, code: str = "voting_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class BallotFormatError(VotingError):
    """A ballot file or an in-memory ballot list cannot be read.

    The string form names the file, the line (and column when known) and what is wrong, e.g.
    ``ballots.csv, line 12, column 3: unknown candidate 'Smyth' [unknown_candidate]``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix + ': ' if prefix else ''}{self.message} [{self.code}]"


class RuleError(VotingError, ValueError):
    """An option of a counting rule is invalid or two options contradict each other."""

    def __init__(self, message: str, *, code: str = "invalid_rule") -> None:
        super().__init__(message, code=code)


class TieBreakError(VotingError):
    """A tie must be broken but the announced tie-break rule cannot break it.

    Raised, for example, when the rule ends with a drawing of lots and no seed was given: the
    library never draws an unseeded lot.
    """

    def __init__(self, message: str, *, tied: tuple[str, ...] = (), code: str = "unbroken_tie") -> None:
        super().__init__(message, code=code)
        self.tied = tied
