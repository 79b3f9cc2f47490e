"""Properties on random small approval instances, checked exactly."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.budget import Election, equal_shares, greedy, make_election, max_welfare, phragmen
from voting.budget._profile import build_profile
from voting.budget.equal_shares import _Prepared, _run_exact, _run_float
from voting.budget.tiebreak import TieBreaker

from ._axioms import ejr_violation

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def approval_elections(
    draw: st.DrawFn, max_voters: int = 8, max_projects: int = 6, max_cost: int = 10
) -> Election:
    m = draw(st.integers(1, max_projects))
    n = draw(st.integers(1, max_voters))
    costs = draw(st.lists(st.integers(1, max_cost), min_size=m, max_size=m))
    ballots = draw(st.lists(st.sets(st.integers(0, m - 1)), min_size=n, max_size=n))
    budget = draw(st.integers(1, sum(costs) + max_cost))
    return make_election(
        [(f"p{i}", c) for i, c in enumerate(costs)], [[f"p{j}" for j in sorted(b)] for b in ballots], budget
    )


def _welfare(e: Election, selected: tuple[str, ...], utility: str) -> Fraction:
    votes = {p: 0 for p in e.project_ids}
    for b in e.ballots:
        for p in b.projects:
            votes[p] += 1
    cost = {p.id: p.cost for p in e.projects}
    return sum((Fraction(votes[p] * (cost[p] if utility == "cost" else 1)) for p in selected), Fraction(0))


@SETTINGS
@given(approval_elections(), st.sampled_from(["cost", "cardinality"]))
def test_mes_satisfies_ejr_up_to_one_project(e: Election, utility: str) -> None:
    result = equal_shares(e, utility=utility)
    assert ejr_violation(e, result.selected, utility=utility, up_to_one=True) is None


@SETTINGS
@given(approval_elections(), st.sampled_from(["cost", "cardinality"]))
def test_every_rule_and_completion_stays_within_budget(e: Election, utility: str) -> None:
    results = [greedy(e, utility=utility), greedy(e, skip=False), phragmen(e), phragmen(e, exhaustive=True)]
    for completion in ("none", "add1", "utilitarian", "add1u"):
        results.append(equal_shares(e, utility=utility, completion=completion, explain=False))
    results.append(equal_shares(e, completion="add1", add1_stop="exhaustive", comparison="exclusion"))
    for r in results:
        cost = {p.id: p.cost for p in e.projects}
        assert r.total_cost == sum(cost[p] for p in r.selected)
        assert r.total_cost <= e.budget
        assert r.leftover == e.budget - r.total_cost
        assert len(set(r.selected)) == len(r.selected)


@SETTINGS
@given(approval_elections(max_projects=7), st.sampled_from(["cost", "cardinality"]))
def test_knapsack_optimum_beats_greedy_and_matches_brute_force(e: Election, utility: str) -> None:
    opt = max_welfare(e, utility=utility)
    assert opt.total_cost <= e.budget
    assert opt.welfare == _welfare(e, opt.selected, utility)
    assert opt.welfare >= _welfare(e, greedy(e, utility=utility).selected, utility)
    cost = {p.id: p.cost for p in e.projects}
    best = Fraction(0)
    for k in range(len(e.project_ids) + 1):
        for subset in combinations(e.project_ids, k):
            if sum(cost[p] for p in subset) <= e.budget:
                best = max(best, _welfare(e, subset, utility))
    assert opt.welfare == best


@SETTINGS
@given(approval_elections(), st.sampled_from(["none", "add1", "utilitarian"]))
def test_float_engine_with_exact_confirmation_equals_exact_arithmetic(e: Election, completion: str) -> None:
    fast = equal_shares(e, completion=completion)
    exact = equal_shares(e, completion=completion, exact=True)
    assert fast.selected == exact.selected
    assert fast.per_voter_budget == exact.per_voter_budget


@SETTINGS
@given(
    approval_elections(max_voters=12, max_cost=10**6),
    st.integers(0, 5),
    st.sampled_from(["cost", "cardinality"]),
)
def test_float_run_equals_exact_run(e: Election, k: int, utility: str) -> None:
    """The float engine (with its exact shadow for close calls) against the all-Fraction engine."""
    profile = build_profile(e)
    prep = _Prepared(profile, utility)
    tb = TieBreaker(("min_cost", "max_votes", "order"), profile, None)
    share = Fraction(e.budget, len(e.ballots)) + k
    exact = _run_exact(prep, share, tb, None, False)
    fast = _run_float(prep, share, tb, None, False)
    assert fast.selected == exact.selected
    assert fast.total_cost == exact.total_cost
    assert fast.ties == exact.ties


@SETTINGS
@given(approval_elections(max_voters=10, max_projects=5, max_cost=3))
def test_float_run_equals_exact_run_with_many_ties(e: Election) -> None:
    profile = build_profile(e)
    prep = _Prepared(profile, "cost")
    tb = TieBreaker(("order",), profile, None)
    for k in range(3):
        share = Fraction(e.budget, len(e.ballots)) + k
        exact = _run_exact(prep, share, tb, None, True)
        fast = _run_float(prep, share, tb, None, True)
        assert fast.selected == exact.selected
        assert fast.ties == exact.ties
        for a, b in zip(fast.steps, exact.steps, strict=True):
            assert a.rho == b.rho or abs(a.rho - b.rho) <= 1e-12 * abs(b.rho)
            assert (a.full_payers, a.partial_payers) == (b.full_payers, b.partial_payers)


@SETTINGS
@given(approval_elections(), st.randoms(use_true_random=False))
def test_voter_order_does_not_matter(e: Election, random) -> None:
    ballots = list(e.ballots)
    random.shuffle(ballots)
    shuffled = make_election(e.projects, ballots, e.budget)
    for rule in (greedy, phragmen, equal_shares):
        assert rule(shuffled).selected == rule(e).selected
    assert equal_shares(shuffled, completion="add1").selected == equal_shares(e, completion="add1").selected


@SETTINGS
@given(approval_elections(), st.integers(2, 3))
def test_duplicating_every_ballot_changes_nothing_without_completion(e: Election, k: int) -> None:
    doubled = make_election(e.projects, [b.projects for b in e.ballots] * k, e.budget)
    assert equal_shares(doubled).selected == equal_shares(e).selected
    assert greedy(doubled).selected == greedy(e).selected


@SETTINGS
@given(approval_elections(max_voters=6), st.integers(1, 10), st.integers(0, 4))
def test_bullet_voters_get_their_project(e: Election, cost: int, extra: int) -> None:
    """If at least n * cost(P) / B voters approve only P, MES funds P (also after add1)."""
    base = [b.projects for b in e.ballots]
    n0 = len(base)
    budget = e.budget + cost
    # smallest t with t >= (n0 + t) * cost / budget, plus some extra bullet voters
    t = next(t for t in range(1, 10_000) if t * budget >= (n0 + t) * cost) + extra
    projects = [*e.projects, ("P", cost)]
    e2 = make_election(projects, base + [["P"]] * t, budget)
    assert "P" in equal_shares(e2).selected
    assert "P" in equal_shares(e2, completion="add1").selected


def test_many_identical_voters_fund_their_whole_ballot() -> None:
    """t voters approving exactly T with cost(T) <= (t / n) B get all of T (a deterministic case)."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        m = 6
        costs = rng.integers(1, 20, size=m).tolist()
        others = [[f"p{j}" for j in range(m) if rng.random() < 0.4] for _ in range(6)]
        team = ["p0", "p1"]
        t = 6
        n = t + len(others)
        budget = -(-(costs[0] + costs[1]) * n // t)  # ceil: cost(T) <= t/n * B
        e = make_election([(f"p{i}", c) for i, c in enumerate(costs)], others + [team] * t, budget)
        assert set(team) <= set(equal_shares(e).selected)


@st.composite
def few_voters_big_budget(draw: st.DrawFn) -> tuple[Election, str]:
    """Few voters and a budget of thousands: add1 needs hundreds or thousands of raises of one unit."""
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    costs = draw(st.lists(st.integers(1, 4000), min_size=m, max_size=m))
    utility = draw(st.sampled_from(["cost", "cardinality"]))
    if draw(st.booleans()):
        rows = draw(st.lists(st.lists(st.integers(0, 4), min_size=m, max_size=m), min_size=n, max_size=n))
        ballots: list = [{f"p{i}": x for i, x in enumerate(row) if x} for row in rows]
        vote_type = "cumulative"
    else:
        ballots = [[f"p{j}" for j in sorted(b)] for b in draw(st.lists(st.sets(st.integers(0, m - 1)),
                                                                        min_size=n, max_size=n))]
        vote_type = "approval"
    budget = draw(st.integers(1, sum(costs)))
    e = make_election([(f"p{i}", c) for i, c in enumerate(costs)], ballots, budget, vote_type=vote_type)
    return e, utility


@settings(max_examples=150, deadline=None)
@given(few_voters_big_budget(), st.sampled_from(["overspend", "exhaustive"]), st.booleans())
def test_add1_skipping_ahead_changes_nothing(case: tuple[Election, str], stop: str, integral: bool) -> None:
    """Skipping raises proven to keep the outcome gives exactly the outcome, final share and count of raises of
    raising one unit at a time."""
    e, utility = case
    options = {"completion": "add1", "add1_stop": stop, "integral": integral, "utility": utility, "explain": False}
    try:
        slow = equal_shares(e, skip_ahead=False, max_runs=20_000, **options)
    except Exception as error:  # the same error either way (e.g. too many raises)
        with pytest.raises(type(error)):
            equal_shares(e, max_runs=20_000, **options)
        return
    fast = equal_shares(e, max_runs=20_000, **options)
    assert (fast.selected, fast.total_cost, fast.per_voter_budget, fast.mes_runs) == \
        (slow.selected, slow.total_cost, slow.per_voter_budget, slow.mes_runs)
    assert fast.mes_runs_computed <= slow.mes_runs_computed + 2


def test_add1_skips_ahead_on_a_big_budget_with_few_voters() -> None:
    """The textbook case (3 + 2 voters) scaled to a budget of 1,000,000: 49,999 raises of one unit, of which
    only a few are computed; same outcome as raising one at a time (checked on a budget of 100,000)."""
    names = ("a1", "a2", "a3", "b1", "b2")
    ballots = [["a1", "a2", "a3"]] * 6 + [["b1", "b2"]] * 4
    big = make_election(list(zip(names, (300_000,) * 3 + (400_000,) * 2, strict=True)), ballots, 1_000_000)
    r = equal_shares(big, completion="add1")
    assert r.selected == ("a1", "a2", "b1") and r.per_voter_budget == 149_999 and r.mes_runs == 50_001
    assert r.mes_runs_computed < 200  # a handful unless the machine is very busy (attempts are timed)
    mid = make_election(list(zip(names, (30_000,) * 3 + (40_000,) * 2, strict=True)), ballots, 100_000)
    fast, slow = equal_shares(mid, completion="add1"), equal_shares(mid, completion="add1", skip_ahead=False)
    assert (fast.selected, fast.per_voter_budget, fast.mes_runs) == (slow.selected, slow.per_voter_budget,
                                                                     slow.mes_runs) == (("a1", "a2", "b1"),
                                                                                        14_999, 5_001)
    assert slow.mes_runs_computed == 5_002 and fast.mes_runs_computed < 200
