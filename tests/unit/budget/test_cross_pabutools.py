"""Optional cross-check against pabutools (a GPL yardstick, skipped when it is not installed).

Random small approval instances where every project has supporters; ties are broken by project order
here and lexicographically by name in pabutools, which agree because the names are p0..p9.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

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
