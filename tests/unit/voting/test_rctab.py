"""RCTab fixtures: our IRV under each fixture's config against RCTab's expected reports.

Every round is compared: each candidate's tally, the threshold, inactive ballots by cause and
who was eliminated or elected. Fixtures whose ties RCTab breaks with Java's random generator
are compared on everything the random draw does not decide.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import rctab_support as rs

from voting import bottoms_up, irv, sequential_irv, stv

CAUSE = {
    "exhaustedChoices": "exhausted_choices",
    "overvotes": "overvote",
    "skippedRankings": "skipped_rankings",
    "repeatedRankings": "repeated_ranking",
}

EXACT = [
    "2013_minneapolis_mayor",
    "2017_minneapolis_mayor",
    "exhaust_if_multiple_continuing",
    "skip_to_next_test",
    "test_set_0_skipped_first_choice",
    "test_set_1_exhaust_at_overvote",
    "test_set_2_overvote_skip_to_next",
    "test_set_3_skipped_choice_exhaust",
    "test_set_4_skipped_choice_next",
    "test_set_5_two_skipped_choice_exhaust",
    "test_set_6_duplicate_exhaust",
    "test_set_7_duplicate_skip_to_next",
    "tiebreak_use_permutation_in_config_test",
]


@pytest.fixture(scope="module")
def rctab(refdata):
    return refdata / "ranked" / "rctab"


def overall_report(expected):
    return next(e for e in expected if "precinct" not in e["config"].get("contest", "").lower())


def compare_rounds(rounds, report, *, upto=None):
    theirs = report["results"][:upto]
    ours = rounds[:upto]
    assert len(ours) == len(theirs)
    for mine, exp in zip(ours, theirs, strict=True):
        tally = {k: str(v) for k, v in mine.tallies.items() if k in exp["tally"] or v}
        assert tally == exp["tally"], f"round {mine.number}"
        assert Fraction(str(mine.threshold)) == Fraction(exp["threshold"]), f"round {mine.number}"
        inactive = {CAUSE[k]: int(v) for k, v in exp["inactiveBallots"].items()}
        assert dict(mine.inactive) == inactive, f"round {mine.number}"
        eliminated = sorted(x["eliminated"] for x in exp["tallyResults"] if "eliminated" in x)
        elected = sorted(x["elected"] for x in exp["tallyResults"] if "elected" in x)
        assert sorted(mine.eliminated) == eliminated, f"round {mine.number}"
        assert sorted(mine.elected) == elected, f"round {mine.number}"
        for x in exp["tallyResults"]:
            if "eliminated" in x and x["transfers"]:
                moved = {k: str(v) for k, v in mine.transfers[x["eliminated"]].items()}
                assert moved == x["transfers"], f"round {mine.number} transfers"


@pytest.mark.parametrize("name", EXACT)
def test_rctab_fixture_every_round(rctab, name):
    config, profile, expected = rs.load(rctab / name)
    report = overall_report(expected)
    # rng only feeds a lot; where RCTab would draw at random these fixtures have no tie
    result = irv(profile, **rs.irv_options(config, profile), rng=0)
    compare_rounds(result.rounds, report)
    assert int(report["summary"]["totalNumBallots"]) == profile.n_ballots
    assert report["summary"]["undervotes"] == result.blank_ballots


def test_minneapolis_2013_mayor_headline_figures(rctab):
    config, profile, _ = rs.load(rctab / "2013_minneapolis_mayor")
    r = irv(profile, **rs.irv_options(config, profile))
    assert profile.n_ballots == 80101
    assert len(r.rounds) == 33
    assert (r.rounds[0].tallies["BETSY HODGES"], r.rounds[0].tallies["MARK ANDREW"]) == (28951, 19621)
    assert dict(r.rounds[-1].tallies) == {"BETSY HODGES": 38852, "MARK ANDREW": 24942}
    assert r.rounds[-1].threshold == 31898


def test_minneapolis_2017_mayor_headline_figures(rctab):
    config, profile, _ = rs.load(rctab / "2017_minneapolis_mayor")
    r = irv(profile, **rs.irv_options(config, profile))
    first = r.rounds[0].tallies
    assert (first["Jacob Frey"], first["Tom Hoch"], first["Betsy Hodges"], first["Raymond Dehn"]) == (
        26104,
        20122,
        18905,
        18100,
    )
    assert dict(r.rounds[-1].tallies) == {"Jacob Frey": 46704, "Raymond Dehn": 34970}
    assert r.rounds[-1].threshold == 40838
    assert len(r.rounds) == 6
    assert r.rounds[0].eliminated == (rs.UWI,)  # undeclared write-ins go alone in round 1


@pytest.mark.parametrize(
    "name",
    [
        "tiebreak_previous_round_counts_then_random_test",
        "tiebreak_seed_test",
        "tiebreak_generate_permutation_test",
    ],
)
def test_rctab_random_tie_fixtures_up_to_the_draw(rctab, name):
    """RCTab draws with java.util.Random; our lot is numpy's. Rounds before the first draw must
    agree, and every draw must be recorded with its inputs."""
    config, profile, expected = rs.load(rctab / name)
    report = overall_report(expected)
    r = irv(profile, **rs.irv_options(config, profile), rng=2024)
    assert r.tie_breaks, "a tie-break was expected"
    first_tie = r.tie_breaks[0].round
    compare_rounds(r.rounds, report, upto=first_tie - 1)
    for t in r.tie_breaks:
        assert t.chosen in t.tied
        assert set(t.steps) <= set(t.inputs)
        if "lot" in t.steps:
            assert t.inputs["lot"]["seed"] == 2024
            assert sorted(t.inputs["lot"]["lot_order"]) == sorted(profile.names)


def test_continue_until_two_with_batch_elimination(rctab):
    """RCTab reports the winner's round, then repeats it before eliminating; we decide both in
    one round. Winner, elimination order and the final two's totals agree."""
    config, profile, expected = rs.load(rctab / "continue_until_two_with_batch_elimination_test")
    report = overall_report(expected)
    r = irv(profile, **rs.irv_options(config, profile))
    assert r.winners == ("A",)
    theirs = [
        sorted(x["eliminated"] for x in rd["tallyResults"] if "eliminated" in x) for rd in report["results"]
    ]
    ours = [sorted(rd.eliminated) for rd in r.rounds]
    assert [e for e in ours if e] == [e for e in theirs if e]
    assert {k: str(v) for k, v in r.rounds[-1].tallies.items()} == report["results"][-1]["tally"]


