"""Optional cross-check against pabutools (a GPL yardstick, skipped when it is not installed).

Random small approval instances where every project has supporters; ties are broken by project order
here and lexicographically by name in pabutools, which agree because the names are p0..p9.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.budget import Election, equal_shares, greedy, make_election

from .test_properties import approval_elections

pytest.importorskip("pabutools")

from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance  # noqa: E402
from pabutools.election import Project as PabuProject  # noqa: E402
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # noqa: E402
from pabutools.tiebreaking import lexico_tie_breaking  # noqa: E402


def _pabutools(e: Election) -> tuple[Instance, ApprovalProfile]:
    projects = {p.id: PabuProject(p.id, p.cost) for p in e.projects}
    instance = Instance(projects.values(), budget_limit=e.budget)
    profile = ApprovalProfile([ApprovalBallot([projects[p] for p in b.projects]) for b in e.ballots])
    return instance, profile


def _supported(e: Election) -> bool:
    return all(any(p.id in b.projects for b in e.ballots) for p in e.projects)


@settings(max_examples=40, deadline=None)
@given(approval_elections(max_projects=6, max_cost=10**4))
def test_mes_and_greedy_agree_with_pabutools(e: Election) -> None:
    if not _supported(e):
        return
    instance, profile = _pabutools(e)
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking)
    ours = equal_shares(e, tie_breaking=("order",))
    assert set(ours.selected) == {p.name for p in theirs}
    theirs_g = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
    )
    assert set(greedy(e, tie_breaking=("order",)).selected) == {p.name for p in theirs_g}


@settings(max_examples=15, deadline=None)
@given(approval_elections(max_voters=6, max_projects=5, max_cost=20))
def test_mes_add1_agrees_with_pabutools(e: Election) -> None:
    if not _supported(e):
        return
    instance, profile = _pabutools(e)
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking, voter_budget_increment=1
    )
    ours = equal_shares(e, completion="add1", add1_stop="exhaustive", tie_breaking=("order",), explain=False)
    assert set(ours.selected) == {p.name for p in theirs}


def test_textbook_matches_pabutools() -> None:
    e = make_election(
        [(p, 1) for p in ("a1", "a2", "a3", "b1", "b2")], [["a1", "a2", "a3"]] * 3 + [["b1", "b2"]] * 2, 3
    )
    instance, profile = _pabutools(e)
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking)
    assert {p.name for p in theirs} == set(equal_shares(e, tie_breaking=("order",)).selected) == {"a1", "b1"}


@st.composite
def points_elections(draw: st.DrawFn, max_voters: int = 7, max_projects: int = 5) -> Election:
    """Cumulative ballots: each voter gives 0 to 5 points to each project."""
    m = draw(st.integers(1, max_projects))
    costs = draw(st.lists(st.integers(1, 100), min_size=m, max_size=m))
    n = draw(st.integers(1, max_voters))
    rows = draw(st.lists(st.lists(st.integers(0, 5), min_size=m, max_size=m), min_size=n, max_size=n))
    ballots = [{f"p{i}": x for i, x in enumerate(row) if x} for row in rows]
    budget = draw(st.integers(1, sum(costs)))
    return make_election([(f"p{i}", c) for i, c in enumerate(costs)], ballots, budget, vote_type="cumulative")


@settings(max_examples=40, deadline=None)
@given(points_elections())
def test_mes_with_points_agrees_with_pabutools_cardinal_satisfaction(e: Election) -> None:
    """Points as utilities: pabutools' MES with ``Additive_Cardinal_Sat`` on the same cumulative ballots; and
    rankings converted to Borda points by ``Election.ballot_scores`` go through the same path."""
    from pabutools.election import Additive_Cardinal_Sat, CumulativeBallot, CumulativeProfile

    if not _supported(e):
        return
    projects = {p.id: PabuProject(p.id, p.cost) for p in e.projects}
    instance = Instance(projects.values(), budget_limit=e.budget)
    profile = CumulativeProfile(
        [CumulativeBallot({projects[p]: s for p, s in e.ballot_scores(b)}) for b in e.ballots], instance=instance
    )
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Additive_Cardinal_Sat, tie_breaking=lexico_tie_breaking
    )
    ours = equal_shares(e, utility="cardinality", tie_breaking=("order",))
    assert set(ours.selected) == {p.name for p in theirs}
