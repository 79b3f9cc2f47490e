"""LEXIMIN, MAXIMIN, NASH and LEGACY on an :class:`~sortition.model.Instance`.

LEXIMIN follows Flanigan, Gölz, Gupta, Hennig and Procaccia (Nature 2021, Methods): a sequence of
MAXIMIN linear programs over the (astronomically many) valid panels, solved by column generation on
the dual, with new panels found by an integer program (after its LP relaxation and a seat-swap
local search, which settle most rounds). All are solved with HiGHS through scipy. LEXIMIN first
tries a shortcut: the LEXIMIN of fractional panels (a few small LPs) bounds the exact one, and when
a walk over the faces of the quota polytope writes it as a lottery over panels (see ``_walk``), that
lottery is the LEXIMIN; column generation runs only when the walk fails.
The work happens on units (groups of interchangeable people) rather than on people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from sortition.errors import SortitionError
from sortition.model import Instance, Pricer
from sortition.progress import Progress

__all__ = ["UnitDistribution", "leximin", "maximin", "nash", "legacy_panel", "legacy"]

ProgressFn = Callable[[Progress], None] | None

_EPS_PRICE = 1e-7  # a panel improves the dual when its value exceeds ŷ by this much
_EPS_FIX = 1e-7  # dual weights above this fix a unit's probability
_FIX_SLACK = 1e-9  # fixed probabilities are kept this far below the stage optimum
_QUICK_GAP = 1e-3  # relative optimality gap for pricing that only needs a good panel
# Extra panels per LP round: "swaps" (local search) or "damped" (more integer programs); "auto"
# picks swaps up to _SWAP_MAX_GROUPS groups, where they were measured faster (bench/sortition.py,
# before the LP-relaxation pricing: 0.8 s vs 2.0 s on the 122-group SF fixture, 85 s vs 41 s on a
# 576-group pool of 10,000; swap panels instead of the damped integer programs there: 58 s vs 18 s).
_EXTRA = "auto"
_SWAP_MAX_GROUPS = 300
_SWAP_ENOUGH = 0.5  # swap panels this good relative to the relaxation's bound skip the integer program
_SWAP_MOVES = 25  # the best moves come first; later ones gained little (k=100: 4.5 s vs 6.1 s)
_SMOOTH = 0.3  # Wentges dual smoothing: the stability centre's share
_STRICT_PIVOTS_GROUPS = 300  # master LPs over this many groups factor with a stricter pivot threshold
_WALK = True  # try the relaxation's LEXIMIN first (see _walk); off, column generation only
_WALK_TIGHT = 1e-9  # a bound or quota this close to the walk's point is met exactly by its next panel
_WALK_DONE = 1e-12  # the walk ends when the probability left to place is below this
_WALK_CHECK = 1e-9  # the walk's marginals must match the relaxation's LEXIMIN this closely
_WALK_TIME = 600.0  # seconds (wall clock, which counts pauses) for one integer program of the walk


@dataclass(frozen=True)
class UnitDistribution:
    """Panels as unit-count vectors (rows of ``panels``) with probabilities ``weights`` (sum 1)."""

    panels: np.ndarray
    weights: np.ndarray
    stats: dict


def _report(progress: ProgressFn, phase: str, iteration: int, bound: float | None, message: str) -> None:
    if progress is not None:
        progress(Progress(phase=phase, iteration=iteration, bound=bound, message=message))


class _Columns:
    """The panels found so far (deduplicated, in discovery order)."""

    def __init__(self, n_units: int) -> None:
        self.rows: list[np.ndarray] = []
        self.keys: set[bytes] = set()
        self.n_units = n_units

    def add(self, x: np.ndarray) -> bool:
        key = x.astype(np.int64).tobytes()
        if key in self.keys:
            return False
        self.keys.add(key)
        self.rows.append(x.astype(np.int64))
        return True

    def matrix(self) -> np.ndarray:
        return np.array(self.rows, dtype=float).reshape(len(self.rows), self.n_units)


def _initial_panels(inst: Instance, oracle: _Oracle, cols: _Columns, rounds: int) -> None:
    """Multiplicative weights: panels that favour people rarely chosen so far.

    One exact solve proves that a panel exists; the others are seat swaps from the last panel
    (a good enough start for column generation, for a fraction of the cost).
    """
    c = inst.counts.astype(float)
    w = np.ones(inst.n_units)
    x = oracle.best(w)[0]
    if x is None:
        raise SortitionError("no panel meets the quotas", code="infeasible")
    swaps = _SwapSearch(inst)
    for _ in range(rounds):
        cols.add(x)
        w *= 0.8 ** (x / c)
        w /= w.max()
        x = swaps.improve(x, w, max_moves=inst.k)


def _solve_lp(c, A_ub, b_ub, A_eq, b_eq, bounds):  # noqa: ANN001, ANN202
    """HiGHS dual simplex, with interior point as the fallback when simplex stalls."""
    for method, opts in (("highs-ds", {"time_limit": 60.0}), ("highs-ipm", {}), ("highs", {})):
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method=method, options=opts)
        if res.status == 0:
            return res
    raise SortitionError(f"the linear program failed: {res.message}", code="solver_failed")


class _SwapSearch:
    """Local search for good panels without an integer program: move one seat from one group to
    another while every quota and the household rule still hold, best move first."""

    def __init__(self, inst: Instance) -> None:
        self.A = inst.A
        self.B = np.ascontiguousarray(inst.A.T)  # units x quota rows
        self.lo, self.hi = inst.lo, inst.hi
        self.counts = inst.counts
        self.hh = np.full(inst.n_units, -1, dtype=np.int64)
        for h, units in enumerate(inst.households):
            self.hh[units] = h
        self.n_households = len(inst.households)
        self.inst = inst

    def improve(self, x: np.ndarray, w: np.ndarray, max_moves: int) -> np.ndarray:
        B = self.B
        x = x.copy()
        s = self.A @ x
        for _ in range(max_moves):
            sel = np.flatnonzero(x)
            ws = w[sel]
            cand = np.flatnonzero((x < self.counts) & (w > ws.min() + 1e-15))
            if len(cand) == 0:
                break
            # Moving a seat from a to b breaks a quota row that is at its minimum and only a has,
            # or at its maximum and only b has: count such rows for all pairs in one product.
            tl = (s <= self.lo + 0.5).astype(float)
            th = (s >= self.hi - 0.5).astype(float)
            Bs, Bc = B[sel], B[cand]
            broken = (Bs @ tl)[:, None] + (Bc @ th)[None, :] - (Bs * (tl + th)) @ Bc.T
            gain = w[cand][None, :] - ws[:, None]
            gain[broken > 0.5] = -np.inf
            if self.n_households:  # b must not join a household that already has a seat (unless from a)
                occupied = np.zeros(self.n_households + 1, dtype=bool)
                occupied[self.hh[sel]] = True
                occupied[-1] = False
                hb = self.hh[cand]
                gain[occupied[hb][None, :] & (hb[None, :] != self.hh[sel][:, None])] = -np.inf
            i, j = divmod(int(np.argmax(gain)), gain.shape[1])
            if not gain[i, j] > 1e-12:
                break
            a, b = sel[i], cand[j]
            x[a] -= 1
            x[b] += 1
            s += B[b] - B[a]
        return x


def _restricted_master(M: np.ndarray, is_fixed: np.ndarray, f: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Maximise z over the known panels: π_u ≥ z for unfixed units, π_u ≥ f_u for fixed ones.

    Solved in the primal form (one row per unit, so the simplex basis stays small however many
    panels there are); returns z, the dual weights y of the unit rows (Σ over unfixed = 1) and the
    panel weights λ.
    """
    n_panels, U = M.shape
    # variables: λ (one per panel), then z;  minimise -z
    obj = np.zeros(n_panels + 1)
    obj[-1] = -1.0
    unfixed = (~is_fixed).astype(float)
    A_ub = sparse.hstack([sparse.csr_matrix(-M.T), sparse.csr_matrix(unfixed[:, None])], format="csr")
    b_ub = -f
    A_eq = np.concatenate([np.ones(n_panels), [0.0]])[None, :]
    bounds = [(0, None)] * n_panels + [(None, None)]
    res = _solve_lp(obj, A_ub, b_ub, A_eq, [1.0], bounds)
    y = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0)
    return float(-res.fun), y, np.asarray(res.x[:-1], dtype=float)