MULTI_SEAT = [
    "2013_minneapolis_park",
    "minneapolis_multi_seat_threshold",
    "test_set_multi_winner_whole_threshold",
    "test_set_multi_winner_fractional_threshold",
]


@pytest.mark.parametrize("name", MULTI_SEAT)
def test_rctab_multi_seat_fixtures_with_wigm(rctab, name):
    """RCTab's multi-winner fractional count is WIGM with values truncated to the config's
    decimals. RCTab spends a round on an election before it excludes anyone (an unchanged
    round) and adds a round after the last seat to show the final surplus; those rounds carry
    no new totals and are left out of the comparison, every other round must match."""
    config, profile, expected = rs.load(rctab / name)
    r = stv(profile, **rs.stv_options(config, profile))
    report = overall_report(expected)
    theirs = []
    for rd in report["results"]:
        tally = {k: Fraction(v) for k, v in rd["tally"].items()}
        if theirs and tally == theirs[-1]["tally"]:
            continue
        theirs.append(
            {
                "tally": tally,
                "threshold": Fraction(rd["threshold"]),
                "inactive": {CAUSE[k]: Fraction(v) for k, v in rd["inactiveBallots"].items() if k in CAUSE},
            }
        )
    assert len(theirs) == len(r.rounds) + 1  # + RCTab's final-surplus round
    for mine, exp in zip(r.rounds, theirs, strict=False):
        assert {k: Fraction(v) for k, v in mine.tallies.items()} == exp["tally"], f"round {mine.number}"
        assert mine.threshold == exp["threshold"]
        assert dict(mine.inactive) == exp["inactive"], f"round {mine.number}"
    elected_order = [x["elected"] for rd in report["results"] for x in rd["tallyResults"] if "elected" in x]
    assert set(r.winners) == set(elected_order)
    assert r.winners[0] == elected_order[0]


