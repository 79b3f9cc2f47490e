"""The one error type of :mod:`sortition`."""

from __future__ import annotations

from typing import Any


class SortitionError(ValueError):
    """Bad input, or quotas that no panel can meet.

    Every attribute may be ``None`` when it does not apply. ``str()`` names all the known ones in
    plain English, e.g. ``pool.csv, row 7, column 'gender', value 'F': ...``. Rows are counted as a
    spreadsheet does: the header is row 1, the first person row 2.

    Attributes
    ----------
    message : str
        What is wrong, without the location.
    file, row, column, value
        Where: the file (or source name), the row, the column name and the offending value.
    code : str
        A stable identifier for translations, e.g. ``"unknown_value"``.
    report : FeasibilityReport or None
        Attached when the quotas cannot be met (code ``"infeasible"``).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_input",
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        report: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.report = report

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {str(self.value)!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data (for JSON and for translated messages)."""
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
        }