try:  # scipy's bundled HiGHS object: keeps the model and its basis between solves (warm starts)
    from scipy.optimize._highspy import _core as _highs_core

    _WARM = hasattr(_highs_core, "_Highs")
except ImportError:  # pragma: no cover - other scipy versions: linprog from scratch each time
    _highs_core = None
    _WARM = False


def _highs_model(A, lb: np.ndarray, ub: np.ndarray, upper: np.ndarray, *, integer: bool, **options):  # noqa: ANN001, ANN202
    """A HiGHS model kept alive through scipy's bundled bindings: 0 <= x <= upper, lb <= A x <= ub, no cost
    yet (callers change costs and bounds between solves). An integer program runs without HiGHS's start
    heuristic and symmetry detection: measured on these easy programs, the heuristic took 60 % of each
    solve, symmetry detection 20 % (groups are all different, so it finds nothing)."""
    Ac = sparse.csc_matrix(A)
    lp = _highs_core.HighsLp()
    lp.num_col_, lp.num_row_ = Ac.shape[1], Ac.shape[0]
    lp.col_cost_ = np.zeros(Ac.shape[1])
    lp.col_lower_, lp.col_upper_ = np.zeros(Ac.shape[1]), np.asarray(upper, dtype=float)
    lp.row_lower_, lp.row_upper_ = np.asarray(lb, dtype=float).copy(), np.asarray(ub, dtype=float).copy()
    lp.a_matrix_.format_ = _highs_core.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = Ac.indptr, Ac.indices, Ac.data
    if integer:
        lp.integrality_ = [_highs_core.HighsVarType.kInteger] * Ac.shape[1]
        options = {"mip_heuristic_run_feasibility_jump": False, "mip_detect_symmetry": False, **options}
    h = _highs_core._Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.passModel(lp)
    return h