def compare_fractional_round(mine, exp, *, last_surplus_of=None):
    """One multi-seat round in exact numbers: tallies, threshold, inactive ballots by cause,
    decisions and transfers. RCTab reports the value a surplus loses to truncation as a
    "residual surplus" transfer; ours is the surplus less what moved. The surplus of
    ``last_surplus_of`` (the last winner, which RCTab moves after the seats are filled and we
    do not) is left to the caller."""
    at = f"round {mine.number}"
    assert {k: Fraction(v) for k, v in mine.tallies.items()} == {
        k: Fraction(v) for k, v in exp["tally"].items()
    }, at
    assert mine.threshold == Fraction(exp["threshold"]), at
    inactive = {CAUSE[k]: Fraction(v) for k, v in exp["inactiveBallots"].items() if k in CAUSE}
    assert dict(mine.inactive) == inactive, at
    for what in ("elected", "eliminated"):
        assert sorted(getattr(mine, what)) == sorted(x[what] for x in exp["tallyResults"] if what in x), at
    for x in exp["tallyResults"]:
        src = x.get("elected", x.get("eliminated"))
        if src == last_surplus_of:
            continue
        theirs = {k: Fraction(v) for k, v in x["transfers"].items() if k != "residual surplus"}
        moved = {k: Fraction(v) for k, v in mine.transfers.get(src, {}).items()}
        assert moved == theirs, f"{at} transfers of {src}"
        if "elected" in x:
            residual = mine.tallies[src] - mine.threshold - sum(moved.values())
            assert residual == Fraction(x["transfers"].get("residual surplus", "0")), f"{at} residual of {src}"


def test_allow_only_one_winner_per_round(rctab):
    """RCTab's "allow only one winner per round": A, B and C all pass the threshold in round 1,
    only the first in candidate order is elected and its surplus moves before the next election.
    RCTab also moves the last winner's surplus, in an extra round (its round 4: no decision,
    every winner at the threshold, the surplus shown as "finalRoundSurplus"); we stop when the
    seats are filled. Rounds 1-3 are compared in full; the extra round is checked against our
    last winner's surplus."""
    config, profile, expected = rs.load(rctab / "test_set_allow_only_one_winner_per_round")
    report = overall_report(expected)
    r = stv(profile, **rs.stv_options(config, profile))
    theirs = report["results"]
    assert len(theirs) == len(r.rounds) + 1
    last = r.winners[-1]
    for mine, exp in zip(r.rounds, theirs, strict=False):
        assert len(mine.elected) == 1, f"round {mine.number}"
        compare_fractional_round(mine, exp, last_surplus_of=last if mine is r.rounds[-1] else None)
    assert list(r.winners) == [x["elected"] for rd in theirs for x in rd["tallyResults"] if "elected" in x]
    extra = theirs[-1]
    assert extra["tallyResults"] == []
    assert {k: Fraction(v) for k, v in extra["tally"].items() if k in r.winners} == dict.fromkeys(
        r.winners, r.quota
    )
    final = next(x["transfers"] for x in theirs[-2]["tallyResults"] if x.get("elected") == last)
    assert sum(Fraction(v) for v in final.values()) == r.rounds[-1].tallies[last] - r.quota
    assert Fraction(extra["inactiveBallots"]["finalRoundSurplus"]) == Fraction(final.get("exhausted", "0"))
    assert int(report["summary"]["totalNumBallots"]) == profile.n_ballots


