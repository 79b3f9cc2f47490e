"""Public API: profiles, options, tie-breaks, results, audit trail, errors."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import voting
from voting import (
    OVERVOTE_MARK,
    Profile,
    RuleError,
    TieBreakError,
    borda,
    irv,
    plurality,
    smith_set,
    stv,
    tabulate,
)


def test_public_api_is_listed():
    for name in voting.__all__:
        assert hasattr(voting, name), name
        assert name in voting.__doc__ or name == "METHODS" or name.isupper() or name in ("tabulate",), name
    assert "budget" not in voting.__all__


def test_in_memory_ballots_with_ids_and_groups():
    ballots = [[10, 20], [20], [{20, 30}, 10], [30, None, 10], [OVERVOTE_MARK, 20]]
    p = Profile.from_rankings(ballots, candidates=[10, 20, 30])
    assert p.names == ("10", "20", "30")
    assert p.n_ballots == 5
    assert p.n_distinct == 5
    r = irv(p, overvote="skip_to_next")
    assert sum(r.rounds[0].tallies.values()) == 5


def test_aggregation_counts_distinct_rankings():
    p = Profile.from_rankings([["A", "B"]] * 1000 + [["B"]] * 500, candidates=["A", "B"])
    assert p.n_distinct == 2
    assert p.n_ballots == 1500
    assert p.counts.dtype == np.int64


def test_tie_for_last_needs_seed_for_a_lot():
    p = Profile.from_rankings([["A"]] * 3 + [["B"]] * 2 + [["C", "B"], ["D", "B"]])
    unseeded = r"round 1: tie between [CD], [CD] needs a lot, but no seed was given"
    with pytest.raises(TieBreakError, match=unseeded) as exc:
        irv(p)
    assert set(exc.value.tied) == {"C", "D"}
    r = irv(p, rng=11)
    assert len(r.tie_breaks) == 1
    t = r.tie_breaks[0]
    assert t.purpose == "eliminate"
    assert set(t.tied) == {"C", "D"}
    assert t.value == 1
    assert t.steps == ("previous_rounds", "lot")
    assert t.inputs["lot"]["seed"] == 11
    assert r.lot_order is not None
    assert r.seed == 11
    eliminated = r.rounds[0].eliminated[0]
    # the lot order decides: the tied candidate drawn later is eliminated
    assert r.lot_order.index(eliminated) > r.lot_order.index(({"C", "D"} - {eliminated}).pop())


def test_previous_rounds_break_a_tie_before_the_lot():
    # round 1: A 4, B 3, C 2, D 2 (tie for last) -> no earlier round, candidate order decides D
    # round 2: A 4, B 3+?, C 2+2... build a case where round-2 tie is broken by round-1 totals
    ballots = [["A"]] * 5 + [["B"]] * 3 + [["C"]] * 2 + [["D", "C"]] + [["D", "B"]]
    p = Profile.from_rankings(ballots)
    r = irv(p, tie_break=("previous_rounds", "candidate_order"))
    assert r.rounds[0].eliminated == ("D",)  # D has 2, C has 2: candidate order puts D last
    assert r.tie_breaks[0].steps == ("previous_rounds", "candidate_order")
    # round 2: B 4, C 3 ... no tie. Now a tie in round 2 broken by round 1:
    ballots = [["A"]] * 6 + [["B"]] * 3 + [["C"]] * 4 + [["D", "B"]] * 1
    r = irv(Profile.from_rankings(ballots), tie_break=("previous_rounds",))
    assert dict(r.rounds[1].tallies) == {"A": 6, "B": 4, "C": 4}
    assert r.rounds[1].eliminated == ("B",)  # B had 3 < C's 4 in round 1
    assert r.tie_breaks[0].inputs["previous_rounds"][0]["totals"] == {"B": 3, "C": 4}


def test_rule_errors():
    p = Profile.from_rankings([["A", "B"]])
    with pytest.raises(RuleError):
        irv(p, overvote="maybe")
    with pytest.raises(RuleError):
        irv(p, max_skipped=-1)
    with pytest.raises(RuleError):
        stv(p, seats=0)
    with pytest.raises(RuleError):
        stv(p, seats=1, rule="meek", overvote="exhaust_if_multiple_continuing")
    with pytest.raises(RuleError):
        tabulate(p, "irv", seats=2)
    with pytest.raises(RuleError):
        tabulate(p, "approval")
    with pytest.raises(RuleError):
        irv(p, tie_break="coin")


def test_result_is_frozen_and_serialisable():
    p = Profile.from_rankings([["A", "B"]] * 5 + [["B", "A"]] * 3 + [["C", "B"]] * 3)
    r = stv(p, seats=2, rule="wigm")
    with pytest.raises(AttributeError):
        r.winners = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.rounds[0].tallies["A"] = 0  # type: ignore[index]
    d = json.loads(json.dumps(r.to_dict()))
    assert {"winners", "rounds", "tie_breaks"} <= set(d)
    assert d["quota"] == 4


def test_exact_fractions_in_json():
    # 7 ballots, 2 seats: quota 3, A's surplus 2 of 5 goes on at 2/5 per ballot
    p = Profile.from_rankings([["A", "B"]] * 5 + [["C"]] * 2)
    r = stv(p, seats=2, rule="wigm")
    assert r.rounds[0].transfers["A"] == {"B": Fraction(2)}
    assert voting.results.jsonable(Fraction(1, 3)) == "1/3"
    assert voting.results.jsonable(Fraction(5, 4)) == "1.25"


def test_every_stv_rule_elects_the_quota_winner_first_and_fills_seats():
    ballots = [["A", "B", "C"]] * 8 + [["B", "D"]] * 4 + [["C"]] * 3 + [["D"]] * 3
    p = Profile.from_rankings(ballots)
    for rule in ("wigm", "scottish", "ers97", "meek"):
        r = stv(p, seats=2, rule=rule, rng=1)
        assert r.winners[0] == "A"
        assert len(r.winners) == 2


def test_audit_trail_follows_each_ballot():
    ballots = [["A"], ["B", "A"], ["C", "B"], ["C"], ["A"]]
    r = irv(Profile.from_rankings(ballots), audit=True, tie_break="candidate_order")
    trail = r.audit
    assert trail.recipients.shape[1] == len(r.rounds)
    assert trail.ballot(1) == ["B", "A"]
    assert trail.ballot(3)[-1] in ("C", "inactive: exhausted_choices")
    d = trail.to_dict()
    assert len(d["ballot_rows"]) == 5


def test_smith_set_and_borda_plurality():
    p = Profile.from_rankings([["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"], ["D", "A"]])
    assert set(smith_set(p)) == {"A", "B", "C"}
    assert borda(p, tie_break="candidate_order").winners == ("A",)
    r = plurality(p, tie_break="candidate_order")
    assert r.details["tied_best"] == ["A", "B", "C", "D"]
    assert r.tie_breaks[0].purpose == "winner"


def test_tabulate_dispatch():
    p = Profile.from_rankings([["A", "B"], ["B", "A"], ["A"]])
    assert tabulate(p, "ranked_pairs").winners == ("A",)
    assert tabulate(p, "stv", seats=1, rule="scottish").winners == ("A",)


def test_ers97_transfers_only_the_last_parcel():
    # 40 ballots, 3 seats, quota 40/4 + 0.01 = 10.01
    ballots = [["A", "B", "X"]] * 16 + [["B", "C"]] * 6 + [["C"]] * 9 + [["X"]] * 9
    p = Profile.from_rankings(ballots)
    r = stv(p, seats=3, rule="ers97")
    assert r.quota == Fraction("10.01")
    # A's surplus 5.99 over 16 ballots: 0.37 each (2 decimals, truncated) -> B 6 + 5.92
    assert r.rounds[0].transfers["A"] == {"B": Fraction("5.92")}
    assert r.rounds[1].tallies["B"] == Fraction("11.92")
    # B was elected by that parcel: only it moves on, at 0.37 * 1.91 / 5.92 -> 0.11
    assert r.rounds[1].transfers["B"] == {"X": Fraction("1.76")}
    assert r.winners == ("A", "B", "X")
    # inclusive Gregory passes on B's first-preference ballots too
    w = stv(p, seats=3, rule="wigm", quota="droop_fractional", rng=1)
    assert "C" in w.rounds[1].transfers["B"]