class _MasterLP:
    """The restricted master LP of :func:`_restricted_master`, kept alive between column additions.

    New panels are added as columns and the simplex restarts from the previous basis, which makes
    a re-solve a few dozen iterations instead of hundreds. Uses scipy's bundled HiGHS bindings;
    when they are missing or a solve does not end optimal, :func:`_restricted_master` (scipy's
    public ``linprog``) is used instead.
    """

    def __init__(self, n_units: int) -> None:
        self.U = n_units
        self.n_panels = 0
        self.failures = 0
        self.lam = np.zeros(0)  # panel weights of the last solve
        self.ok = _WARM
        if not self.ok:
            return
        h = _highs_core._Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("simplex_strategy", 4)  # primal: new columns keep the old basis feasible
        # no bound perturbation: warm re-solves took half the time on 811 groups (fewer pivots, measured)
        h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0)
        if n_units > _STRICT_PIVOTS_GROUPS:  # a stricter pivot threshold made the LU of a large near-dense
            # basis cheaper (replayed master LPs of 811 groups: 0.2 -8 % CPU against the default 0.1,
            # 0.5 +25 %, 0.01 +68 %); the whole run on 204 groups took 8 % more (5.0 s against 4.7 s)
            h.setOptionValue("factor_pivot_threshold", 0.2)
        inf = _highs_core.kHighsInf
        empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
        for _ in range(n_units):
            h.addRow(-inf, 0.0, 0, empty_i, empty_v)
        h.addRow(1.0, 1.0, 0, empty_i, empty_v)
        # column 0: z, in every unit row
        h.addCol(-1.0, -inf, inf, n_units, np.arange(n_units, dtype=np.int32), np.ones(n_units))
        self.h = h
        self.inf = inf
        self.z_in_row = np.ones(n_units, dtype=bool)
        self.rhs = np.zeros(n_units)

    def sync(self, M: np.ndarray, is_fixed: np.ndarray, f: np.ndarray) -> None:
        if not self.ok:
            return
        h = self.h
        for P in range(self.n_panels, M.shape[0]):
            idx = np.flatnonzero(M[P])
            h.addCol(
                0.0, 0.0, self.inf, len(idx) + 1, np.append(idx, self.U).astype(np.int32), np.append(-M[P, idx], 1.0)
            )
        self.n_panels = M.shape[0]
        for u in np.flatnonzero(is_fixed & self.z_in_row):
            h.changeCoeff(int(u), 0, 0.0)
            self.z_in_row[u] = False
        for u in np.flatnonzero(self.rhs != -f):
            h.changeRowBounds(int(u), -self.inf, float(-f[u]))
            self.rhs[u] = -f[u]

    def solve(self, M: np.ndarray, is_fixed: np.ndarray, f: np.ndarray) -> tuple[float, np.ndarray]:
        if self.ok:
            self.sync(M, is_fixed, f)
            for attempt in range(2):
                # HiGHS's time limit counts the object's whole life: allow 60 s more for this solve
                self.h.setOptionValue("time_limit", float(self.h.getRunTime()) + 60.0)
                self.h.run()
                if self.h.getModelStatus() == _highs_core.HighsModelStatus.kOptimal:
                    sol = self.h.getSolution()
                    y = np.maximum(-np.asarray(sol.row_dual[: self.U], dtype=float), 0.0)
                    self.lam = np.asarray(sol.col_value[1:], dtype=float)
                    return float(-self.h.getInfo().objective_function_value), y
                if attempt == 0:
                    self.h.clearSolver()  # numerical trouble: forget the basis and solve again
            self.failures += 1
            self.ok = self.failures < 3  # after repeated trouble: linprog from scratch from now on
        value, y, self.lam = _restricted_master(M, is_fixed, f)
        return value, y


class _Oracle:
    """Exact pricing for the LEXIMIN stages: a best panel for weights ``w``, or the proof that no
    panel is worth more than a threshold.

    Both HiGHS models are kept alive through scipy's bundled bindings. The LP relaxation comes
    first: a new objective keeps its old basis feasible, so a re-solve takes a few pivots; its value
    bounds every panel (often proving that none improves) and its optimum is often integral. The
    integer program runs only when neither settles it. Without the bindings, or when a solve does
    not end optimal: :class:`~sortition.model.Pricer` (scipy's public ``milp``).
    """

    def __init__(self, inst: Instance, pricer: Pricer) -> None:
        self.inst = inst
        self.pricer = pricer
        self.ok = _WARM
        self.lp_calls = self.mip_calls = 0
        if self.ok:
            self.lp, self.mip = self._model(integer=False), self._model(integer=True)

    def _model(self, integer: bool):  # noqa: ANN202
        con = self.inst.constraint()
        # tiny models: presolve costs more than it saves
        options = {"presolve": "off"} if integer else {
            "presolve": "off",
            "simplex_strategy": 4,  # primal: a new objective keeps the basis feasible
            "dual_feasibility_tolerance": 1e-9,  # the bound must be tight
        }
        return _highs_model(con.A, con.lb, con.ub, self.inst.counts, integer=integer, **options)

    def _run(self, h, w: np.ndarray):  # noqa: ANN001, ANN202
        U = self.inst.n_units
        h.changeColsCost(U, np.arange(U, dtype=np.int32), -w)
        h.run()
        if h.getModelStatus() != _highs_core.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value, dtype=float), h.getInfo()

    def relaxed(self, w: np.ndarray) -> tuple[np.ndarray | None, float]:
        """(the LP relaxation's optimum when it is a panel, else None; the relaxation's value)."""
        if self.ok:
            self.lp_calls += 1
            out = self._run(self.lp, w)
            if out is not None:
                xs, info = out
                x = np.rint(xs)
                integral = np.abs(xs - x).max() < 1e-9 and self.inst.panel_ok(x)
                return (x.astype(np.int64) if integral else None), -info.objective_function_value
        return None, np.inf

    def best(self, w: np.ndarray, threshold: float = -np.inf) -> tuple[np.ndarray | None, float]:
        """(a best panel, its value); the panel is None when no panel is worth more than ``threshold``."""
        w = np.asarray(w, dtype=float)
        if self.ok:
            x, bound = self.relaxed(w)
            if bound <= threshold:
                return None, bound
            if x is not None:
                return x, float(w @ x)
            self.mip_calls += 1
            for gap in (_QUICK_GAP, 0.0):
                self.mip.setOptionValue("mip_rel_gap", gap)
                out = self._run(self.mip, w)
                if out is None:
                    break
                x = np.rint(out[0]).astype(np.int64)
                value, upper = float(w @ x), -out[1].mip_dual_bound
                if not self.inst.panel_ok(x):
                    break
                if value > threshold or upper <= threshold or gap == 0.0:  # improves, or proved not to
                    return (x if value > threshold else None), value
        x, best, upper = self.pricer.solve(w, gap=_QUICK_GAP)
        if best <= threshold < upper:
            x, best, upper = self.pricer.solve(w)
        return (x if x is not None and best > threshold else None), best