def test_bottoms_up_with_static_threshold(rctab):
    """Bottoms-up using a percentage threshold: eliminate from the bottom until every continuing
    candidate has 15 % of the first round's active ballots (doesFirstRoundDetermineThreshold);
    all of them win. Every round is compared."""
    config, profile, expected = rs.load(rctab / "multi_seat_bottoms_up_with_static_threshold")
    rules = config["rules"]
    assert rules["winnerElectionMode"] == "bottomsUpUsingPercentageThreshold"
    report = overall_report(expected)
    opts = rs.irv_options(config, profile)
    opts.pop("continue_until_two")
    r = bottoms_up(profile, percentage=rules["multiSeatBottomsUpPercentageThreshold"], **opts)
    compare_rounds(r.rounds, report)
    assert r.rounds[-1].threshold == Fraction(report["summary"]["finalThreshold"])
    assert sorted(r.winners) == sorted(r.rounds[-1].tallies)
    assert int(report["summary"]["totalNumBallots"]) == profile.n_ballots
    assert report["summary"]["undervotes"] == r.blank_ballots


def test_sequential_irv_with_batch_elimination(rctab):
    """Multi-pass IRV: RCTab writes one report per pass (``_1``, ``_2``, ``_3``); each pass's
    rounds are compared in full with its report, earlier winners withdrawn."""
    config, profile, expected = rs.load(rctab / "sequential_with_batch")
    assert config["rules"]["winnerElectionMode"] == "multiPassIrv"
    r = sequential_irv(profile, seats=int(config["rules"]["numberOfWinners"]), **rs.irv_options(config, profile))
    assert len(expected) == len(r.winners) == 3
    for p, report in enumerate(expected, start=1):
        rounds = [x for x in r.rounds if x.extra["pass"] == p]
        assert [x.extra["pass_round"] for x in rounds] == [x["round"] for x in report["results"]]
        compare_rounds(rounds, report)
        assert rounds[-1].elected == (r.winners[p - 1],)
        assert int(report["summary"]["totalNumBallots"]) == profile.n_ballots
        assert report["summary"]["undervotes"] == r.blank_ballots


def test_first_round_determines_threshold(rctab):
    """IRV whose threshold is fixed by the first round (doesFirstRoundDetermineThreshold): 9 of
    16 ballots throughout, though 5 exhaust; with two left and no one at 9, the one with more
    votes wins. The round-1 tie for last place is broken by RCTab's own random draw from the
    config's seed ("rctab_random"), so every round is compared."""
    config, profile, expected = rs.load(rctab / "first_round_determines_threshold_test")
    assert config["rules"]["doesFirstRoundDetermineThreshold"]
    report = overall_report(expected)
    r = irv(profile, **rs.irv_options(config, profile, rctab_draw=True))
    assert r.options["threshold"] == "first_round"
    compare_rounds(r.rounds, report)
    assert [t.steps for t in r.tie_breaks] == [("rctab_random",)]
    assert r.rounds[-1].threshold == int(report["summary"]["finalThreshold"])
    assert int(report["summary"]["totalNumBallots"]) == profile.n_ballots
    assert report["summary"]["undervotes"] == r.blank_ballots


def test_rctab_random_mode_reproduced_with_its_own_draw(rctab):
    """tiebreak_seed_test breaks both of its ties with RCTab's random mode (seeded java.util.Random): with the
    "rctab_random" step every round matches, the draws included."""
    config, profile, expected = rs.load(rctab / "tiebreak_seed_test")
    r = irv(profile, **rs.irv_options(config, profile, rctab_draw=True))
    assert [t.round for t in r.tie_breaks] == [1, 2]
    compare_rounds(r.rounds, overall_report(expected))
