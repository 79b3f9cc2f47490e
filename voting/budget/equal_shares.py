"""The Method of Equal Shares (MES) with its completions and the comparison step.

Rule (Peters, Pierczyński & Skowron, arXiv:2008.13276). Every voter starts with an equal share of the
budget. A project ``p`` costs ``cost(p)``; voter ``i`` draws utility ``u_i(p)`` from it: their score
times the cost (``utility="cost"``) or their score (``utility="cardinality"``), the score being 1 for
an approval, the points for cumulative or scoring ballots, the rank score for ordinal ballots. A
project is *affordable for rho* when its supporters, each paying ``min(budget_i, rho * u_i(p))``, cover
its cost. At each step the project affordable for the smallest ``rho`` is funded and its supporters
pay; the rule stops when no project is affordable. For approval ballots with cost utilities,
``rho * cost`` is the price each supporter pays and ``1 / rho`` the project's *effective vote count*.

Completions, since MES alone leaves budget unspent:

``"add1"``
    Rerun MES with each voter's share raised by one currency unit (``increment``) at a time, and keep the
    last outcome whose cost is within the budget: raising stops when the next raise would overspend
    (``add1_stop="overspend"``, the rule behind the official Wieliczka 2023, Świecie 2023 and Assen
    2024 results), or already when an outcome is exhaustive (``add1_stop="exhaustive"``, pabutools'
    ``voter_budget_increment``). ``integral=True`` starts from the whole-unit share ``floor(B / n)``.
``"utilitarian"``
    Fill what is left greedily (see :func:`voting.budget.greedy`, same utility).
``"add1u"``
    ``"add1"`` then ``"utilitarian"``.

``comparison="satisfaction"`` or ``"exclusion"`` adds the equalshares.net comparison step (Pabulib rule
``equalshares/add1-comparison``): the completed MES outcome is replaced by the greedy outcome if
strictly more voters prefer the greedy one.

Exactness. MES runs in float64 with every decisive comparison checked against a relative margin of
``1e-9``: which project has the smallest ``rho`` and whether a project is still affordable. The float
error of a run is below ``1e-12`` relative (each budget goes through at most one subtraction per funded
project, sums run over at most millions of voters, and the voters paying the full price must cover at
least ``1e-4`` of a project's cost, else the exact path decides), so a comparison decided by more than
the margin is decided as exact arithmetic would decide it. When one is closer (an exact tie, say, or a
project its supporters can just afford), the run's budgets are rebuilt exactly by replaying its
purchases in rational arithmetic (:class:`fractions.Fraction`), the comparison is decided on them (ties
going to the tie-breaking rule), and the run keeps its exact budgets alongside the float ones while
close calls keep coming. Whether an outcome fits the budget is decided on exact integers or Fractions.
``exact=True`` runs everything in Fractions.

Identical ballots are grouped: voters with the same ballot always hold the same budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor
from time import perf_counter

import numpy as np

from voting.budget._common import RngLike, as_number, check_utility, greedy_fill, make_tiebreaker
from voting.budget._profile import Profile, build_profile
from voting.budget.errors import BudgetError, BudgetInputError
from voting.budget.model import Election, Number, _exact
from voting.budget.results import (
    BudgetResult,
    CandidateSupport,
    ComparisonStep,
    GreedyStep,
    MESStep,
    TieBreak,
)
from voting.budget.tiebreak import DEFAULT_TIE_BREAKING, TieBreaker

__all__ = ["equal_shares"]

MARGIN = 1e-9
# below this share of the cost left for the voters paying the full price, float cancellation could
# approach the margin: decide exactly
_CANCEL = 1e-4
COMPLETIONS = ("none", "add1", "utilitarian", "add1u")
COMPARISONS = (None, "satisfaction", "exclusion")
ADD1_STOPS = ("overspend", "exhaustive")


class _NearTie(Exception):
    """A decisive float comparison fell within the margin: decide it in exact arithmetic."""


@dataclass
class _Run:
    selected: list[int]
    total_cost: Number
    over_limit: bool = False
    steps: list[MESStep] = field(default_factory=list)
    ties: list[TieBreak] = field(default_factory=list)
    exact: bool = False


class _Prepared:
    """Per-project arrays for one profile and utility, reused by every run (float engine)."""

    def __init__(self, profile: Profile, utility: str) -> None:
        self.profile = profile
        self.utility = utility
        util = profile.utilities_f(utility)
        w = profile.weights.astype(np.float64)[profile.groups]
        self.idx: list[np.ndarray] = []
        self.u: list[np.ndarray] = []
        self.w: list[np.ndarray] = []
        self.wu: list[np.ndarray] = []
        self.w_sum = np.zeros(profile.m)
        self.wu_sum = np.zeros(profile.m)
        for p in range(profile.m):
            s = profile.supporters(p)
            self.idx.append(profile.groups[s])
            self.u.append(util[s])
            self.w.append(w[s])
            self.wu.append(w[s] * util[s])
            self.w_sum[p] = w[s].sum()
            self.wu_sum[p] = self.wu[p].sum()
        self.cost = profile.cost_f
        self.unit_price = profile.cost_f if utility == "cost" else np.ones(profile.m)
        # approval-like ballots: all supporters of a project draw the same utility from it
        self.uniform = profile.unit_scores
        self.unit_u = self.unit_price
        self._codes: list[np.ndarray] | None = None
        self._uvals: list[list[Number]] = []

    def exact_utilities(self) -> tuple[list[np.ndarray], list[list[Number]]]:
        """Per project: a code per supporter entry and the exact utility of each code."""
        if self._codes is None:
            prof = self.profile
            codes: list[np.ndarray] = []
            uvals: list[list[Number]] = []
            for p in range(prof.m):
                s = prof.supporters(p)
                if prof.unit_scores:
                    codes.append(np.zeros(s.stop - s.start, dtype=np.int64))
                    uvals.append([prof.costs[p] if self.utility == "cost" else 1])
                    continue
                table: dict[Number, int] = {}
                code = [
                    table.setdefault(prof.utility_exact(e, p, self.utility), len(table))
                    for e in range(s.start, s.stop)
                ]
                codes.append(np.asarray(code, dtype=np.int64))
                uvals.append(list(table))
            self._codes, self._uvals = codes, uvals
        return self._codes, self._uvals


def _rho_float(
    prep: _Prepared, p: int, b: np.ndarray, start: float = 0.0, stop: float = float("inf")
) -> float | None:
    """Smallest rho with sum_i w_i min(b_i, rho u_i) = cost, or None when unaffordable.

    Newton iteration from below on the concave ``rho -> sum_i w_i min(b_i, rho u_i)``: assume the voters
    who cannot pay the current rho pay all they have and the others share the rest. Started at a lower
    bound (``start``, e.g. the project's rho at an earlier step, since budgets only shrink), it stays
    below the answer and the set of such voters only grows, so a stable count means done. Once an
    iterate exceeds ``stop`` the project cannot win the step: that iterate is returned as a lower bound.
    """
    # no BLAS here: OpenBLAS threads its dot product above ~10k elements, which on a busy machine costs
    # a millisecond per call instead of microseconds; plain ufunc reductions stay single-threaded
    idx, w = prep.idx[p], prep.w[p]
    bb = b[idx]
    cost = prep.cost[p]
    wb = w * bb
    money = float(wb.sum())
    if money < cost * (1 - MARGIN):
        return None
    if money <= cost * (1 + MARGIN):
        raise _NearTie
    if prep.uniform:
        # every supporter draws the same utility: work with the price per voter q = rho * u
        unit = prep.unit_u[p]
        total_w = prep.w_sum[p]
        q = max(cost / total_w, start * unit)
        poor = np.flatnonzero(bb < q)
        while len(poor):
            rest = cost - float(wb[poor].sum())
            if rest < _CANCEL * cost:
                raise _NearTie  # the rich pay almost nothing: too much cancellation for floats
            q = rest / (total_w - float(w[poor].sum()))  # integer-valued weights: exact difference
            if q > stop * unit:
                break
            new_poor = np.flatnonzero(bb < q)
            if len(new_poor) == len(poor):
                break
            poor = new_poor
        return q / unit
    u, wu = prep.u[p], prep.wu[p]
    wu_sum = prep.wu_sum[p]
    rho = max(cost / wu_sum, start)
    poor = np.flatnonzero(bb < rho * u)
    while len(poor):
        rest = cost - float(wb[poor].sum())
        if rest < _CANCEL * cost:
            raise _NearTie
        if 2 * len(poor) > len(bb):
            rich = np.ones(len(bb), dtype=bool)
            rich[poor] = False
            rich_wu = float(wu[rich].sum())
        else:
            rich_wu = wu_sum - float(wu[poor].sum())
        rho = rest / rich_wu
        if rho > stop:
            break
        new_poor = np.flatnonzero(bb < rho * u)
        if len(new_poor) == len(poor):
            break
        poor = new_poor
    return rho


def _candidate_float(prep: _Prepared, p: int, b: np.ndarray, rho: float | None) -> CandidateSupport:
    money = float((prep.w[p] * b[prep.idx[p]]).sum())
    prof = prep.profile
    if rho is None:
        return CandidateSupport(prof.ids[p], False, money, None, None, None)
    price = rho * prep.unit_price[p]
    return CandidateSupport(prof.ids[p], True, money, rho, price, prep.cost[p] / price)


class _ExactState:
    """Exact budgets in rational arithmetic, stored compactly.

    Voters who bought the same projects at the same prices hold the same budget, so budgets are kept as
    a class per group and one Fraction per class. A project's supporters are aggregated by (budget
    class, utility) before any Fraction is touched, so an exact step costs a numpy pass over the
    supporters plus a few Fraction operations per distinct budget.
    """

    def __init__(self, prep: _Prepared, share: Fraction) -> None:
        self.prep = prep
        self.codes, self.uvals = prep.exact_utilities()
        self.cls = np.zeros(prep.profile.n_groups, dtype=np.int64)
        self.vals: list[Fraction] = [Fraction(share)]
        self.vals_f: list[float] = [float(share)]
        self.zero: int | None = None

    def _pairs(self, p: int) -> tuple[np.ndarray, np.ndarray, list[tuple[Fraction, Number, int]]]:
        n_codes = len(self.uvals[p])
        key = self.cls[self.prep.idx[p]] * n_codes + self.codes[p]
        uniq, inv = np.unique(key, return_inverse=True)
        weights = np.bincount(inv, weights=self.prep.w[p]).astype(np.int64).tolist()
        u = self.uvals[p]
        items = [
            (self.vals[k // n_codes], u[k % n_codes], w) for k, w in zip(uniq.tolist(), weights, strict=True)
        ]
        return uniq, inv, items

    def money(self, p: int) -> Fraction:
        return sum((w * b for b, _, w in self._pairs(p)[2]), Fraction(0))

    def rho(self, p: int) -> Fraction | None:
        """Smallest rho with sum w min(b, rho u) = cost, or None when unaffordable."""
        cost = self.prep.profile.costs[p]
        items = self._pairs(p)[2]
        if sum((w * b for b, _, w in items), Fraction(0)) < cost:
            return None
        items.sort(key=lambda it: it[0] / it[1])
        rich_wu = sum(w * u for _, u, w in items)
        paid = Fraction(0)
        for b, u, w in items:
            rho = (cost - paid) / rich_wu
            if b >= rho * u:
                return rho
            paid += w * b
            rich_wu -= w * u
        # everybody pays all they hold: the money equals the cost exactly
        return max(b / u for b, u, _ in items)

    def pay(self, p: int, rho: Fraction | None) -> Fraction:
        """Charge project p at rho (computed if None); returns rho."""
        if rho is None:
            rho = self.rho(p)
            assert rho is not None, "a bought project is affordable"
        uniq, inv, items = self._pairs(p)
        new_ids = []
        for b, u, _ in items:
            due = rho * u
            if b > due:
                self.vals.append(b - due)
                self.vals_f.append(float(b - due))
                new_ids.append(len(self.vals) - 1)
            else:
                if self.zero is None:
                    self.vals.append(Fraction(0))
                    self.vals_f.append(0.0)
                    self.zero = len(self.vals) - 1
                new_ids.append(self.zero)
        self.cls[self.prep.idx[p]] = np.asarray(new_ids, dtype=np.int64)[inv]
        return rho

    def budgets_f(self, idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.vals_f)[self.cls[idx]]

    def is_full(self, p: int, rho: Fraction) -> np.ndarray:
        """Per supporter entry of p (before paying): could it pay the full share rho * u?"""
        n_codes = len(self.uvals[p])
        key = self.cls[self.prep.idx[p]] * n_codes + self.codes[p]
        uniq, inv = np.unique(key, return_inverse=True)
        u = self.uvals[p]
        ok = [self.vals[k // n_codes] >= rho * u[k % n_codes] for k in uniq.tolist()]
        return np.asarray(ok, dtype=bool)[inv]


def _replay(prep: _Prepared, share: Fraction, bought: Sequence[int]) -> _ExactState:
    state = _ExactState(prep, share)
    for p in bought:
        state.pay(p, None)
    return state


def _run_float(prep: _Prepared, share: Fraction, tb: TieBreaker, limit: Number | None, record: bool) -> _Run:
    """One MES run in float64; comparisons closer than the margin are decided on exact shadow budgets."""
    prof = prep.profile
    b = np.full(prof.n_groups, float(share))
    alive: set[int] = set()
    lb: dict[int, float] = {}
    for p in range(prof.m):
        if prof.votes[p] == 0:
            continue
        money = prep.w_sum[p] * float(share)
        if money < prep.cost[p] * (1 - MARGIN):
            continue
        if money <= prep.cost[p] * (1 + MARGIN) and int(prof.votes[p]) * share < prof.costs[p]:
            continue  # decided exactly: every supporter still holds the starting share
        alive.add(p)
        lb[p] = prep.cost[p] / prep.wu_sum[p]
    run = _Run([], 0)
    # exact budgets, rebuilt by replaying the purchases when a comparison is too close for floats; dropped
    # again after the step unless close calls keep coming (then kept up to date instead of replayed)
    shadow: _ExactState | None = None
    replays = 0
    while alive:
        order = sorted(alive, key=lb.__getitem__)
        evals: dict[int, float] = {}
        exact_rho: dict[int, Fraction] = {}
        best = float("inf")
        dead: list[int] = []
        for p in order:
            if not record and lb[p] > best * (1 + MARGIN):
                break
            stop = float("inf") if record else best * (1 + MARGIN)
            try:
                rho = _rho_float(prep, p, b, lb[p], stop)
                if rho is not None and rho > stop:
                    lb[p] = rho  # a lower bound only: p cannot win this step
                    continue
            except _NearTie:
                if shadow is None:
                    shadow = _replay(prep, share, run.selected)
                    replays += 1
                r = shadow.rho(p)
                rho = None if r is None else float(r)
                if r is not None:
                    exact_rho[p] = r
            if rho is None:
                dead.append(p)
                continue
            lb[p] = rho
            evals[p] = rho
            best = min(best, rho)
        alive.difference_update(dead)
        if not evals:
            break
        tied = sorted(p for p, r in evals.items() if r <= best * (1 + MARGIN))
        win_exact: Fraction | None = None
        if len(tied) > 1:
            if shadow is None:
                shadow = _replay(prep, share, run.selected)
                replays += 1
            for p in tied:
                if p not in exact_rho:
                    r = shadow.rho(p)
                    assert r is not None, "affordable by a margin in float"
                    exact_rho[p] = r
            least = min(exact_rho[p] for p in tied)
            tied = [p for p in tied if exact_rho[p] == least]
        win, decided = tb.choose(tied)
        if len(tied) > 1:
            run.ties.append(
                TieBreak(len(run.selected), tuple(prof.ids[p] for p in tied), prof.ids[win], decided)
            )
        if record:
            cands = [
                _candidate_float(prep, p, b, evals.get(p))
                for p in range(prof.m)
                if p not in run.selected and prof.votes[p] > 0
            ]
            cands.sort(key=lambda c: (not c.affordable, c.rho if c.rho is not None else 0.0))
        idx, u, w = prep.idx[win], prep.u[win], prep.w[win]
        bb = b[idx]
        if shadow is None and record:
            # the explanation counts who paid in full: decide voters holding just the price exactly
            due = evals[win] * u
            if np.any(np.abs(bb - due) <= MARGIN * due):
                shadow = _replay(prep, share, run.selected)
                replays += 1
        if shadow is not None:
            win_exact = exact_rho.get(win)
            if win_exact is None:
                win_exact = shadow.rho(win)
                assert win_exact is not None, "the winner is affordable"
            if record:
                bb = shadow.budgets_f(idx)
                full = shadow.is_full(win, win_exact)
            shadow.pay(win, win_exact)
            rho = float(win_exact)
            b[idx] = shadow.budgets_f(idx)
            if replays <= 3:
                shadow = None
        else:
            rho = evals[win]
            due = rho * u
            full = bb >= due
            b[idx] = np.where(full, bb - due, 0.0)
        alive.discard(win)
        run.selected.append(win)
        run.total_cost += prof.costs[win]
        if record:
            price = rho * prep.unit_price[win]
            run.steps.append(
                MESStep(
                    prof.ids[win],
                    prof.costs[win],
                    rho,
                    price,
                    prep.cost[win] / price,
                    int(w[full].sum()),
                    int(w[(~full) & (bb > 0)].sum()),
                    tuple(cands),
                )
            )
        if limit is not None and run.total_cost > limit:
            run.over_limit = True
            return run
    return run


def _run_exact(prep: _Prepared, share: Fraction, tb: TieBreaker, limit: Number | None, record: bool) -> _Run:
    """One MES run entirely in rational arithmetic."""
    prof = prep.profile
    state = _ExactState(prep, share)
    codes, uvals = prep.exact_utilities()
    alive = {p for p in range(prof.m) if prof.votes[p] > 0}
    lb: dict[int, Fraction] = {}
    for p in alive:
        wu = sum(
            (int(w) * uvals[p][c] for w, c in zip(prep.w[p].tolist(), codes[p].tolist(), strict=True)), 0
        )
        lb[p] = Fraction(prof.costs[p]) / wu
    run = _Run([], 0, exact=True)
    unit = prof.costs if prep.utility == "cost" else [1] * prof.m
    while alive:
        order = sorted(alive, key=lambda p: (lb[p], p))
        evals: dict[int, Fraction] = {}
        best: Fraction | None = None
        dead = []
        for p in order:
            if not record and best is not None and lb[p] > best:
                break
            rho = state.rho(p)
            if rho is None:
                dead.append(p)
                continue
            lb[p] = rho
            evals[p] = rho
            best = rho if best is None else min(best, rho)
        alive.difference_update(dead)
        if not evals:
            break
        tied = sorted(p for p, r in evals.items() if r == best)
        win, decided = tb.choose(tied)
        if len(tied) > 1:
            run.ties.append(
                TieBreak(len(run.selected), tuple(prof.ids[p] for p in tied), prof.ids[win], decided)
            )
        rho = evals[win]
        if record:
            cands = []
            for p in range(prof.m):
                if p in run.selected or prof.votes[p] == 0:
                    continue
                money = float(state.money(p))
                r = evals.get(p)
                if r is None:
                    cands.append(CandidateSupport(prof.ids[p], False, money, None, None, None))
                else:
                    price = r * unit[p]
                    cands.append(
                        CandidateSupport(
                            prof.ids[p], True, money, float(r), float(price), float(prof.costs[p] / price)
                        )
                    )
            cands.sort(key=lambda c: (not c.affordable, c.rho if c.rho is not None else 0.0))
            before = state.budgets_f(prep.idx[win])
            full = state.is_full(win, rho)
        state.pay(win, rho)
        alive.discard(win)
        run.selected.append(win)
        run.total_cost += prof.costs[win]
        if record:
            w = prep.w[win]
            price = rho * unit[win]
            run.steps.append(
                MESStep(
                    prof.ids[win],
                    prof.costs[win],
                    float(rho),
                    float(price),
                    float(prof.costs[win] / price),
                    int(w[full].sum()),
                    int(w[(~full) & (before > 0)].sum()),
                    tuple(cands),
                )
            )
        if limit is not None and run.total_cost > limit:
            run.over_limit = True
            return run
    return run


def _run(
    prep: _Prepared, share: Fraction, tb: TieBreaker, *, limit: Number | None, record: bool, exact: bool
) -> _Run:
    if exact:
        return _run_exact(prep, share, tb, limit, record)
    return _run_float(prep, share, tb, limit, record)


def _stable_range(
    prep: _Prepared, share: float, selected: Sequence[int], need: float = 0.0, deadline: float = float("inf")
) -> float:
    """How far each voter's share can rise above ``share`` with MES still making the same decisions.

    Replays the run at ``share`` (which bought ``selected``, in order) in float64, carrying the derivative of
    every voter's budget with respect to the share. As long as, at every step, the same supporters of each
    candidate pay in full, the same candidates are affordable and the same one has the least ``rho``,
    budgets, prices and ``rho`` are affine in the share (a full payment ``rho * u`` where ``rho =
    (cost - money of those paying all they have) / (utility of the others)``). So the run makes the same
    decisions for every share in ``[share, share + delta)``, where ``delta`` is the first root of the affine
    margins now positive: a candidate's money against its cost, a supporter's budget against its full
    payment, a candidate's ``rho`` against the winner's, and, after the last step, the money of every
    candidate left against its cost. Returns that ``delta`` (``inf`` when no margin shrinks), or 0 when a
    margin is already within float accuracy of zero (a near tie, decided exactly in the run itself).
    Stops early with what it has found once ``delta`` is below ``need`` (too small to be of use), and gives
    up (0) past ``deadline`` (a ``time.perf_counter`` value).
    """
    prof = prep.profile
    b = np.full(prof.n_groups, share)
    db = np.ones(prof.n_groups)
    alive = [p for p in range(prof.m) if prof.votes[p] > 0 and p not in set(selected)]
    alive += list(selected)
    delta = float("inf")
    tol = 1e-7  # relative: far above the float error of a run (module docstring), far below a real margin

    class _Enough(Exception):
        pass

    def bound(value: float) -> None:
        nonlocal delta
        delta = min(delta, value)
        if delta < need:
            raise _Enough

    def shrink(f: np.ndarray, df: np.ndarray, scale: np.ndarray | float, dscale: np.ndarray | float) -> float:
        """Smallest root of the margins ``f + df * t`` (now >= 0) for t > 0.

        A margin within float accuracy of zero is fine if it stays there (identical projects tied for
        good, a budget that is exactly its payment for good) or opens up; if it closes, the decision
        changes right above ``share``: raises _NearTie.
        """
        near = f <= tol * np.maximum(scale, 1e-300)
        flat = np.abs(df) <= tol * np.maximum(dscale, 1e-300)
        if np.any(near & ~flat & (df < 0)):
            raise _NearTie
        falling = (df < 0) & ~near & ~flat
        return float(np.min(f[falling] / -df[falling])) if np.any(falling) else float("inf")

    try:
        for t in range(len(selected) + 1):
            rhos: dict[int, tuple[float, float]] = {}
            # the winner first: its payers' margins are the likeliest to be small, and a small one ends the replay
            first = [selected[t]] if t < len(selected) and selected[t] in alive else []
            for p in first + [q for q in alive if not first or q != first[0]]:
                if perf_counter() > deadline:
                    raise _NearTie  # not worth more time: treated as "cannot skip"
                idx, u, w = prep.idx[p], prep.u[p], prep.w[p]
                bb, dbb = b[idx], db[idx]
                cost = prep.cost[p]
                money, dmoney = float((w * bb).sum()), float((w * dbb).sum())
                dscale = float((w * np.abs(dbb)).sum())
                if money < cost * (1 - tol):
                    bound(shrink(np.array([cost - money]), np.array([-dmoney]), cost, dscale))
                    continue
                bound(shrink(np.array([money - cost]), np.array([dmoney]), cost, dscale))
                rho = _rho_float(prep, p, b)
                assert rho is not None
                due = rho * u
                poor = bb < due
                rich_wu = float((w * u)[~poor].sum())
                if rich_wu <= 0:
                    raise _NearTie
                drho = -float((w * dbb)[poor].sum()) / rich_wu
                f = np.where(poor, due - bb, bb - due)
                df = np.where(poor, drho * u - dbb, dbb - drho * u)
                bound(shrink(f, df, due, np.abs(drho * u) + np.abs(dbb)))
                rhos[p] = (rho, drho)
            if t == len(selected):
                if rhos:  # the run stopped with a project still affordable: not the same run
                    return 0.0
                break
            win = selected[t]
            if win not in rhos:
                return 0.0
            rho_w, drho_w = rhos.pop(win)
            if rhos:
                others = np.array([r for r, _ in rhos.values()])
                d_others = np.array([d for _, d in rhos.values()])
                bound(shrink(others - rho_w, d_others - drho_w, rho_w,
                                          np.abs(d_others) + abs(drho_w)))
            idx, u = prep.idx[win], prep.u[win]
            bb, dbb = b[idx], db[idx]
            due = rho_w * u
            full = bb >= due
            b[idx] = np.where(full, bb - due, 0.0)
            db[idx] = np.where(full, dbb - drho_w * u, 0.0)
            alive.remove(win)
    except _NearTie:
        return 0.0
    except _Enough:
        return delta
    return delta


def _is_exhaustive(profile: Profile, selected: Sequence[int]) -> bool:
    chosen = set(selected)
    left = profile.budget - sum(profile.costs[p] for p in chosen)
    return all(p in chosen or profile.costs[p] > left for p in range(profile.m))


def _voter_values(profile: Profile, selected: Sequence[int], measure: str) -> np.ndarray:
    """Per group: total score of funded projects (satisfaction) or 1/0 for having one (exclusion)."""
    funded = np.zeros(profile.m, dtype=bool)
    funded[list(selected)] = True
    gp = profile.group_projects
    contrib = np.where(funded[gp], profile.group_scores_f, 0.0)
    group_of_entry = np.repeat(np.arange(profile.n_groups), np.diff(profile.group_ptr))
    per_group = np.bincount(group_of_entry, weights=contrib, minlength=profile.n_groups)
    if measure == "exclusion":
        return (per_group > 0).astype(np.float64)
    return per_group


def equal_shares(
    election: Election,
    *,
    utility: str = "cost",
    completion: str = "none",
    comparison: str | None = None,
    add1_stop: str = "overspend",
    increment: Number | str = 1,
    integral: bool = False,
    tie_breaking: Sequence[str] | str = DEFAULT_TIE_BREAKING,
    rng: RngLike = None,
    exact: bool = False,
    explain: bool = True,
    max_runs: int = 100_000,
    skip_ahead: bool = True,
) -> BudgetResult:
    """Method of Equal Shares, optionally completed (add1, utilitarian) and compared with greedy.

    Parameters
    ----------
    election : Election
        Any vote type; see the module docstring for the utilities.
    utility : {"cost", "cardinality"}
    completion : {"none", "add1", "utilitarian", "add1u"}
    comparison : {None, "satisfaction", "exclusion"}
        The equalshares.net comparison step with the greedy outcome.
    add1_stop : {"overspend", "exhaustive"}
        When add1 stops raising the shares (module docstring).
    increment : int, Fraction or str
        The add1 raise of each voter's share, in currency units.
    integral : bool
        add1 starts from the whole-unit share ``floor(budget / n)``.
    tie_breaking : sequence of str
        See :mod:`voting.budget.tiebreak`.
    rng : None, int or numpy.random.Generator
        Only used by the ``"lot"`` criterion.
    exact : bool
        Run every MES step in Fractions instead of floats with exact decisions of close calls.
    explain : bool
        Record each step's candidates (price per voter, effective votes); costs one extra pass.
    skip_ahead : bool
        add1 skips raises proven to give the same outcome as the current one (float runs only; see the
        comments in the add1 loop); ``False`` runs every raise. The result is the same either way.
    max_runs : int
        add1 gives up with :class:`~voting.budget.errors.BudgetError` (code ``"add1_runs"``) after this
        many MES runs; an election with few voters and a large budget may need a larger ``increment``.

    Returns
    -------
    BudgetResult
        ``steps`` holds one :class:`~voting.budget.results.MESStep` per funded project (then the
        completion's greedy steps); ``per_voter_budget`` the share of the final run.

    Examples
    --------
    The textbook case: three voters approve a1, a2, a3; two approve b1, b2; unit costs, budget 3.

    >>> from voting.budget import make_election
    >>> ballots = [["a1", "a2", "a3"]] * 3 + [["b1", "b2"]] * 2
    >>> e = make_election([(p, 1) for p in ("a1", "a2", "a3", "b1", "b2")], ballots, 3)
    >>> equal_shares(e).selected
    ('a1', 'b1')
    >>> equal_shares(e, completion="utilitarian").selected
    ('a1', 'b1', 'a2')
    """
    check_utility(utility)
    if completion not in COMPLETIONS:
        raise BudgetInputError(
            f"completion must be one of {', '.join(COMPLETIONS)}",
            code="bad_completion",
            field="completion",
            value=str(completion),
        )
    if comparison not in COMPARISONS:
        raise BudgetInputError(
            "comparison must be None, 'satisfaction' or 'exclusion'",
            code="bad_comparison",
            field="comparison",
            value=str(comparison),
        )
    if add1_stop not in ADD1_STOPS:
        raise BudgetInputError(
            "add1_stop must be 'overspend' or 'exhaustive'",
            code="bad_add1_stop",
            field="add1_stop",
            value=str(add1_stop),
        )
    inc = Fraction(_exact(increment, what="increment"))
    if inc <= 0:
        raise BudgetInputError("increment must be positive", code="bad_increment", field="increment")
    profile = build_profile(election)
    tb, seed = make_tiebreaker(tie_breaking, profile, rng)
    prep = _Prepared(profile, utility)
    n = profile.n_voters
    budget = election.budget
    share = Fraction(budget) / n
    if integral and completion in ("add1", "add1u"):
        share = Fraction(floor(share))
    runs = computed = 1
    record_now = explain and completion not in ("add1", "add1u")
    t_first = perf_counter()
    current = _run(prep, share, tb, limit=None, record=record_now, exact=exact)
    first_run_time = perf_counter() - t_first
    if completion in ("add1", "add1u"):
        supported = int((profile.votes > 0).sum())
        # Skipping ahead (float runs only): when the run at the current share provably makes the same decisions
        # up to some larger share (_stable_range), every raise before it gives the same outcome, which fits, so
        # add1 would have accepted each of them: go straight to the last one and check it with one real run.
        # Outcomes, final share and the count of raises (mes_runs) are those of raising one increment at a time.
        # Where outcomes change at nearly every raise (many voters), attempts back off, each gives up after the
        # time of two runs (or a tenth of the run time so far, or 5 ms), and none starts while they have cost
        # more than a tenth of the time spent on runs (timing only decides whether to try, never the result).
        wait, backoff, just_jumped = 0, 1, False
        run_time, replay_time, n_timed = first_run_time, 0.0, 1
        while True:
            if add1_stop == "exhaustive" and _is_exhaustive(profile, current.selected):
                break
            if len(current.selected) == supported:
                break
            if runs >= max_runs:
                raise BudgetError(
                    f"add1 did not finish within {max_runs} MES runs (share {float(share):.2f}); "
                    "use a larger increment or max_runs",
                    code="add1_runs",
                    field="max_runs",
                )
            if skip_ahead and not exact and not just_jumped and wait == 0 and replay_time <= 0.1 * run_time:
                t0 = perf_counter()
                allowance = max(2 * run_time / n_timed, 0.1 * run_time - replay_time, 0.005)
                delta = _stable_range(prep, float(share), current.selected, need=2 * float(inc),
                                      deadline=t0 + allowance)
                replay_time += perf_counter() - t0
                steps = max_runs - runs
                if delta != float("inf"):
                    margin = delta * (1 - 1e-6) - 1e-9 * float(share)
                    steps = min(steps, max(0, floor(margin / float(inc)))) if margin > 0 else 0
                if steps >= 2:
                    target = share + steps * inc
                    check = _run(prep, target, tb, limit=budget, record=False, exact=False)
                    computed += 1
                    if check.selected == current.selected and not check.over_limit:
                        share, current, runs = target, check, runs + steps
                        just_jumped, backoff = True, 1
                        continue
                wait, backoff = backoff, 2 * backoff
            elif wait:
                wait -= 1
            just_jumped = False
            t0 = perf_counter()
            nxt = _run(prep, share + inc, tb, limit=budget, record=False, exact=exact)
            run_time += perf_counter() - t0
            n_timed += 1
            runs += 1
            computed += 1
            if nxt.over_limit or nxt.total_cost > budget:
                break
            share += inc
            current = nxt
        if explain:
            current = _run(prep, share, tb, limit=None, record=True, exact=exact)
    selected = list(current.selected)
    ties = list(current.ties)
    steps: list[MESStep | GreedyStep] = list(current.steps)
    added: list[int] = []
    if completion in ("utilitarian", "add1u"):
        fill_ties: list[TieBreak] = []
        added, fill_steps = greedy_fill(profile, utility=utility, already=selected, tb=tb, ties=fill_ties)
        selected += added
        steps += fill_steps
        ties += fill_ties
    comp: ComparisonStep | None = None
    if comparison is not None:
        g_ties: list[TieBreak] = []
        g_sel, g_steps = greedy_fill(profile, utility=utility, already=(), tb=tb, ties=g_ties)
        w = profile.weights
        mes_v = _voter_values(profile, selected, comparison)
        gr_v = _voter_values(profile, g_sel, comparison)
        prefer_mes = int(w[mes_v > gr_v].sum())
        prefer_greedy = int(w[gr_v > mes_v].sum())
        kept = "greedy" if prefer_greedy > prefer_mes else "mes"
        comp = ComparisonStep(
            comparison,
            prefer_mes,
            prefer_greedy,
            kept,
            tuple(profile.ids[p] for p in g_sel),
            tuple(profile.ids[p] for p in selected),
        )
        if kept == "greedy":
            selected, steps, ties, added = list(g_sel), list(g_steps), g_ties, []
    total = sum(profile.costs[p] for p in selected)
    return BudgetResult(
        rule="equal_shares",
        selected=tuple(profile.ids[p] for p in selected),
        total_cost=as_number(total),
        budget=budget,
        leftover=as_number(budget - total),
        votes=tuple(int(profile.votes[p]) for p in selected),
        options={
            "utility": utility,
            "completion": completion,
            "comparison": comparison,
            "add1_stop": add1_stop if completion in ("add1", "add1u") else None,
            "increment": as_number(inc),
            "integral": integral,
            "tie_breaking": list(tb.criteria),
            "exact": exact,
        },
        steps=tuple(steps),
        ties=tuple(ties),
        completion_added=tuple(profile.ids[p] for p in added),
        per_voter_budget=share,
        mes_runs=runs,
        mes_runs_computed=computed + (1 if explain and completion in ("add1", "add1u") else 0),
        comparison=comp,
        seed=seed,
    )
