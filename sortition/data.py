"""Reading and validating the pool (respondents) and the quotas.

Both are immutable and have a canonical CSV form whose SHA-256 identifies them in a result, so a
draw can be verified later from the same files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sortition.errors import SortitionError

__all__ = ["Pool", "Quotas", "load_pool", "load_quotas", "read_csv_rows"]


def _norm(name: Any) -> str:
    return "" if name is None else str(name).strip()


def _find_column(header: Sequence[str], wanted: str) -> str | None:
    """The header entry equal to ``wanted``, else the one equal ignoring case, else None."""
    wanted = _norm(wanted)
    if wanted in header:
        return wanted
    matches = [h for h in header if h.casefold() == wanted.casefold()]
    return matches[0] if len(matches) == 1 else None


def _canonical(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass(frozen=True, eq=False)
class Pool:
    """The people who volunteered, with their feature values (and addresses, when given).

    People are kept sorted by id, so the order of the rows in the file never changes a result.
    Build it with :meth:`from_rows` or :func:`load_pool`.

    Attributes
    ----------
    ids : tuple of str
        Sorted ids.
    features : tuple of str
        Feature column names (as written in the file).
    values : dict
        Feature column name -> tuple of values, aligned with ``ids``.
    address_columns : tuple of str
        Columns that together make a household address (may be empty).
    addresses : dict
        Address column name -> tuple of values, aligned with ``ids``.
    source : str
        File name (or a label) used in error messages.
    rows : dict
        id -> row number in the source (header = row 1), for error messages.
    """

    ids: tuple[str, ...]
    features: tuple[str, ...]
    values: dict[str, tuple[str, ...]]
    address_columns: tuple[str, ...] = ()
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "<pool>"
    rows: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, str]],
        *,
        id_column: str | None = "id",
        feature_columns: Sequence[str] | None = None,
        address_columns: Sequence[str] = (),
        source: str = "<pool>",
    ) -> Pool:
        """Build a pool from mappings (e.g. :class:`csv.DictReader` rows).

        Parameters
        ----------
        rows : iterable of mapping
            One mapping per person, column name -> text.
        id_column : str or None
            Column holding the ids; ``None`` numbers people by their row (the first person is
            ``"1"``). Column names match exactly, or ignoring case when that is unambiguous.
        feature_columns : sequence of str, optional
            The feature columns; by default every column except the id and address columns.
        address_columns : sequence of str
            Columns that together identify a household.
        source : str
            Name used in error messages.

        Raises
        ------
        SortitionError
            Missing column, blank or duplicate id, missing value, or an empty pool.
        """
        rows = list(rows)
        if not rows:
            raise SortitionError("the pool is empty: it has no people", code="empty_pool", file=source)
        header: list[str] = []
        for key in rows[0]:
            if key is not None and _norm(key) not in header:
                header.append(_norm(key))

        def column(name: str) -> str:
            found = _find_column(header, name)
            if found is None:
                raise SortitionError(
                    f"no such column; the columns are: {', '.join(header)}",
                    code="missing_column",
                    file=source,
                    row=1,
                    column=_norm(name),
                )
            return found

        id_col = column(id_column) if id_column is not None else None
        addr_cols = tuple(column(a) for a in address_columns)
        if feature_columns is None:
            feats = tuple(h for h in header if h != id_col and h not in addr_cols)
        else:
            feats = tuple(column(f) for f in feature_columns)
        if len(set(feats)) != len(feats):
            raise SortitionError("a feature column is named twice", code="duplicate_column", file=source, row=1)

        records: dict[str, tuple[int, list[str], list[str]]] = {}
        for index, raw in enumerate(rows):
            rowno = index + 2
            row = {_norm(k): v for k, v in raw.items() if k is not None}
            if id_col is None:
                pid = str(index + 1)
            else:
                pid = _norm(row.get(id_col))
                if not pid:
                    raise SortitionError("the id is blank", code="blank_id", file=source, row=rowno, column=id_col)
                if pid in records:
                    raise SortitionError(
                        f"duplicate id (first seen on row {records[pid][0]})",
                        code="duplicate_id",
                        file=source,
                        row=rowno,
                        column=id_col,
                        value=pid,
                    )

            def cell(col: str, rowno: int = rowno, row: dict = row) -> str:
                value = row.get(col)
                if value is None:
                    raise SortitionError(
                        "the row is too short: this cell is missing",
                        code="missing_value",
                        file=source,
                        row=rowno,
                        column=col,
                    )
                return _norm(value)

            records[pid] = (rowno, [cell(f) for f in feats], [cell(a) for a in addr_cols])

        ids = tuple(sorted(records))
        values = {f: tuple(records[i][1][j] for i in ids) for j, f in enumerate(feats)}
        addresses = {a: tuple(records[i][2][j] for i in ids) for j, a in enumerate(addr_cols)}
        return cls(
            ids=ids,
            features=feats,
            values=values,
            address_columns=addr_cols,
            addresses=addresses,
            source=source,
            rows={i: records[i][0] for i in ids},
        )

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> tuple[str, ...] | None:
        """The values of a feature or address column (exact name, else ignoring case), or None."""
        found = _find_column(list(self.features) + list(self.address_columns), name)
        if found is None:
            return None
        return self.values[found] if found in self.values else self.addresses[found]

    def column_name(self, name: str) -> str | None:
        """The pool's own spelling of a column name, or None when absent."""
        return _find_column(list(self.features) + list(self.address_columns), name)

    def select(self, feature_columns: Sequence[str], address_columns: Sequence[str] = ()) -> Pool:
        """The same people restricted to the given columns, in the given order.

        Raises
        ------
        SortitionError
            A column is absent from the pool.
        """

        def get(name: str) -> tuple[str, tuple[str, ...]]:
            found = self.column_name(name)
            if found is None:
                raise SortitionError(
                    "the pool has no such column; the columns are: "
                    + ", ".join(list(self.features) + list(self.address_columns)),
                    code="missing_column",
                    file=self.source,
                    row=1,
                    column=name,
                )
            return name, self.column(found)  # type: ignore[return-value]

        feats = dict(get(f) for f in feature_columns)
        addrs = dict(get(a) for a in address_columns)
        return Pool(
            ids=self.ids,
            features=tuple(feats),
            values=feats,
            address_columns=tuple(addrs),
            addresses=addrs,
            source=self.source,
            rows=self.rows,
        )

    def canonical_csv(self) -> str:
        """``id`` + feature columns (+ address columns), rows sorted by id, ``\\n`` line ends."""
        cols = [self.values[f] for f in self.features] + [self.addresses[a] for a in self.address_columns]
        body = ([pid, *(c[i] for c in cols)] for i, pid in enumerate(self.ids))
        return _canonical(body, ["id", *self.features, *self.address_columns])

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_csv` encoded as UTF-8."""
        return hashlib.sha256(self.canonical_csv().encode("utf-8")).hexdigest()


_QUOTA_HEADERS = (("feature", "value"), ("category", "feature"), ("category", "name"))


@dataclass(frozen=True, eq=False)
class Quotas:
    """Minimum and maximum number of panellists per feature value.

    Attributes
    ----------
    rows : tuple
        ``(feature, value, min, max)`` sorted by feature then value.
    source : str
        File name (or label) for error messages.
    row_numbers : dict
        ``(feature, value)`` -> row in the source.
    """

    rows: tuple[tuple[str, str, int, int], ...]
    source: str = "<quotas>"
    row_numbers: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], *, source: str = "<quotas>") -> Quotas:
        """Build quotas from mappings with one of the headers in use:
        ``feature,value,min,max`` (extra columns such as ``min_flex,max_flex`` are ignored),
        ``category,feature,min,max`` or ``category,name,min,max``. Header names ignore case.

        Raises
        ------
        SortitionError
            Unknown header, blank feature or value, non-integer or negative bound, min > max,
            the same value twice, or no quotas at all.
        """
        rows = list(rows)
        if not rows:
            raise SortitionError("the quotas file has no quotas", code="empty_quotas", file=source)
        header = {_norm(k).casefold(): k for k in rows[0] if k is not None}
        for fcol, vcol in _QUOTA_HEADERS:
            if fcol in header and vcol in header:
                break
        else:
            raise SortitionError(
                "the header must be feature,value,min,max or category,feature,min,max or category,name,min,max;"
                f" found: {', '.join(_norm(k) for k in rows[0] if k is not None)}",
                code="bad_quota_header",
                file=source,
                row=1,
            )
        for needed in ("min", "max"):
            if needed not in header:
                raise SortitionError(
                    "the quotas file has no such column", code="missing_column", file=source, row=1, column=needed
                )
        items: dict[tuple[str, str], tuple[int, int]] = {}
        numbers: dict[tuple[str, str], int] = {}
        for index, raw in enumerate(rows):
            rowno = index + 2
            if all(not _norm(v) for k, v in raw.items() if k is not None):
                continue  # blank line
            feature, value = _norm(raw.get(header[fcol])), _norm(raw.get(header[vcol]))
            if not feature:
                raise SortitionError(
                    "the feature name is blank",
                    code="blank_feature",
                    file=source,
                    row=rowno,
                    column=_norm(header[fcol]),
                )
            if not value:
                raise SortitionError(
                    "the value is blank", code="blank_value", file=source, row=rowno, column=_norm(header[vcol])
                )
            bounds = []
            for name in ("min", "max"):
                text = _norm(raw.get(header[name]))
                try:
                    number = float(text)
                    if number != int(number):
                        raise ValueError(text)
                except (ValueError, OverflowError):
                    raise SortitionError(
                        f"the {name} of {feature} = {value} must be a whole number",
                        code="not_a_number",
                        file=source,
                        row=rowno,
                        column=_norm(header[name]),
                        value=text,
                    ) from None
                if number < 0:
                    raise SortitionError(
                        f"the {name} of {feature} = {value} cannot be negative",
                        code="negative_quota",
                        file=source,
                        row=rowno,
                        column=_norm(header[name]),
                        value=text,
                    )
                bounds.append(int(number))
            lo, hi = bounds
            if lo > hi:
                raise SortitionError(
                    f"the min ({lo}) of {feature} = {value} is larger than its max ({hi})",
                    code="min_above_max",
                    file=source,
                    row=rowno,
                    column=_norm(header["min"]),
                    value=lo,
                )
            key = (feature, value)
            if key in items:
                raise SortitionError(
                    f"{feature} = {value} has a quota already (row {numbers[key]})",
                    code="duplicate_quota",
                    file=source,
                    row=rowno,
                    column=_norm(header[vcol]),
                    value=value,
                )
            items[key] = (lo, hi)
            numbers[key] = rowno
        if not items:
            raise SortitionError("the quotas file has no quotas", code="empty_quotas", file=source)
        ordered = tuple((f, v, lo, hi) for (f, v), (lo, hi) in sorted(items.items()))
        return cls(rows=ordered, source=source, row_numbers=numbers)

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, str, int, int]], *, source: str = "<quotas>") -> Quotas:
        """Build quotas from ``(feature, value, min, max)`` tuples (validated like a file)."""
        return cls.from_rows(
            [{"feature": f, "value": v, "min": str(lo), "max": str(hi)} for f, v, lo, hi in items], source=source
        )

    def items(self) -> Iterator[tuple[str, str, int, int]]:
        """``(feature, value, min, max)`` for every quota, sorted."""
        return iter(self.rows)

    @property
    def features(self) -> tuple[str, ...]:
        """Feature names, sorted."""
        return tuple(sorted({f for f, _, _, _ in self.rows}))

    def values_of(self, feature: str) -> tuple[str, ...]:
        """The values of one feature that have a quota, sorted."""
        return tuple(v for f, v, _, _ in self.rows if f == feature)

    def bounds(self, feature: str, value: str) -> tuple[int, int]:
        """``(min, max)`` of one feature value."""
        for f, v, lo, hi in self.rows:
            if f == feature and v == value:
                return lo, hi
        raise KeyError((feature, value))

    def canonical_csv(self) -> str:
        """``feature,value,min,max`` rows sorted by feature then value, ``\\n`` line ends."""
        return _canonical(([f, v, str(lo), str(hi)] for f, v, lo, hi in self.rows), ["feature", "value", "min", "max"])

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_csv` encoded as UTF-8."""
        return hashlib.sha256(self.canonical_csv().encode("utf-8")).hexdigest()

    def __len__(self) -> int:
        return len(self.rows)


def read_csv_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file (BOM allowed; ``,``, ``;`` or tab separated, as the header shows).

    Raises
    ------
    SortitionError
        The file cannot be opened or is not UTF-8 text.
    """
    name = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise SortitionError("no such file", code="file_not_found", file=name) from None
    except UnicodeDecodeError as exc:
        raise SortitionError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8", code="not_utf8", file=name
        ) from None
    except OSError as exc:
        raise SortitionError(f"cannot read the file: {exc.strerror}", code="unreadable", file=name) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    if first.count(delimiter) == 0:
        delimiter = ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def load_pool(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = "id",
    feature_columns: Sequence[str] | None = None,
    address_columns: Sequence[str] = (),
) -> Pool:
    """Read a pool CSV; errors name the file (see :meth:`Pool.from_rows`)."""
    name = os.fspath(path)
    rows = read_csv_rows(path)
    return Pool.from_rows(
        rows, id_column=id_column, feature_columns=feature_columns, address_columns=address_columns, source=name
    )


def load_quotas(path: str | os.PathLike[str]) -> Quotas:
    """Read a quotas CSV; errors name the file (see :meth:`Quotas.from_rows`)."""
    return Quotas.from_rows(read_csv_rows(path), source=os.fspath(path))
