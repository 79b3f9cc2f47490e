"""The instance the algorithms work on: people grouped into interchangeable units.

People with the same feature values who share no household with anyone are interchangeable: in
the LEXIMIN (and MAXIMIN, NASH) optimum they get the same probability, so the algorithms work on
one *unit* per distinct feature profile, with an integer "how many of them" variable. Members of a
multi-person household keep a unit of their own, so the household rule (at most one per address)
stays a linear constraint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sortition.data import Pool, Quotas
from sortition.errors import SortitionError

__all__ = ["Instance", "build_instance", "household_keys"]

_SPACES = re.compile(r"\s+")


def household_keys(pool: Pool, address_columns: Sequence[str]) -> list[tuple[str, ...] | None]:
    """One normalised address per person (case and spacing ignored), None when all cells are blank."""
    if not address_columns:
        return [None] * len(pool)
    cols = []
    for name in address_columns:
        col = pool.column(name)
        if col is None:
            raise SortitionError(
                "the pool has no such address column",
                code="missing_column",
                file=pool.source,
                row=1,
                column=name,
            )
        cols.append(col)
    keys: list[tuple[str, ...] | None] = []
    for i in range(len(pool)):
        key = tuple(_SPACES.sub(" ", c[i]).strip().casefold() for c in cols)
        keys.append(key if any(key) else None)
    return keys


@dataclass(frozen=True, eq=False)
class Instance:
    """Validated pool + quotas + k as arrays.

    Attributes
    ----------
    ids : tuple of str
        People, sorted by id.
    k : int
        Panel size.
    quota_rows : tuple
        ``(feature, value, min, max)`` as in the quotas.
    person_values : ndarray (n, F)
        Index into ``quota_rows`` of each person's value for each feature.
    unit_of : ndarray (n,)
        Unit of each person.
    unit_members : tuple of ndarray
        Person indices of each unit, in id order.
    counts : ndarray (U,)
        Size of each unit.
    A : ndarray (Q, U)
        1 where the unit has the quota row's value.
    lo, hi : ndarray (Q,)
        Quota bounds.
    households : tuple of ndarray
        Unit indices of each multi-person household (each such unit has one person).
    """

    ids: tuple[str, ...]
    k: int
    quota_rows: tuple[tuple[str, str, int, int], ...]
    person_values: np.ndarray
    unit_of: np.ndarray
    unit_members: tuple[np.ndarray, ...]
    counts: np.ndarray
    A: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    households: tuple[np.ndarray, ...]
    person_household: tuple[int, ...]  # household index per person, -1 when alone

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_units(self) -> int:
        return len(self.counts)

    def constraint(self) -> LinearConstraint:
        """Panel size, quotas and households as one linear constraint on unit counts."""
        rows = [sparse.csr_matrix(np.ones((1, self.n_units))), sparse.csr_matrix(self.A)]
        lb = [np.array([self.k]), self.lo]
        ub = [np.array([self.k]), self.hi]
        if self.households:
            data, r, c = [], [], []
            for h, units in enumerate(self.households):
                r.extend([h] * len(units))
                c.extend(units.tolist())
                data.extend([1.0] * len(units))
            rows.append(sparse.csr_matrix((data, (r, c)), shape=(len(self.households), self.n_units)))
            lb.append(np.zeros(len(self.households)))
            ub.append(np.ones(len(self.households)))
        return LinearConstraint(sparse.vstack(rows, format="csr"), np.concatenate(lb), np.concatenate(ub))

    def panel_ok(self, x: np.ndarray) -> bool:
        """Whether unit counts ``x`` form a valid panel."""
        if int(x.sum()) != self.k or np.any(x < 0) or np.any(x > self.counts):
            return False
        sel = self.A @ x
        if np.any(sel < self.lo) or np.any(sel > self.hi):
            return False
        return all(x[h].sum() <= 1 for h in self.households)

    def person_panel_ok(self, members: Sequence[int]) -> bool:
        """Whether the people (indices) form a valid panel."""
        x = np.bincount(self.unit_of[np.asarray(members, dtype=int)], minlength=self.n_units)
        return len(set(members)) == len(members) and self.panel_ok(x)


def _match_feature(pool: Pool, feature: str, quotas: Quotas) -> str:
    name = pool.column_name(feature)
    if name is None:
        raise SortitionError(
            f"the quotas name the feature {feature!r} but the pool has no such column; its columns are: "
            + ", ".join(list(pool.features) + list(pool.address_columns)),
            code="missing_feature_column",
            file=pool.source,
            row=1,
            column=feature,
        )
    return name


def project_pool(pool: Pool, quotas: Quotas, address_columns: Sequence[str] = ()) -> Pool:
    """The pool restricted to the quotas' features (sorted) and the address columns, as hashed in results."""
    for feature in quotas.features:
        _match_feature(pool, feature, quotas)
    return pool.select(quotas.features, address_columns)


