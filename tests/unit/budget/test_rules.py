"""The allocation rules on small hand-checked elections."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from voting.budget import (
    BudgetError,
    BudgetInputError,
    GreedyStep,
    MESStep,
    PhragmenStep,
    TieBreakingError,
    allocate,
    check_ballots,
    equal_shares,
    greedy,
    make_election,
    max_welfare,
    phragmen,
    read_pb,
    rule_from_meta,
)

from ._axioms import ejr_violation

DATA = Path(__file__).resolve().parents[2] / "data" / "budget"


@pytest.fixture
def textbook():
    """3 voters approve a1, a2, a3; 2 approve b1, b2; unit costs; budget 3."""
    return read_pb(DATA / "textbook.pb")


def test_textbook_greedy_fails_ejr_mes_satisfies_it(textbook) -> None:
    g = greedy(textbook)
    assert g.selected == ("a1", "a2", "a3")
    assert ejr_violation(textbook, g.selected, up_to_one=False) == ("b1",)
    m = equal_shares(textbook)
    assert set(m.selected) & {"b1", "b2"} == {"b1"}
    assert m.selected == ("a1", "b1")
    assert ejr_violation(textbook, m.selected, up_to_one=False) is None
    p = phragmen(textbook)
    assert p.selected == ("a1", "b1", "a2")
    assert ejr_violation(textbook, p.selected, up_to_one=False) is None


def test_textbook_mes_explanation(textbook) -> None:
    m = equal_shares(textbook)
    first = m.steps[0]
    assert isinstance(first, MESStep)
    assert first.project == "a1"
    assert first.price_per_voter == pytest.approx(1 / 3)
    assert first.effective_votes == pytest.approx(3)
    assert (first.full_payers, first.partial_payers) == (3, 0)
    cands = {c.project: c for c in first.candidates}
    assert set(cands) == {"a1", "a2", "a3", "b1", "b2"}
    assert cands["b1"].effective_votes == pytest.approx(2)
    assert cands["b1"].money_behind == pytest.approx(6 / 5)
    second = m.steps[1]
    assert second.project == "b1"
    assert second.price_per_voter == pytest.approx(1 / 2)
    # after a1, the a-voters hold 3/5 - 1/3 each: 0.8 together, less than a2's cost
    cands = {c.project: c for c in second.candidates}
    assert not cands["a2"].affordable
    assert cands["a2"].money_behind == pytest.approx(0.8)


def test_textbook_ties_are_recorded(textbook) -> None:
    m = equal_shares(textbook)
    assert [(t.step, t.tied, t.chosen, t.decided_by) for t in m.ties] == [
        (0, ("a1", "a2", "a3"), "a1", "order"),
        (1, ("b1", "b2"), "b1", "order"),
    ]
    rev = equal_shares(textbook, tie_breaking=("reverse_order",))
    assert rev.selected == ("a3", "b2")
    with pytest.raises(TieBreakingError):
        equal_shares(textbook, tie_breaking=("min_cost", "refuse"))


def test_completions_on_textbook(textbook) -> None:
    assert equal_shares(textbook, completion="utilitarian").selected == ("a1", "b1", "a2")
    u = equal_shares(textbook, completion="utilitarian")
    assert u.completion_added == ("a2",)
    assert isinstance(u.steps[-1], GreedyStep)
    add1 = equal_shares(textbook, completion="add1")
    # share 3/5 + 1 would buy a1, b1, a2, b2: over budget, so add1 keeps the first run
    assert add1.selected == ("a1", "b1")
    assert add1.per_voter_budget == Fraction(3, 5)
    assert add1.mes_runs == 2
    assert equal_shares(textbook, completion="add1u").selected == ("a1", "b1", "a2")


def test_lot_is_seeded_and_recorded(textbook) -> None:
    a = equal_shares(textbook, tie_breaking=("lot",), rng=7)
    b = equal_shares(textbook, tie_breaking=("lot",), rng=7)
    assert a.selected == b.selected
    assert a.seed == 7
    assert {t.decided_by for t in a.ties} == {"lot"}
    c = equal_shares(textbook, tie_breaking=("lot",))
    assert isinstance(c.seed, int)
    assert equal_shares(textbook, tie_breaking=("lot",), rng=c.seed).selected == c.selected
    d = equal_shares(textbook, tie_breaking=("lot",), rng=np.random.default_rng(3))
    assert d.seed is None
    chosen = {equal_shares(textbook, tie_breaking=("lot",), rng=s).selected[0] for s in range(30)}
    assert chosen == {"a1", "a2", "a3"}


def test_tie_breaking_by_cost_and_votes() -> None:
    e = make_election([("x", 5), ("y", 4), ("z", 4)], [["x", "y", "z"], ["x", "y", "z"], ["z"]], 9)
    # greedy: z has 3 votes; x and y have 2 each; min_cost picks y before x
    r = greedy(e)
    assert r.selected == ("z", "y")
    assert r.ties[0].tied == ("x", "y")
    assert r.ties[0].decided_by == "min_cost"
    assert greedy(e, tie_breaking=("max_cost",)).selected == ("z", "x")


def test_greedy_skip_and_no_skip() -> None:
    e = make_election([("a", 60), ("b", 50), ("c", 40)], [["a"], ["a", "b"], ["a", "c"], ["b"]], 100)
    assert greedy(e).selected == ("a", "c")
    stop = greedy(e, skip=False)
    assert stop.selected == ("a",)
    assert [s.status for s in stop.steps] == ["selected", "stopped", "not_reached"]
    assert stop.leftover == 40


def test_greedy_threshold_and_cardinality() -> None:
    e = make_election([("a", 90), ("b", 10), ("c", 10)], [["a"], ["a"], ["a", "b"], ["c"]], 100)
    assert greedy(e).selected == ("a", "b")
    assert greedy(e, threshold=2).selected == ("a",)
    # by votes per unit of cost, b and c (1 vote per 10) come before a (3 per 90)
    assert greedy(e, utility="cardinality").selected == ("b", "c")


def test_points_file(tmp_path: Path) -> None:
    e = read_pb(DATA / "points.pb")
    # points: p 8, q 7, r 3, s 12
    g = greedy(e)
    assert g.selected == ("s", "q")
    assert [s.score for s in g.steps] == [12, 8, 7, 3]
    # MES, cost utilities, share 10/6: s is bought with exactly all its supporters' money
    m = equal_shares(e)
    assert m.selected == ("s",)
    assert (m.steps[0].full_payers, m.steps[0].partial_payers) == (1, 2)
    assert equal_shares(e, exact=True).selected == ("s",)


def test_ordinal_scores() -> None:
    e = make_election(
        [("a", 5), ("b", 5), ("c", 5)], [["a", "b", "c"], ["b", "a"], ["c", "b"]], 10, vote_type="ordinal"
    )
    assert e.position_scores() == (3, 2, 1)
    # Borda: a 3+2, b 2+3+2, c 1+3
    assert greedy(e).selected == ("b", "a")
    custom = make_election(
        [("a", 5), ("b", 5), ("c", 5)],
        [["a", "b", "c"], ["b", "a"], ["c", "b"]],
        10,
        vote_type="ordinal",
        ordinal_scores=(1,),
    )
    assert greedy(custom).selected == ("a", "b")


def test_max_welfare() -> None:
    e = make_election([("a", 60), ("b", 50), ("c", 50)], [["a"], ["a", "b"], ["a", "c"], ["b", "c"]], 100)
    r = max_welfare(e)
    assert set(r.selected) == {"b", "c"}
    assert r.welfare == 2 * 50 + 2 * 50
    assert greedy(e).selected == ("a",)
    card = max_welfare(e, utility="cardinality")
    assert card.welfare == 4


def test_phragmen_stop_and_exhaustive() -> None:
    e = make_election([("a", 8), ("b", 5), ("c", 1)], [["a"], ["a"], ["a"], ["b"], ["c"]], 10)
    # loads: a 8/3, b 5, c 1 -> c, a, then b does not fit
    assert phragmen(e).selected == ("c", "a")
    e2 = make_election([("a", 8), ("b", 5), ("c", 1)], [["a"], ["a"], ["a"], ["b"], ["b"], ["c"]], 10)
    # b (load 5/2) comes before a (8/3) and then a does not fit: stop, or skip and take c
    assert phragmen(e2).selected == ("c", "b")
    steps = phragmen(e2).steps
    assert isinstance(steps[0], PhragmenStep)
    assert steps[0].load == 1
    assert phragmen(e, exhaustive=True).selected == ("c", "a")


def test_to_dict_is_json_and_results_are_frozen(textbook) -> None:
    for result in (
        greedy(textbook),
        equal_shares(textbook, completion="add1u", comparison="satisfaction"),
        phragmen(textbook),
        max_welfare(textbook),
    ):
        data = json.loads(json.dumps(result.to_dict()))
        assert data["selected"] == list(result.selected)
        assert data["total_cost"] == result.total_cost
        assert all("kind" in s for s in data["steps"])
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.selected = ()  # type: ignore[misc]


def test_comparison_step_can_switch_to_greedy() -> None:
    # 7 voters want G (60) but hold only 7 x 6 = 42 of it under MES; 3 voters can just buy y (18)
    e = make_election([("G", 60), ("y", 18)], [["G"]] * 7 + [["y"]] * 3, 60)
    assert equal_shares(e).selected == ("y",)
    assert greedy(e).selected == ("G",)
    r = equal_shares(e, comparison="satisfaction")
    assert r.comparison is not None
    assert (r.comparison.prefer_mes, r.comparison.prefer_greedy, r.comparison.kept) == (3, 7, "greedy")
    assert r.comparison.mes_selected == ("y",)
    assert r.selected == ("G",)
    assert all(isinstance(step, GreedyStep) for step in r.steps)
    # exclusion ratio: same verdict here
    assert equal_shares(e, comparison="exclusion").selected == ("G",)
    # and MES is kept when more voters prefer it
    kept = equal_shares(
        make_election([("G", 60), ("y", 18)], [["G"]] * 2 + [["y"]] * 3, 60), comparison="satisfaction"
    )
    assert kept.comparison is not None
    assert kept.comparison.kept == "mes"


def test_allocate_and_rule_from_meta(textbook) -> None:
    assert allocate(textbook, "mes").selected == equal_shares(textbook).selected
    assert allocate(textbook, "max-welfare").rule == "max_welfare"
    with pytest.raises(BudgetInputError) as info:
        allocate(textbook, "dictator")
    assert info.value.code == "bad_rule"
    assert rule_from_meta(textbook) is None
    e = make_election(
        [("a", 1)], [["a"]], 2, meta={"rule": "greedy-threshold", "min_project_score_threshold": "5"}
    )
    assert rule_from_meta(e) == ("greedy", {"threshold": 5})


@pytest.mark.parametrize(
    ("kwargs", "code", "row"),
    [
        ({"projects": [("a", 0)], "ballots": [["a"]], "budget": 1}, "nonpositive_cost", 0),
        ({"projects": [("a", 1.5)], "ballots": [["a"]], "budget": 1}, "not_exact", 0),
        ({"projects": [("a", 1), ("a", 2)], "ballots": [], "budget": 1}, "duplicate_project", 1),
        ({"projects": [("a", 1)], "ballots": [["a"], ["b"]], "budget": 1}, "unknown_project", 1),
        ({"projects": [("a", 1)], "ballots": [["a", "a"]], "budget": 1}, "duplicate_in_vote", 0),
        ({"projects": [("a", 1)], "ballots": [["a"]], "budget": 0}, "nonpositive_budget", None),
        ({"projects": [("a", 1)], "ballots": [["a"]], "budget": 1, "vote_type": "x"}, "bad_vote_type", None),
        (
            {"projects": [("a", 1)], "ballots": [{"a": -1}], "budget": 1, "vote_type": "cumulative"},
            "negative_points",
            0,
        ),
    ],
)
def test_make_election_validation(kwargs: dict, code: str, row: int | None) -> None:
    with pytest.raises(BudgetInputError) as info:
        make_election(**kwargs)
    assert info.value.code == code
    assert info.value.row == row


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"utility": "happiness"}, "bad_utility"),
        ({"completion": "add2"}, "bad_completion"),
        ({"comparison": "vibes"}, "bad_comparison"),
        ({"add1_stop": "never"}, "bad_add1_stop"),
        ({"increment": 0}, "bad_increment"),
        ({"tie_breaking": ("coin",)}, "bad_tie_breaking"),
        ({"tie_breaking": ("lot",), "rng": "seven"}, "bad_rng"),
    ],
)
def test_equal_shares_option_validation(textbook, kwargs: dict, code: str) -> None:
    with pytest.raises(BudgetInputError) as info:
        equal_shares(textbook, **kwargs)
    assert info.value.code == code
    assert info.value.field is not None


def test_in_memory_api_accepts_mappings_and_empty_ballots() -> None:
    e = make_election(
        [{"id": "p1", "cost": "100", "name": "Park", "district": "North"}, {"id": "p2", "cost": 50}],
        [["p1"], [], ["p2", "p1"]],
        120,
    )
    assert e.project("p1").fields == {"district": "North"}
    r = equal_shares(e, completion="add1")
    assert r.total_cost <= 120
    # empty ballots still count: each voter's share is 120/3
    assert equal_shares(e).per_voter_budget == 40


@pytest.mark.parametrize(
    ("meta", "ballots", "field", "row"),
    [
        ({"max_length": "1"}, [["a"], ["a", "b"]], "max_length", 1),
        ({"min_length": "2"}, [["a"], ["a", "b"]], "min_length", 0),
        ({"max_sum_cost": "6"}, [["a"], ["a", "b"]], "max_sum_cost", 1),
        ({"min_sum_cost": "6"}, [["a", "b"], ["b"]], "min_sum_cost", 1),
    ],
)
def test_ballot_limits_are_checked(meta: dict, ballots: list, field: str, row: int) -> None:
    projects = [("a", 5), ("b", 3)]
    with pytest.raises(BudgetInputError) as info:
        make_election(projects, ballots, 10, meta=meta)
    assert (info.value.code, info.value.field, info.value.row) == ("ballot_limit", field, row)
    e = make_election(projects, ballots, 10, meta=meta, check_limits=False)
    with pytest.raises(BudgetInputError):
        check_ballots(e)


def test_points_limits_are_checked() -> None:
    meta = {"max_sum_points": "5", "max_points": "4"}
    ok = make_election([("a", 5), ("b", 3)], [{"a": 4, "b": 1}], 10, vote_type="cumulative", meta=meta)
    check_ballots(ok)
    with pytest.raises(BudgetInputError) as info:
        make_election([("a", 5), ("b", 3)], [{"a": 4, "b": 2}], 10, vote_type="cumulative", meta=meta)
    assert info.value.field == "max_sum_points"
    with pytest.raises(BudgetInputError) as info:
        make_election([("a", 5)], [{"a": 5}], 10, vote_type="cumulative", meta=meta)
    assert info.value.field == "max_points"


def test_add1_run_limit(textbook) -> None:
    e = make_election([("a", 1000), ("b", 10)], [["a"], ["b"]], 1010)
    # one voter alone must gather 1000: the shares rise 505, 506, ... the run limit stops it first
    with pytest.raises(BudgetError) as info:
        equal_shares(e, completion="add1", max_runs=50)
    assert info.value.code == "add1_runs"
    r = equal_shares(e, completion="add1", increment=100)
    assert r.selected == ("b", "a")
    assert r.total_cost == 1010


def test_mes_with_points_as_cardinal_utilities_by_hand() -> None:
    """Cumulative ballots; each voter's utility is the points they gave (``utility="cardinality"``).

    Budget 12, three voters, so a share of 4 each. v1 gives a 3 and c 1, v2 a 2 and b 2, v3 b 3 and c 1.
    Step 1: a at rho = 6 / (3 + 2) = 1.2 (v1 pays 3.6, v2 2.4); b needs 7 = 2 rho + 3 rho = 1.4, but v3
    cannot pay 4.2, so v3 pays 4 and v2 3 (rho 1.5); c needs 3 = rho + rho (1.5). Step 2: b is out of
    reach (v2 1.6 + v3 4 < 7); c at rho 2.6 (v1 pays its last 0.4, v3 2.6). Then nothing is affordable.
    add1: with a share of 5, b comes second (rho 22/15 < c's 1.6) and a, b, c cost 16 > 12: stop at 4.
    """
    ballots = [{"a": 3, "c": 1}, {"a": 2, "b": 2}, {"b": 3, "c": 1}]
    e = make_election([("a", 6), ("b", 7), ("c", 3)], ballots, 12, vote_type="cumulative")
    r = equal_shares(e, utility="cardinality")
    assert r.selected == ("a", "c") and r.total_cost == 9
    assert [s.rho for s in r.steps] == pytest.approx([1.2, 2.6])
    first = {c.project: c.rho for c in r.steps[0].candidates}
    assert first == pytest.approx({"a": 1.2, "b": 1.5, "c": 1.5})
    assert (r.steps[1].full_payers, r.steps[1].partial_payers) == (1, 1)
    assert equal_shares(e, utility="cardinality", exact=True).selected == ("a", "c")
    add1 = equal_shares(e, utility="cardinality", completion="add1")
    assert add1.selected == ("a", "c") and add1.per_voter_budget == 4 and add1.mes_runs == 2
    five = make_election([("a", 6), ("b", 7), ("c", 3)], ballots, 15, vote_type="cumulative")
    assert equal_shares(five, utility="cardinality").selected == ("a", "b")
    # greedy by total points: a 5, b 5 (a cheaper, first), then b does not fit in 6, c (2 points) does
    assert greedy(e).selected == ("a", "c")


def test_rankings_become_borda_points_by_hand() -> None:
    """Ranking ballots with 2 places: a first choice scores 2 points, a second 1 (Pabulib Borda with
    ``max_length``). Budget 10, two voters (share 5): v1 ranks a then b, v2 c then b. a and c each cost
    4 at rho 2 (4 = 2 rho); b costs 6 = rho + rho, rho 3. a and c tie at rho 2: equal cost and votes, so
    file order picks a; then c (v2 pays 4); b is left with 1 + 1 < 6. Greedy by Borda points (a 2,
    b 2, c 2): the cheaper a and c first, b does not fit."""
    e = make_election([("a", 4), ("b", 6), ("c", 4)], [["a", "b"], ["c", "b"]], 10, vote_type="ordinal",
                      meta={"max_length": "2"})
    assert e.position_scores() == (2, 1)
    assert dict(e.ballot_scores(e.ballots[0])) == {"a": 2, "b": 1}
    r = equal_shares(e, utility="cardinality")
    assert r.selected == ("a", "c") and [s.rho for s in r.steps] == pytest.approx([2.0, 2.0])
    assert len(r.ties) == 1 and r.ties[0].tied == ("a", "c")
    assert greedy(e).selected == ("a", "c")
    # three places: the first choice is worth 3, so b (2 + 2 = 4 points) beats a and c (3 each) in greedy
    three = make_election([("a", 4), ("b", 6), ("c", 4)], [["a", "b"], ["c", "b"]], 10, vote_type="ordinal",
                          meta={"max_length": "3"})
    assert greedy(three).selected == ("b", "a")


def test_rule_from_meta_reads_points_and_rankings_as_cardinal_utilities() -> None:
    pts = make_election([("a", 6)], [{"a": 3}], 10, vote_type="cumulative", meta={"rule": "equalshares/add1"})
    assert rule_from_meta(pts) == ("mes", {"completion": "add1", "utility": "cardinality"})
    ranks = make_election([("a", 6)], [["a"]], 10, vote_type="ordinal", meta={"rule": "equalshares"})
    assert rule_from_meta(ranks) == ("mes", {"utility": "cardinality"})
    assert rule_from_meta(make_election([("a", 6)], [["a"]], 10, meta={"rule": "equalshares"})) == ("mes", {})