def _maximin_stage(
    inst: Instance,
    oracle: _Oracle,
    cols: _Columns,
    fixed: np.ndarray,
    progress: ProgressFn,
    phase: str,
    counter: list[int],
    batch: int = 8,
    master: _MasterLP | None = None,
) -> tuple[float, np.ndarray]:
    """Maximise the smallest probability among unfixed units, the fixed ones kept at their value.

    Each round solves the restricted master LP (warm-started), then prices new panels: up to
    ``_SWAP_MAX_GROUPS`` groups, the LP relaxation of pricing (whose bound ends most stages) and
    seat swaps from the ``batch`` best known panels, with the integer program only when these fall
    short; above, the integer program plus up to ``batch`` more from damped weights, priced first at
    smoothed duals (Wentges: between the stage's best dual so far and the LP's). The stage
    ends only when the relaxation or the exact integer program proves that no panel improves.
    Returns the optimal value and the dual weights ``y`` (one per unit).
    """
    U = inst.n_units
    c = inst.counts.astype(float)
    is_fixed = ~np.isnan(fixed)
    f = np.where(is_fixed, fixed, 0.0)
    master = master or _MasterLP(U)
    swaps = _SwapSearch(inst)
    center, center_bound = None, np.inf
    while True:
        P = cols.matrix()
        value, y = master.solve(P / c, is_fixed, f)
        w = y / c
        yhat = float((P @ w).max())
        counter[0] += 1
        _report(
            progress,
            phase,
            counter[0],
            value,
            f"{int(is_fixed.sum())} of {U} groups settled, {len(cols.rows)} panels, smallest chance {value:.5f}",
        )
        threshold = yhat + _EPS_PRICE
        if _EXTRA == "swaps" or (_EXTRA == "auto" and U <= _SWAP_MAX_GROUPS):
            # The LP relaxation bounds every panel (it often ends the stage) and its optimum is
            # often a panel. Seat swaps from the best known panels give more columns; the integer
            # program runs only when they get less than half of the gain the bound allows.
            x, bound = oracle.relaxed(w)
            if bound <= threshold:
                return value, y
            starts = [P[i].astype(np.int64) for i in np.argsort(-(P @ w), kind="stable")[:batch]]
            found = [z for z in (swaps.improve(s, w, max_moves=_SWAP_MOVES) for s in starts) if w @ z > threshold]
            gained = max((float(w @ z) for z in found), default=-np.inf)
            if x is None and gained - yhat < _SWAP_ENOUGH * (bound - yhat):
                # A quick, slightly suboptimal panel is enough to improve; only proving that
                # nothing improves needs the exact optimum (or a dual bound below the threshold).
                x = oracle.best(w, threshold)[0]
                if x is None:
                    return value, y
            for z in ([x] if x is not None else []) + found:
                if inst.panel_ok(z):
                    cols.add(z)
            continue
        # Wentges dual smoothing: price first between the stage's best dual so far (by its pricing
        # bound) and the LP's; the LP's own dual when that panel does not improve the LP.
        x, weights = None, w
        if center is not None:
            ys = _SMOOTH * center + (1.0 - _SMOOTH) * y
            xs, vs = oracle.best(ys / c)
            if xs is not None:
                bound = vs - float(ys @ f)  # the smoothed dual's pricing bound on the stage's value
                if bound < center_bound:
                    center, center_bound = ys, bound
                if float(w @ xs) > threshold:
                    x, weights = xs, ys / c
        if x is None:
            x, v = oracle.best(w, threshold)
            if x is None:
                return value, y
            bound = v - float(y @ f)
            if bound < center_bound:
                center, center_bound = y, bound
        cols.add(x)
        # More columns per LP: damp the weights of the people just covered and price again (exact
        # pricing: LP-relaxation or swap panels were weaker, 58 s instead of 18 s on 576 groups).
        damped = weights.copy()
        for _ in range(batch):
            damped = damped * np.where(x > 0, 0.5, 1.0)
            x = oracle.best(damped)[0]
            if x is None or float(w @ x) <= yhat + _EPS_PRICE or not cols.add(x):
                break


