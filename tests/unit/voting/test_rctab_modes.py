"""Hand-made and property tests for the RCTab counting modes: bottoms-up with a percentage,
sequential (multi-pass) IRV, a first-round threshold, one STV winner per round, and RCTab's
random tie-break draw."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import RULES, SETTINGS, messy_ballots

from voting import Profile, RuleError, TieBreakError, bottoms_up, irv, sequential_irv, stv, tabulate
from voting.tiebreak import JavaRandom, TieBreaker


@SETTINGS
@given(messy_ballots(), RULES, st.integers(1, 60))
def test_bottoms_up_winners_have_the_percentage(data, rules, pct):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    for threshold in ("continuing", "first_round"):
        r = bottoms_up(p, percentage=pct, threshold=threshold, tie_break="candidate_order", **rules)
        last = r.rounds[-1]
        assert set(r.winners) == set(last.tallies) and r.seats == len(r.winners) >= 1
        if len(last.tallies) > 1:
            assert all(last.tallies[w] >= last.threshold for w in r.winners)
        # every earlier round had someone below the threshold: only then does it eliminate
        for rnd in r.rounds[:-1]:
            assert min(rnd.tallies.values()) < rnd.threshold and rnd.eliminated and not rnd.elected
        if threshold == "first_round":
            assert {rnd.threshold for rnd in r.rounds} == {Fraction(pct, 100) * r.rounds[0].active}
        else:
            assert all(rnd.threshold == Fraction(pct, 100) * rnd.active for rnd in r.rounds)


@SETTINGS
@given(messy_ballots(), RULES)
def test_sequential_irv_first_winner_is_irv_winner(data, rules):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    seats = min(2, len(cands))
    r = sequential_irv(p, seats=seats, tie_break="candidate_order", **rules)
    plain = irv(p, tie_break="candidate_order", **rules)
    assert r.winners[0] == plain.winner
    assert len(set(r.winners)) == seats
    first_pass = [x for x in r.rounds if x.extra["pass"] == 1]
    assert [dict(x.tallies) for x in first_pass] == [dict(x.tallies) for x in plain.rounds]
    # later passes: earlier winners never appear
    for x in r.rounds:
        assert not set(r.winners[: x.extra["pass"] - 1]) & set(x.tallies)
    assert [x.number for x in r.rounds] == list(range(1, len(r.rounds) + 1))


def test_sequential_irv_second_pass_counts_the_original_ballots():
    # A wins; with A withdrawn, A's ballots go to their second choice C, so C beats B
    p = Profile.from_rankings([["A", "C"]] * 4 + [["B"]] * 3 + [["C"]] * 2)
    r = sequential_irv(p, seats=2)
    assert r.winners == ("A", "C")
    second = [x for x in r.rounds if x.extra["pass"] == 2]
    assert dict(second[0].tallies) == {"B": 3, "C": 6}
    assert r.details["passes"][1] == {"pass": 2, "winner": "C", "rounds": [3, 3]}
    with pytest.raises(RuleError, match="seats"):
        sequential_irv(p, seats=4)


@SETTINGS
@given(messy_ballots(), RULES)
def test_first_round_threshold_never_changes(data, rules):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    r = irv(p, threshold="first_round", tie_break="candidate_order", **rules)
    assert {x.threshold for x in r.rounds} == {r.rounds[0].active // 2 + 1}
    assert len(r.winners) == 1


def test_first_round_threshold_with_exhausted_ballots():
    # C's 2 ballots exhaust: 10 first-round ballots keep the threshold at 6, so A wins round 2
    # only as the leader of the last two (a threshold from round 2's 8 ballots would be 5)
    p = Profile.from_rankings([["A"]] * 5 + [["C"]] * 2 + [["B"]] * 3)
    r = irv(p, threshold="first_round")
    assert [x.threshold for x in r.rounds] == [6, 6]
    assert r.winners == ("A",) and r.rounds[-1].note == "most votes of the last two"
    assert [x.threshold for x in irv(p).rounds] == [6, 5]


def test_one_winner_per_round_defers_and_moves_surplus_first():
    # A (6) and B (5) both pass the quota of 4 at once: A alone is elected first and its
    # surplus reaches C before B is elected
    p = Profile.from_rankings([["A", "C"]] * 6 + [["B", "D"]] * 5 + [["C"]] * 2 + [["D"]] * 2)
    r = stv(p, seats=3, one_winner_per_round=True, tie_break="candidate_order")
    assert [x.elected for x in r.rounds[:2]] == [("A",), ("B",)]
    assert r.rounds[1].tallies["C"] == 2 + 2  # A's surplus of 2 went to C before B was elected
    assert all(len(x.elected) <= 1 for x in r.rounds)
    together = stv(p, seats=3, tie_break="candidate_order")
    assert together.rounds[0].elected == ("A", "B")
    with pytest.raises(RuleError, match="Gregory"):
        stv(p, seats=2, rule="meek", one_winner_per_round=True)


def test_one_winner_per_round_without_surplus_elects_next_in_an_unchanged_round():
    # A and B both exactly at the quota (4): no surplus moves, B waits one round
    p = Profile.from_rankings([["A"]] * 4 + [["B"]] * 4 + [["C"]] * 3)
    r = stv(p, seats=2, one_winner_per_round=True, tie_break="candidate_order")
    assert [x.elected for x in r.rounds] == [("A",), ("B",)]
    assert dict(r.rounds[0].tallies) == dict(r.rounds[1].tallies)


def test_java_random_matches_java():
    # values printed by java.util.Random(seed).nextDouble() (Java 17)
    r = JavaRandom(0)
    assert [r.next_double() for _ in range(2)] == [0.730967787376657, 0.24053641567148587]
    assert JavaRandom(42).next_double() == 0.7275636800328681


def test_rctab_random_draws_per_tie_among_sorted_names():
    tb = TieBreaker("rctab_random", ["Zed", "Ann", "Bo"], rng=0)
    # first draw 0.7309...: index floor(0.73 * 3) = 2 of the names sorted (Ann, Bo, Zed)
    assert tb.resolve([0, 1, 2], pick="lowest", history=[], round_number=1, purpose="eliminate") == 0
    assert tb.records[0].inputs["rctab_random"]["sorted"] == ["Ann", "Bo", "Zed"]
    with pytest.raises(TieBreakError, match="tie between A, B needs RCTab's random draw, but no int seed was given"):
        TieBreaker("rctab_random", ["A", "B"]).resolve(
            [0, 1], pick="lowest", history=[], round_number=1, purpose="eliminate"
        )


def test_tabulate_dispatches_the_new_methods():
    p = Profile.from_rankings([["A", "B"]] * 5 + [["B"]] * 3 + [["C", "B"]] * 2)
    assert tabulate(p, "sequential_irv", seats=2).winners == ("A", "B")
    assert tabulate(p, "bottoms-up", percentage="25").winners == ("A", "B")
    with pytest.raises(RuleError, match="percentage"):
        bottoms_up(p, percentage=0)
