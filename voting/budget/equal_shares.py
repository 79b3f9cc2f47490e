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
project, sums run over at most millions of voters), so a comparison decided by more than the margin is
decided as exact arithmetic would decide it. When one is closer (an exact tie, say, or a project its
supporters can just afford), the run's budgets are rebuilt exactly by replaying its purchases in
rational arithmetic (:class:`fractions.Fraction`), the comparison is decided on them (ties going to the
tie-breaking rule), and from then on the run keeps its exact budgets alongside the float ones. Whether
an outcome fits the budget is decided on exact integers or Fractions. ``exact=True`` runs everything in
Fractions.

Identical ballots are grouped: voters with the same ballot always hold the same budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor

import numpy as np

from voting.budget._common import RngLike, as_number, check_utility, greedy_fill, make_tiebreaker
from voting.budget._profile import Profile, build_profile
from voting.budget.errors import BudgetInputError
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
        self._exact_entries: list[list[tuple[int, int, Number]]] | None = None

    def exact_entries(self) -> list[list[tuple[int, int, Number]]]:
        """Per project: (group, weight, exact utility) of its supporters."""
        if self._exact_entries is None:
            prof = self.profile
            wl = prof.weights.tolist()
            out = []
            for p in range(prof.m):
                s = prof.supporters(p)
                out.append(
                    [
                        (g, wl[g], prof.utility_exact(e, p, self.utility))
                        for e, g in zip(range(s.start, s.stop), prof.groups[s].tolist(), strict=True)
                    ]
                )
            self._exact_entries = out
        return self._exact_entries


def _rho_float(prep: _Prepared, p: int, b: np.ndarray) -> float | None:
    """Smallest rho with sum_i w_i min(b_i, rho u_i) = cost, or None when unaffordable."""
    idx, u, w, wu = prep.idx[p], prep.u[p], prep.w[p], prep.wu[p]
    bb = b[idx]
    cost = prep.cost[p]
    money = float(w @ bb)
    if money < cost * (1 - MARGIN):
        return None
    if money <= cost * (1 + MARGIN):
        raise _NearTie
    rho = cost / prep.wu_sum[p]
    poor = bb < rho * u
    if not poor.any():
        return rho
    for _ in range(10_000):
        rich = ~poor
        rho = (cost - float(w[poor] @ bb[poor])) / float(wu[rich].sum())
        new_poor = bb < rho * u
        if np.array_equal(new_poor, poor):
            return rho
        poor = new_poor
    raise AssertionError("rho iteration did not converge")  # pragma: no cover


def _candidate_float(prep: _Prepared, p: int, b: np.ndarray, rho: float | None) -> CandidateSupport:
    money = float(prep.w[p] @ b[prep.idx[p]])
    prof = prep.profile
    if rho is None:
        return CandidateSupport(prof.ids[p], False, money, None, None, None)
    price = rho * prep.unit_price[p]
    return CandidateSupport(prof.ids[p], True, money, rho, price, prep.cost[p] / price)


class _Shadow:
    """Exact budgets of a float run, built on demand by replaying its purchases in Fractions."""

    def __init__(self, prep: _Prepared, share: Fraction, bought: Sequence[int]) -> None:
        self.prep = prep
        self.entries = prep.exact_entries()
        self.b = [Fraction(share)] * prep.profile.n_groups
        for p in bought:
            self.pay(p, None)

    def rho(self, p: int) -> Fraction | None:
        return _rho_exact(self.entries[p], self.prep.profile.costs[p], self.b)

    def pay(self, p: int, rho: Fraction | None) -> Fraction:
        if rho is None:
            rho = self.rho(p)
            assert rho is not None, "a bought project was affordable"
        b = self.b
        for g, _, u in self.entries[p]:
            due = rho * u
            b[g] = b[g] - due if b[g] >= due else Fraction(0)
        return rho


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
    shadow: _Shadow | None = None
    while alive:
        order = sorted(alive, key=lb.__getitem__)
        evals: dict[int, float] = {}
        exact_rho: dict[int, Fraction] = {}
        best = float("inf")
        dead: list[int] = []
        for p in order:
            if not record and lb[p] > best * (1 + MARGIN):
                break
            try:
                rho = _rho_float(prep, p, b)
            except _NearTie:
                if shadow is None:
                    shadow = _Shadow(prep, share, run.selected)
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
                shadow = _Shadow(prep, share, run.selected)
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
        if shadow is not None:
            win_exact = shadow.pay(win, exact_rho.get(win))
            rho = float(win_exact)
            due = rho * u
            after = np.array([float(shadow.b[g]) for g in idx.tolist()])
            full = (after > 0) | (bb >= due)
            b[idx] = after
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