class _Relaxation:
    """LEXIMIN over fractional panels (the quotas' LP relaxation): an upper bound on the exact one.

    Every panel lies in the relaxed polytope, so the relaxation's LEXIMIN probabilities dominate the
    exact ones in the leximin order; when some lottery over panels reaches them, it is the LEXIMIN.
    """

    def __init__(self, inst: Instance) -> None:
        con = inst.constraint()
        self.A = sparse.csr_matrix(con.A)
        self.lb, self.ub = con.lb.astype(float), con.ub.astype(float)
        self.c = inst.counts.astype(float)

    def stage(self, is_fixed: np.ndarray, f: np.ndarray) -> tuple[float, np.ndarray] | None:
        """(the relaxed stage's value, its dual weights of the unfixed groups), or None."""
        U = len(self.c)
        unfixed = np.flatnonzero(~is_fixed)
        m = len(unfixed)
        # variables: x (fractional group counts), then t; maximise t subject to x_u >= c_u t (unfixed)
        obj = np.zeros(U + 1)
        obj[-1] = -1.0
        level = sparse.csr_matrix(
            (
                np.concatenate([-np.ones(m), self.c[unfixed]]),
                (np.concatenate([np.arange(m)] * 2), np.concatenate([unfixed, np.full(m, U)])),
            ),
            shape=(m, U + 1),
        )
        quota = sparse.hstack([self.A, sparse.csr_matrix((self.A.shape[0], 1))], format="csr")
        A_ub = sparse.vstack([level, quota, -quota], format="csr")
        b_ub = np.concatenate([np.zeros(m), self.ub, -self.lb])
        lower = np.where(is_fixed, np.minimum(f * self.c, self.c), 0.0)
        bounds = np.column_stack([np.append(lower, -np.inf), np.append(self.c, np.inf)])
        res = linprog(obj, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        y = np.zeros(U)
        y[unfixed] = np.maximum(-np.asarray(res.ineqlin.marginals[:m], dtype=float), 0.0) * self.c[unfixed]
        return float(-res.fun), y

    def leximin(self) -> tuple[np.ndarray, int] | None:
        """(the relaxation's LEXIMIN probability of each group, its number of stages), or None."""
        U = len(self.c)
        is_fixed, f = np.zeros(U, dtype=bool), np.zeros(U)
        stages = 0
        while not is_fixed.all():
            out = self.stage(is_fixed, f)
            if out is None:
                return None
            t, y = out
            newly = ~is_fixed & (y > _EPS_FIX)
            if not newly.any():
                newly[np.argmax(np.where(is_fixed, -1.0, y))] = True
            f[newly] = t
            is_fixed |= newly
            stages += 1
        return f, stages


class _FaceProgram:
    """The walk's integer program: a best panel with some bounds and quotas met exactly.

    One HiGHS model kept through scipy's bundled bindings (only bounds and costs change between
    steps); scipy's public ``milp`` without them, or when a solve does not end optimal.
    """

    def __init__(self, inst: Instance, A: sparse.csr_matrix, lb: np.ndarray, ub: np.ndarray) -> None:
        self.A, self.U = A, inst.n_units
        # as for pricing, without the start heuristic and symmetry detection (sf fixture 0.47 s against
        # 0.97 s); with presolve, unlike pricing (without: the same there, 27.0 s against 19.2 s on
        # gen_2000_6cat_20v)
        self.h = _highs_model(A, lb, ub, inst.counts, integer=True) if _WARM else None

    def solve(self, cost, col_lo, col_hi, row_lo, row_hi) -> np.ndarray | None:  # noqa: ANN001
        if self.h is not None:
            h, cols = self.h, np.arange(self.U, dtype=np.int32)
            h.changeColsCost(self.U, cols, cost)
            h.changeColsBounds(self.U, cols, col_lo, col_hi)
            for r in range(len(row_lo)):
                h.changeRowBounds(r, float(row_lo[r]), float(row_hi[r]))
            h.setOptionValue("time_limit", float(h.getRunTime()) + _WALK_TIME)
            h.run()
            if h.getModelStatus() == _highs_core.HighsModelStatus.kOptimal:
                return np.asarray(h.getSolution().col_value, dtype=float)
        res = milp(
            cost,
            constraints=LinearConstraint(self.A, row_lo, row_hi),
            bounds=Bounds(col_lo, col_hi),
            integrality=np.ones(self.U),
            options={"time_limit": _WALK_TIME},
        )
        return res.x if res.status == 0 else None


def _walk(
    inst: Instance, rel: _Relaxation, goal: np.ndarray, progress: ProgressFn, phase: str, counter: list[int]
) -> tuple[list[np.ndarray], list[float], bool]:
    """Write the group counts ``goal`` (a point of the relaxed polytope) as a lottery over panels.

    Carathéodory's walk: take a panel P that meets exactly every bound and quota the current point x
    meets exactly (an integer program on that face), write x = θ·P + (1 - θ)·x' with θ as large as
    keeps x' in the polytope, and go on from x'; each step makes one more bound or quota exact, so
    it ends within about as many steps as there are groups. It needs a panel on each face it
    reaches. The first has one when the goal is a lottery over panels (all of that lottery's panels
    are on it), but a later x' is only known to lie in the relaxed polytope, not among the lotteries,
    so the walk can fail even then: on 40 small random pools with tight quotas (30-90 people, 3-5
    features, households) it failed 21 times, each time at a goal that column generation then
    reached (within 1e-7); other random ties made 8 of those 21 succeed. On the bench's pools, with
    quotas of ±20 %, it succeeds. Returns the panels, their probabilities and whether the walk placed
    all of it.
    """
    A, lb, ub, c = rel.A, rel.lb, rel.ub, rel.c  # the relaxation's polytope
    rng = np.random.default_rng(0)  # ties between equally good panels, reproducibly
    face = _FaceProgram(inst, A, lb, ub)
    x = goal.copy()
    left = 1.0
    panels: list[np.ndarray] = []
    weights: list[float] = []
    for _ in range(2 * (inst.n_units + len(lb)) + 10):
        ax = A @ x
        at_lo, at_hi = ax <= lb + _WALK_TIGHT, ax >= ub - _WALK_TIGHT
        zero, full = x <= _WALK_TIGHT, x >= c - _WALK_TIGHT
        # a panel favouring the groups with the most left to place (random ties)
        w = x / c + 1e-3 * rng.random(len(c))
        xs = face.solve(
            -w, np.where(full, c, 0.0), np.where(zero, 0.0, c), np.where(at_hi, ub, lb), np.where(at_lo, lb, ub)
        )
        if xs is None:
            return panels, weights, False
        P = np.rint(xs)
        if not inst.panel_ok(P):
            return panels, weights, False
        aP = A @ P
        theta = 1.0  # the largest step that keeps x' = (x - θP) / (1 - θ) within every bound and quota
        for room, use in ((ub - ax, ub - aP), (ax - lb, aP - lb), (c - x, c - P), (x, P)):
            slack = use > 0.5  # integers: P is off this bound or quota
            if slack.any():
                theta = min(theta, float(np.min(room[slack] / use[slack])))
        theta = max(theta, 0.0)
        panels.append(P.astype(np.int64))
        weights.append(left * theta)
        left *= 1.0 - theta
        counter[0] += 1
        _report(progress, phase, counter[0], float(np.min(goal / c)), f"{len(panels)} panels, {left:.1e} to place")
        if left < _WALK_DONE:
            return panels, weights, True
        x = np.clip((x - theta * P) / (1.0 - theta), 0.0, c)
    return panels, weights, False


def _final_primal(inst: Instance, cols: _Columns, floor: np.ndarray) -> np.ndarray:
    """Weights over the panels found that give every unit at least ``floor``."""
    M = cols.matrix() / inst.counts.astype(float)  # panels x units
    P = M.shape[0]
    for slack in (1e-9, 1e-7, 1e-5, 1e-4):
        res = linprog(
            np.zeros(P),
            A_ub=-M.T,
            b_ub=-(floor - slack),
            A_eq=np.ones((1, P)),
            b_eq=[1.0],
            bounds=[(0, None)] * P,
            method="highs",
        )
        if res.status == 0:
            return np.maximum(res.x, 0.0)
    raise SortitionError("could not find the final distribution (numerical trouble)", code="solver_failed")


def _distribution(cols: _Columns, lam: np.ndarray, stats: dict) -> UnitDistribution:
    keep = lam > 1e-12
    panels = cols.matrix()[keep].astype(np.int64)
    weights = lam[keep] / lam[keep].sum()
    return UnitDistribution(panels=panels, weights=weights, stats=stats)


def _leximin_by_walk(
    inst: Instance, cols: _Columns, progress: ProgressFn, phase: str, counter: list[int]
) -> UnitDistribution | None:
    """The relaxation's LEXIMIN when the walk writes it as a lottery over panels: that lottery is then
    the LEXIMIN (the relaxation bounds every lottery), with no column generation at all. Else None,
    with the walk's panels left in ``cols`` for column generation to start from."""
    _report(progress, phase, 0, None, "the LEXIMIN of fractional panels")
    rel = _Relaxation(inst)
    relaxed = rel.leximin()
    if relaxed is None:
        return None
    goal, relaxed_stages = relaxed
    panels, weights, done = _walk(inst, rel, goal * rel.c, progress, phase, counter)
    for P in panels:
        cols.add(P)
    if not done:
        return None
    index = {P.tobytes(): i for i, P in enumerate(cols.rows)}
    lam = np.zeros(len(cols.rows))
    for P, wgt in zip(panels, weights, strict=True):
        lam[index[P.tobytes()]] += wgt
    lam /= lam.sum()
    reached = lam @ (cols.matrix() / rel.c)
    if not np.all(np.abs(reached - goal) <= _WALK_CHECK):
        return None
    stats = {
        "stages": relaxed_stages,
        "lp_iterations": counter[0],
        "pricing_calls": 0,
        "integer_programs": len(panels),
        "panels": len(cols.rows),
        "walked": True,
    }
    _report(progress, phase, counter[0] + 1, float(reached.min()), "done")
    return _distribution(cols, lam, stats)


def leximin(inst: Instance, *, progress: ProgressFn = None, only_first_stage: bool = False) -> UnitDistribution:
    """The LEXIMIN distribution: maximise the smallest probability, then the next, and so on.

    First the relaxation's LEXIMIN and a walk that writes it as a lottery over panels (exact when
    it succeeds, as the relaxation bounds every lottery); otherwise, or for MAXIMIN, column
    generation stage by stage.
    """
    oracle = _Oracle(inst, Pricer(inst))
    cols = _Columns(inst.n_units)
    phase = "maximin" if only_first_stage else "leximin"
    counter = [0]
    if _WALK and not only_first_stage:
        walked = _leximin_by_walk(inst, cols, progress, phase, counter)
        if walked is not None:
            return walked
    _report(progress, phase, 0, None, "finding first panels")
    _initial_panels(inst, oracle, cols, rounds=min(max(10, inst.n_units // 4), 60))
    fixed = np.full(inst.n_units, np.nan)
    master = _MasterLP(inst.n_units)
    stages = 0
    # Measured on 811 groups (bench gen_2000_6cat_20v, 225 s CPU), not kept: aiming one column
    # generation at the LP relaxation's LEXIMIN (equal to the exact one there) tails off, > 200 s
    # and still short; ending stages at the relaxation's value, -3 %; 20 damped panels per round,
    # the same ~107,000 master pivots. The pivots of the dense master LP are the cost, not rounds.
    # The master LP in its dual form (one row per panel, HiGHS's dual simplex, warm after new rows,
    # no cost perturbation): half the pivots (55,558) but dearer, 211 s CPU in the master, 324 s in
    # all; with perturbation or Devex, slower still. Primal form unscaled: the same; primal steepest
    # edge: fewer pivots, but this HiGHS build checks its weights each time (4x slower).
    # Profiled again (perf; HiGHS 1.12 in scipy 1.17; 190-203 s CPU here, 2/3 in the master LP, 58 s
    # in the damped integer programs): 87 % of the master's time is HFactor::buildKernel, the LU
    # factorization of a near-dense basis (late on ~790 panels of ~100 groups in 812 rows, ~0.2 s each),
    # one at each solve's start and one per ~140 pivots (1,021 for 317 solves and 141,364 pivots), so
    # the master's size in columns hardly matters. Hence not kept: column purging (panels nonbasic with
    # a reduced cost above 5 % of z for 10 rounds, kept aside and added back when they price out):
    # 2,880 dropped but 2,208 back, 409 solves instead of 216, 102,808 pivots, 258 s against 190-203 s.
    # Seat-swap panels instead of integer programs at 811 groups: > 400 s. Damped integer programs to a
    # 1 % gap (each 2x cheaper): 317 rounds instead of 216, 141,364 pivots, 261 s; to 5 %: > 277 s.
    # Two damped panels per round in the first stage (its master is cheap): 307 rounds, no gain.
    # Dantzig pricing in the master: 2.2x the pivots on the same columns (replayed), 1.5x the time.
    # Closest: Wentges dual smoothing in the damped branch (price first at 0.3 x the stage's best dual
    # so far, by the pricing value, + 0.7 x the LP's; the LP's own dual when that panel does not improve
    # the LP, which also ends the stage; damped panels from the smoothed weights): 203 rounds, 95,570
    # pivots, 179.4 s and 180.5 s against 195.6 s and 197.9 s side by side (-8.5 %, under the 10 % bar);
    # 0.5 and 0.65 alike, 0.8 worse (237 rounds, 243 s); adding the LP dual's panel too, or damping from
    # the LP's weights: ~100,000 pivots, 187 s.
    # Not built: an interior-point master (primal-dual column generation). On a dumped master LP (solve
    # 100, 933 panels) HiGHS's IPX without crossover took 16 iterations and 1.6 s CPU at a 1e-4
    # tolerance (status unknown), 20 and 2.4 s at 1e-6, 25 and 3.0 s at 1e-8 (cold simplex: 3.2 s),
    # while the warm simplex averages 0.4-0.6 s a solve (the master's ~130 s over 216-317 solves);
    # numpy's normal equations (A D Aᵀ, Cholesky) alone take 0.04 s an iteration at 1,000 panels and
    # 0.09 s at 3,000. Rounds would have to drop 3-4x. HiPO is not in scipy's HiGHS build.
    # HiGHS options, on master LPs dumped from a run and replayed (solves 161-176 of 216, ~1,450 panels,
    # from one starting basis, ~9,850 pivots each): factor_pivot_threshold 0.01 instead of 0.1, 37.5 s
    # CPU against 22.3 s side by side; 0.2, 22.9 s against 24.9 s (-8 % of the master, ~60 % of a run);
    # 0.5, 31.1 s. Wentges smoothing (as above) measured again: 203 rounds, 289.0 s against 309.3 s CPU
    # (-6.6 %, one pair, both runs stopped ~25 min by the machine; HiGHS's time limit counts wall time,
    # so a stop fails the solve under way, as seen in replays, and it restarts cold). Kept: the two
    # together (smoothing in the damped branch, the threshold at 0.2 above _STRICT_PIVOTS_GROUPS groups):
    # 202 rounds, 240.7 s and 247.7 s CPU against 273.1 s and 282.9 s in two side-by-side pairs (-12 %);
    # gen_10000_8cat 13.9 s against 16.1 s, the smaller instances unchanged. Read from HiGHS
    # 1.12's source: adding a column (and changing a coefficient) clears the factorization, hence one at
    # each solve's start; later ones come from a synthetic clock (solve work since the last factorization
    # against its cost), which simplex_update_limit (5,000, against ~140 pivots between them) can only
    # make sooner.
    # Hence the walk (above), which needs no master LP: gen_2000_6cat_20v 19.2 s CPU against 304.5 s
    # (same machine; the minimum 2.7e-9 higher, as the stages fix a hair below each optimum; the
    # profile within 6e-7), sf fixture 0.47 s against 0.45 s. Measured on the way and not kept, with
    # the relaxation's stage values and duals in column generation (gen_2000_6cat_20v, one run each,
    # against 311.8 s in that session): the relaxation's optimal dual as the Wentges centre, and each
    # stage ended as soon as its LP reaches the relaxation's value (its dual then fixing the groups),
    # 320.7 s, 212 rounds; column generation aimed at the relaxation's LEXIMIN (z's coefficient the
    # goal over the smallest goal) from 81 unfixed groups on, 296.6 s (62 rounds in place of 90), and
    # from the start, > 465 s.
    while np.isnan(fixed).any():
        value, y = _maximin_stage(inst, oracle, cols, fixed, progress, phase, counter, master=master)
        stages += 1
        unfixed = np.isnan(fixed)
        newly = unfixed & (y > _EPS_FIX)
        if not newly.any():
            newly = np.zeros_like(unfixed)
            newly[np.argmax(np.where(unfixed, y, -1.0))] = True
        # A hair below the optimum, so that rounding never makes the next restricted LP infeasible.
        value = max(value - _FIX_SLACK, 0.0)
        if only_first_stage:
            fixed[unfixed] = value
            break
        fixed[newly] = value
    # The last master LP's panel weights already give everyone their floor (up to HiGHS's
    # tolerances, 1e-7); solve for them again only when they do not.
    lam = np.maximum(np.concatenate([master.lam, np.zeros(len(cols.rows) - len(master.lam))]), 0.0)
    lam /= max(lam.sum(), 1e-300)
    if not np.all(lam @ (cols.matrix() / inst.counts) >= fixed - 1e-6):
        lam = _final_primal(inst, cols, fixed)
    stats = {
        "stages": stages,
        "lp_iterations": counter[0],
        "pricing_calls": oracle.lp_calls + oracle.pricer.calls,
        "integer_programs": oracle.mip_calls + oracle.pricer.calls,
        "panels": len(cols.rows),
        "walked": False,
    }
    _report(progress, phase, counter[0] + 1, float(np.nanmin(fixed)), "done")
    return _distribution(cols, lam, stats)


def maximin(inst: Instance, *, progress: ProgressFn = None) -> UnitDistribution:
    """The MAXIMIN distribution: maximise the smallest probability (one LEXIMIN stage)."""
    return leximin(inst, progress=progress, only_first_stage=True)


def nash(inst: Instance, *, progress: ProgressFn = None, max_rounds: int = 200, tol: float = 1e-4) -> UnitDistribution:
    """The NASH distribution: maximise the product of everyone's probabilities.

    Frank–Wolfe style column generation: the restricted problem is solved by the EM fixed point
    λ_P ← λ_P · Σ_i A_iP / (N π_i), new panels come from pricing with weights 1/π_i. Units that
    no panel can include (probability 0 in every distribution) are left out of the product.
    """
    first = maximin(inst, progress=progress)
    c = inst.counts.astype(float)
    pricer = Pricer(inst)
    cols = _Columns(inst.n_units)
    for x in first.panels:
        cols.add(x)
    pi = first.weights @ (first.panels / c)
    active = pi > 1e-12
    if not active.all():  # only possible when some units can never be chosen
        for u in np.flatnonzero(~active):
            e = np.zeros(inst.n_units)
            e[u] = 1.0
            x = pricer.best(e)
            if x is not None and x[u] > 0:
                cols.add(x)
                active[u] = True
    N = float(c[active].sum())
    M = cols.matrix() / c
    lam = np.full(M.shape[0], 1.0 / M.shape[0])
    gap = np.inf
    for rounds in range(1, max_rounds + 1):
        for _ in range(200):
            pi = lam @ M
            grad = M[:, active] @ (c[active] / pi[active])
            lam = lam * grad / N
            lam /= lam.sum()
        pi = lam @ M
        weights = np.where(active, 1.0 / np.maximum(pi, 1e-12), 0.0)
        x = pricer.best(weights)
        value = float(weights @ x) if x is not None else 0.0
        gap = (value - N) / N
        _report(progress, "nash", rounds, float(pi[active].min()), f"{M.shape[0]} panels, relative gap {gap:.2e}")
        if gap <= tol or x is None or not cols.add(x):
            break
        M = cols.matrix() / c
        lam = np.concatenate([lam * (1 - 1.0 / (rounds + 2)), [1.0 / (rounds + 2)]])
    stats = {"rounds": rounds, "pricing_calls": pricer.calls, "panels": len(cols.rows), "relative_gap": float(gap)}
    return _distribution(cols, lam, stats)


def legacy_panel(inst: Instance, rng: np.random.Generator, *, attempts: int = 100) -> list[int]:
    """One panel by the greedy draw used before 2021 (person indices).

    Repeatedly take the feature value whose unmet minimum is largest relative to the people still
    available with it (or, once every minimum is met, anyone), and pick a random available person
    with that value whose selection keeps every maximum; remove that person's household. Start
    again when stuck.
    """
    n, Q = inst.n, len(inst.quota_rows)
    pv = inst.person_values
    has = np.zeros((Q, n), dtype=bool)
    for j in range(pv.shape[1]):
        has[pv[:, j], np.arange(n)] = True
    hh = np.array(inst.person_household)
    for _ in range(attempts):
        avail = np.ones(n, dtype=bool)
        sel = np.zeros(Q, dtype=np.int64)
        chosen: list[int] = []
        ok = True
        while len(chosen) < inst.k:
            can = avail & ~np.any(has[sel >= inst.hi], axis=0)
            if not can.any():
                ok = False
                break
            need = inst.lo - sel
            avail_count = has[:, can].sum(axis=1)
            ratio = np.where(need > 0, need / np.maximum(avail_count, 1), -1.0)
            if ratio.max() > 0:
                q = int(rng.choice(np.flatnonzero(ratio == ratio.max())))
                cand = np.flatnonzero(can & has[q])
                if len(cand) == 0:
                    ok = False
                    break
            else:
                cand = np.flatnonzero(can)
            i = int(rng.choice(cand))
            chosen.append(i)
            sel += has[:, i]
            avail[i] = False
            if hh[i] >= 0:
                avail[hh == hh[i]] = False
        if ok and np.all(sel >= inst.lo) and np.all(sel <= inst.hi):
            return sorted(chosen)
    raise SortitionError(
        f"the greedy (legacy) draw failed {attempts} times in a row; try another method", code="legacy_failed"
    )


def legacy(inst: Instance, *, samples: int, rng: np.random.Generator, progress: ProgressFn = None) -> list[list[int]]:
    """``samples`` independent greedy panels (to estimate LEGACY's selection probabilities)."""
    panels = []
    for s in range(samples):
        panels.append(legacy_panel(inst, rng))
        if progress is not None and s % 100 == 0:
            _report(progress, "legacy", s, None, f"{s} of {samples} greedy draws to estimate the chances")
    return panels
