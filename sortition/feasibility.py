"""Feasibility check: can any panel meet the quotas? If not, which quotas conflict, and what is the
smallest change that fixes them?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sortition.data import Pool, Quotas
from sortition.model import Instance, Pricer, build_instance, project_pool

__all__ = ["FeasibilityReport", "Relaxation", "check_feasibility", "check_instance"]


@dataclass(frozen=True)
class Relaxation:
    """Change one quota from ``old_min..old_max`` to ``new_min..new_max``."""

    feature: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int

    def sentence(self) -> str:
        parts = []
        if self.new_min != self.old_min:
            parts.append(f"lower its minimum from {self.old_min} to {self.new_min}")
        if self.new_max != self.old_max:
            parts.append(f"raise its maximum from {self.old_max} to {self.new_max}")
        return f"{self.feature} = {self.value}: " + " and ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": self.value,
            "old_min": self.old_min,
            "old_max": self.old_max,
            "new_min": self.new_min,
            "new_max": self.new_max,
        }


@dataclass(frozen=True)
class FeasibilityReport:
    """Whether some panel meets every quota.

    Attributes
    ----------
    feasible : bool
    conflicts : tuple of str
        Plain-English sentences naming the quotas that conflict (empty when feasible).
    conflict_details : tuple of dict
        The same, one per sentence, as data for a translation: ``kind`` and its figures.
        ``minimums_above_size`` and ``maximums_below_size`` (feature, total, size),
        ``too_few_in_pool`` (feature, value, available, minimum), ``households_too_few``
        (selectable, size), ``quotas_in_conflict`` (size, quotas: feature, value, min, max),
        ``smallest_change`` (the relaxations, as dicts) and ``no_quota_change_helps`` (size).
    relaxations : tuple of Relaxation
        The smallest set of quota changes (fewest seats moved in total) that makes the quotas
        feasible; empty when feasible, or when no quota change can help (e.g. the household rule
        leaves fewer than k households).
    """

    feasible: bool
    conflicts: tuple[str, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    conflict_details: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "conflicts": list(self.conflicts),
            "conflict_details": [dict(r) for r in self.conflict_details],
            "relaxations": [r.to_dict() for r in self.relaxations],
        }


def _simple_conflicts(inst: Instance) -> list[dict[str, Any]]:
    """The conflicts (as details, see FeasibilityReport) that show without solving anything."""
    out = []
    rows = inst.quota_rows
    features = sorted({f for f, _, _, _ in rows})
    k = inst.k
    for feature in features:
        idx = [q for q, r in enumerate(rows) if r[0] == feature]
        smin = sum(rows[q][2] for q in idx)
        smax = sum(rows[q][3] for q in idx)
        if smin > k:
            out.append({"kind": "minimums_above_size", "feature": feature, "total": int(smin), "size": k})
        if smax < k:
            out.append({"kind": "maximums_below_size", "feature": feature, "total": int(smax), "size": k})
    pool_counts = inst.A @ inst.counts
    for q, (feature, value, lo, _) in enumerate(rows):
        if pool_counts[q] < lo:
            out.append({"kind": "too_few_in_pool", "feature": feature, "value": value,
                        "available": int(pool_counts[q]), "minimum": int(lo)})
    if inst.households:
        selectable = inst.n - sum(len(h) - 1 for h in inst.households)
        if selectable < k:
            out.append({"kind": "households_too_few", "selectable": int(selectable), "size": k})
    return out


def _sentence(d: dict[str, Any]) -> str:
    """One conflict in plain English (translations word the same details in their own language)."""
    kind = d["kind"]
    if kind == "minimums_above_size":
        return f"The minimums for {d['feature']} add up to {d['total']}, more than the panel size {d['size']}."
    if kind == "maximums_below_size":
        return f"The maximums for {d['feature']} add up to {d['total']}, fewer than the panel size {d['size']}."
    if kind == "too_few_in_pool":
        n = d["available"]
        who = "Nobody in the pool has" if n == 0 else f"Only {n} in the pool {'has' if n == 1 else 'have'}"
        return f"{who} {d['feature']} = {d['value']}, but the minimum is {d['minimum']}."
    if kind == "households_too_few":
        return (f"With at most one person per household, only {d['selectable']} people can be chosen together, "
                f"fewer than the panel size {d['size']}.")
    if kind == "quotas_in_conflict":
        named = "; ".join(f"{q['feature']} = {q['value']} (min {q['min']}, max {q['max']})" for q in d["quotas"])
        return f"No panel of {d['size']} meets all the quotas at once. The quotas in conflict: {named}."
    if kind == "smallest_change":
        return "The smallest change that makes a panel possible: " + " ".join(
            Relaxation(**r).sentence() for r in d["relaxations"])
    return f"No change of the quotas alone allows a panel of {d['size']}."  # no_quota_change_helps


def _relax(inst: Instance) -> tuple[Relaxation, ...] | None:
    """Fewest seats of quota change that make a panel possible (None when no change helps)."""
    U, Q = inst.n_units, len(inst.quota_rows)
    base = inst.constraint()
    A_full = base.A.tocsr()
    # rows: 0 = size, 1..Q = quotas, then households. Quota rows get slack columns.
    slack_lo = sparse.vstack(
        [sparse.csr_matrix((1, Q)), sparse.identity(Q), sparse.csr_matrix((A_full.shape[0] - 1 - Q, Q))]
    )
    slack_hi = -slack_lo
    A = sparse.hstack([A_full, slack_lo, slack_hi], format="csr")
    # quota rows become lo <= A x + dlo - dhi <= hi
    lb, ub = base.lb.copy(), base.ub.copy()
    cost = np.concatenate([np.zeros(U), np.ones(Q), np.ones(Q)])
    ubounds = np.concatenate([inst.counts.astype(float), inst.lo, np.full(Q, float(inst.k))])
    res = milp(
        cost,
        constraints=LinearConstraint(A, lb, ub),
        bounds=Bounds(np.zeros(U + 2 * Q), ubounds),
        integrality=np.ones(U + 2 * Q),
        options={"mip_rel_gap": 0.0},
    )
    if res.x is None:
        return None
    x = np.rint(res.x).astype(int)
    dlo, dhi = x[U : U + Q], x[U + Q :]
    out = []
    for q, (feature, value, lo, hi) in enumerate(inst.quota_rows):
        if dlo[q] or dhi[q]:
            out.append(Relaxation(feature, value, lo, hi, lo - int(dlo[q]), hi + int(dhi[q])))
    return tuple(out)


def check_instance(inst: Instance) -> FeasibilityReport:
    """:func:`check_feasibility` on a built instance."""
    if Pricer(inst).best(np.zeros(inst.n_units)) is not None:
        return FeasibilityReport(feasible=True)
    details = _simple_conflicts(inst)
    relaxations = _relax(inst)
    if relaxations:
        quotas = [{"feature": r.feature, "value": r.value, "min": r.old_min, "max": r.old_max} for r in relaxations]
        details.append({"kind": "quotas_in_conflict", "size": inst.k, "quotas": quotas})
        details.append({"kind": "smallest_change", "relaxations": [r.to_dict() for r in relaxations]})
    elif relaxations is None:
        details.append({"kind": "no_quota_change_helps", "size": inst.k})
    return FeasibilityReport(feasible=False, conflicts=tuple(map(_sentence, details)),
                             relaxations=tuple(relaxations or ()), conflict_details=tuple(details))


def check_feasibility(pool: Pool, quotas: Quotas, k: int, *, address_columns: Sequence[str] = ()) -> FeasibilityReport:
    """Whether some panel of ``k`` people from ``pool`` meets every quota (and the household rule).

    When not, the report says which quotas conflict, in plain English, and gives the smallest
    relaxation: the quota changes that move the fewest seats in total (an integer program).

    Raises
    ------
    SortitionError
        Bad input (see :func:`sortition.draw`); infeasible quotas are *not* an error here.

    Examples
    --------
    >>> from sortition import Pool, Quotas, check_feasibility
    >>> pool = Pool.from_rows([{"id": str(i), "g": "a" if i < 3 else "b"} for i in range(10)])
    >>> quotas = Quotas.from_items([("g", "a", 4, 5), ("g", "b", 0, 5)])
    >>> report = check_feasibility(pool, quotas, 5)
    >>> report.feasible
    False
    >>> report.relaxations[0].new_min
    3
    """
    inst = build_instance(project_pool(pool, quotas, address_columns), quotas, k, address_columns=address_columns)
    return check_instance(inst)