def build_instance(
    pool: Pool,
    quotas: Quotas,
    k: int,
    *,
    address_columns: Sequence[str] = (),
    compress: bool = True,
) -> Instance:
    """Validate the inputs and group people into units.

    Raises
    ------
    SortitionError
        A feature missing from the pool, a pool value with no quota, k not a whole number
        between 1 and the pool size.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise SortitionError("the panel size must be a whole number", code="bad_panel_size", value=k)
    k = int(k)
    n = len(pool)
    if n == 0:
        raise SortitionError("the pool is empty: it has no people", code="empty_pool", file=pool.source)
    if k < 1:
        raise SortitionError("the panel size must be at least 1", code="bad_panel_size", value=k)
    if k > n:
        raise SortitionError(
            f"the panel size {k} is larger than the pool ({n} people)",
            code="panel_larger_than_pool",
            file=pool.source,
            value=k,
        )
    rows = tuple(quotas.items())
    index = {(f, v): q for q, (f, v, _, _) in enumerate(rows)}
    features = quotas.features
    person_values = np.empty((n, len(features)), dtype=np.int64)
    for j, feature in enumerate(features):
        col_name = _match_feature(pool, feature, quotas)
        col = pool.column(col_name)
        assert col is not None
        for i, value in enumerate(col):
            q = index.get((feature, value))
            if q is None:
                known = ", ".join(repr(v) for v in quotas.values_of(feature))
                raise SortitionError(
                    f"this value of {feature} has no quota (the quotas have {known})",
                    code="unknown_value",
                    file=pool.source,
                    row=pool.rows.get(pool.ids[i]),
                    column=col_name,
                    value=value,
                )
            person_values[i, j] = q

    keys = household_keys(pool, address_columns)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(i)
    in_household = np.full(n, -1, dtype=np.int64)
    multi = [members for _, members in sorted(groups.items()) if len(members) > 1]
    for h, members in enumerate(multi):
        in_household[members] = h

    unit_key: dict[tuple, list[int]] = {}
    for i in range(n):
        profile = tuple(person_values[i].tolist())
        if compress and in_household[i] < 0:
            key: tuple = (profile, -1)
        else:
            key = (profile, i)
        unit_key.setdefault(key, []).append(i)
    ordered = sorted(unit_key.items(), key=lambda kv: (kv[0][0], kv[1][0]))
    unit_members = tuple(np.array(m, dtype=np.int64) for _, m in ordered)
    unit_of = np.empty(n, dtype=np.int64)
    for u, members in enumerate(unit_members):
        unit_of[members] = u
    counts = np.array([len(m) for m in unit_members], dtype=np.int64)
    A = np.zeros((len(rows), len(unit_members)))
    for u, members in enumerate(unit_members):
        A[person_values[members[0]], u] = 1.0
    households = tuple(np.unique(unit_of[m]) for m in multi)
    return Instance(
        ids=pool.ids,
        k=k,
        quota_rows=rows,
        person_values=person_values,
        unit_of=unit_of,
        unit_members=unit_members,
        counts=counts,
        A=A,
        lo=np.array([r[2] for r in rows], dtype=float),
        hi=np.array([r[3] for r in rows], dtype=float),
        households=households,
        person_household=tuple(in_household.tolist()),
    )


class Pricer:
    """Best panel for given per-unit weights: max w·x over valid panels (a HiGHS integer program)."""

    def __init__(self, inst: Instance, *, gap: float = 1e-9) -> None:
        self.inst = inst
        self.constraint = inst.constraint()
        self.bounds = Bounds(np.zeros(inst.n_units), inst.counts.astype(float))
        self.integrality = np.ones(inst.n_units)
        self.gap = gap
        self.calls = 0

    def solve(self, weights: np.ndarray, *, gap: float | None = None) -> tuple[np.ndarray | None, float, float]:
        """(unit counts of a good panel, its value, an upper bound on the best value).

        With a loose ``gap`` the panel may be slightly suboptimal; the bound is always valid.
        The panel is None (value -inf) when no panel meets the quotas.
        """
        self.calls += 1
        w = np.asarray(weights, dtype=float)
        res = milp(
            -w,
            constraints=self.constraint,
            bounds=self.bounds,
            integrality=self.integrality,
            options={"mip_rel_gap": self.gap if gap is None else gap, "presolve": False},
        )
        if res.x is None:
            return None, -np.inf, -np.inf
        x = np.rint(res.x).astype(np.int64)
        if not self.inst.panel_ok(x):  # numerical trouble: should not happen
            return None, -np.inf, -np.inf
        value = float(w @ x)
        # HiGHS's dual bound of the minimisation, turned into an upper bound of the maximum
        bound = getattr(res, "mip_dual_bound", None)
        upper = max(value, -float(bound)) if bound is not None and np.isfinite(bound) else np.inf
        return x, value, upper

    def best(self, weights: np.ndarray, *, gap: float | None = None) -> np.ndarray | None:
        """Integer unit counts of a best panel (within ``gap``), or None when no panel meets the quotas."""
        return self.solve(weights, gap=gap)[0]
