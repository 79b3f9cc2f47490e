"""Error tree of :mod:`voting.budget`.

Every error raised on purpose by the package derives from :class:`BudgetError`. Each carries a
machine-readable ``code`` (stable, for translation) and, where it applies, the ``file``, the ``line``
(1-based, in the ``.pb`` file) or ``row`` (0-based index of an in-memory ballot or project) and the
``field`` (column or META key) concerned.
"""

from __future__ import annotations

__all__ = ["BudgetError", "BudgetInputError", "PBFormatError", "TieBreakingError"]


class BudgetError(Exception):
    """Base class of all errors of :mod:`voting.budget`.

    Parameters
    ----------
    message : str
        Human-readable explanation.
    code : str
        Stable identifier of the error kind, e.g. ``"unknown_project"``.
    file : str or None
        File the error was found in, when it comes from a file.
    line : int or None
        1-based line number in that file.
    row : int or None
        0-based index of the offending ballot or project, for in-memory input.
    field : str or None
        Column, META key or argument concerned.
    value : str or None
        The offending value, as text.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.file = file
        self.line = line
        self.row = row
        self.field = field
        self.value = value
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def to_dict(self) -> dict[str, object]:
        """Return the error as a JSON-ready dictionary."""
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "row": self.row,
            "field": self.field,
            "value": self.value,
        }


class PBFormatError(BudgetError, ValueError):
    """A ``.pb`` file (or text) does not follow the Pabulib format."""


class BudgetInputError(BudgetError, ValueError):
    """In-memory input (projects, ballots, budget or an option) is invalid."""


class TieBreakingError(BudgetError):
    """A tie could not be resolved by the tie-breaking rule (e.g. ``"refuse"``)."""