def _rho_exact(entries: list[tuple[int, int, Number]], cost: Number, b: list[Fraction]) -> Fraction | None:
    money = sum(w * b[g] for g, w, _ in entries)
    if money < cost:
        return None
    wu_sum = sum(w * u for _, w, u in entries)
    rho = Fraction(cost) / wu_sum
    poor = frozenset(k for k, (g, _, u) in enumerate(entries) if b[g] < rho * u)
    while poor:
        paid = sum(entries[k][1] * b[entries[k][0]] for k in poor)
        denom = sum(w * u for k, (_, w, u) in enumerate(entries) if k not in poor)
        if denom == 0:
            # every supporter pays all it has: only possible when money == cost exactly
            return max(b[g] / u for g, _, u in entries)
        rho = (Fraction(cost) - paid) / denom
        new_poor = frozenset(k for k, (g, _, u) in enumerate(entries) if b[g] < rho * u)
        if new_poor == poor:
            break
        poor = new_poor
    return rho


def _run_exact(prep: _Prepared, share: Fraction, tb: TieBreaker, limit: Number | None, record: bool) -> _Run:
    prof = prep.profile
    entries = prep.exact_entries()
    b = [Fraction(share)] * prof.n_groups
    alive = {p for p in range(prof.m) if prof.votes[p] > 0}
    lb: dict[int, Fraction] = {
        p: Fraction(prof.costs[p]) / sum(w * u for _, w, u in entries[p]) for p in alive
    }
    run = _Run([], 0, exact=True)
    step = 0
    while alive:
        order = sorted(alive, key=lambda p: (lb[p], p))
        evals: dict[int, Fraction] = {}
        best: Fraction | None = None
        dead = []
        for p in order:
            if not record and best is not None and lb[p] > best:
                break
            rho = _rho_exact(entries[p], prof.costs[p], b)
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
            run.ties.append(TieBreak(step, tuple(prof.ids[p] for p in tied), prof.ids[win], decided))
        rho = evals[win]
        if record:
            cands = []
            for p in range(prof.m):
                if p in run.selected or prof.votes[p] == 0:
                    continue
                money = float(sum(w * b[g] for g, w, _ in entries[p]))
                r = evals.get(p)
                if r is None:
                    cands.append(CandidateSupport(prof.ids[p], False, money, None, None, None))
                else:
                    price = r * (prof.costs[p] if prep.utility == "cost" else 1)
                    cands.append(
                        CandidateSupport(
                            prof.ids[p], True, money, float(r), float(price), float(prof.costs[p] / price)
                        )
                    )
            cands.sort(key=lambda c: (not c.affordable, c.rho if c.rho is not None else 0.0))
        full_w = partial_w = 0
        for g, w, u in entries[win]:
            due = rho * u
            if b[g] >= due:
                b[g] = b[g] - due
                full_w += w
            else:
                if b[g] > 0:
                    partial_w += w
                b[g] = Fraction(0)
        alive.discard(win)
        run.selected.append(win)
        run.total_cost += prof.costs[win]
        if record:
            price = rho * (prof.costs[win] if prep.utility == "cost" else 1)
            run.steps.append(
                MESStep(
                    prof.ids[win],
                    prof.costs[win],
                    float(rho),
                    float(price),
                    float(prof.costs[win] / price),
                    full_w,
                    partial_w,
                    tuple(cands),
                )
            )
        step += 1
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
        Run every MES step in Fractions instead of floats confirmed by exact reruns.
    explain : bool
        Record each step's candidates (price per voter, effective votes); costs one extra pass.

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
    runs = 1
    record_now = explain and completion not in ("add1", "add1u")
    current = _run(prep, share, tb, limit=None, record=record_now, exact=exact)
    if completion in ("add1", "add1u"):
        supported = int((profile.votes > 0).sum())
        while True:
            if add1_stop == "exhaustive" and _is_exhaustive(profile, current.selected):
                break
            if len(current.selected) == supported:
                break
            nxt = _run(prep, share + inc, tb, limit=budget, record=False, exact=exact)
            runs += 1
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
        comparison=comp,
        seed=seed,
    )
