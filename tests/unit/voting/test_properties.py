"""Properties on random profiles (hypothesis)."""

from __future__ import annotations

import json
import random
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from naive import naive_irv

from voting import (
    Profile,
    condorcet_winner,
    copeland,
    irv,
    minimax,
    ranked_pairs,
    schulze,
    stv,
    tabulate,
)

CANDS = ["A", "B", "C", "D", "E", "F"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def messy_ballots(draw, max_candidates=6):
    """Ballots with skips, overvotes and repeated candidates, and the candidate list."""
    k = draw(st.integers(2, max_candidates))
    cands = CANDS[:k]
    entry = st.one_of(
        st.sampled_from(cands),
        st.sampled_from(cands),
        st.sampled_from(cands),
        st.none(),
        st.frozensets(st.sampled_from(cands), min_size=2, max_size=2),
    )
    ballots = draw(st.lists(st.lists(entry, max_size=k + 1), min_size=1, max_size=40))
    return cands, ballots


@st.composite
def strict_ballots(draw, max_candidates=6):
    k = draw(st.integers(2, max_candidates))
    cands = CANDS[:k]
    perms = st.permutations(cands).flatmap(lambda p: st.integers(1, len(p)).map(lambda n: list(p[:n])))
    ballots = draw(st.lists(perms, min_size=1, max_size=60))
    return cands, ballots


RULES = st.fixed_dictionaries(
    {
        "overvote": st.sampled_from(
            ["exhaust_immediately", "skip_to_next", "exhaust_if_multiple_continuing"]
        ),
        "max_skipped": st.sampled_from([None, 0, 1]),
        "duplicates": st.sampled_from(["skip", "exhaust"]),
        "batch_elimination": st.booleans(),
    }
)


@SETTINGS
@given(messy_ballots(), RULES)
def test_irv_round_totals_plus_inactive_equal_ballots(data, rules):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    r = irv(p, **rules, tie_break="candidate_order")
    counted = p.n_ballots - r.blank_ballots
    for rnd in r.rounds:
        assert sum(rnd.tallies.values()) + sum(rnd.inactive.values()) == counted
        assert rnd.active == sum(rnd.tallies.values())
    # inactive ballots never come back
    for a, b in zip(r.rounds, r.rounds[1:], strict=False):
        assert all(b.inactive[c] >= a.inactive[c] for c in a.inactive)


@SETTINGS
@given(messy_ballots(), RULES)
def test_irv_matches_ballot_by_ballot_reference(data, rules):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    r = irv(p, **rules, tie_break="candidate_order")
    ref = naive_irv(p, **rules)
    assert [dict(x.tallies) for x in r.rounds] == ref["tallies"]
    assert [dict(x.inactive) for x in r.rounds] == ref["inactive"]


@SETTINGS
@given(strict_ballots())
def test_condorcet_winner_wins_pairwise_methods(data):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    cw = condorcet_winner(p)
    if cw is None:
        return
    for method in (schulze, ranked_pairs, copeland, minimax):
        assert method(p, tie_break="candidate_order").winners == (cw,), method.__name__
    assert schulze(p, strength="winning_votes", tie_break="candidate_order").winners == (cw,)


def _result_json(result):
    return json.dumps(result.to_dict(), sort_keys=True)


@SETTINGS
@given(
    messy_ballots(), st.randoms(use_true_random=False), st.sampled_from(["irv", "stv", "schulze", "borda"])
)
def test_results_do_not_depend_on_ballot_order(data, rnd, method):
    cands, ballots = data
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    opts = {"rng": 7} | ({"seats": 2} if method == "stv" else {})
    a = tabulate(Profile.from_rankings(ballots, candidates=cands), method, **opts)
    b = tabulate(Profile.from_rankings(shuffled, candidates=cands), method, **opts)
    assert _result_json(a) == _result_json(b)


@SETTINGS
@given(messy_ballots(max_candidates=4), st.integers(0, 2**32 - 1))
def test_same_seed_gives_byte_identical_result(data, seed):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    for method, opts in (("irv", {}), ("stv", {"seats": 2, "rule": "scottish"}), ("copeland", {})):
        a = tabulate(p, method, tie_break="lot", rng=seed, **opts)
        b = tabulate(
            Profile.from_rankings(ballots, candidates=cands), method, tie_break="lot", rng=seed, **opts
        )
        assert _result_json(a) == _result_json(b)
        assert a.seed == seed


@SETTINGS
@given(strict_ballots(), st.integers(1, 3), st.sampled_from(["wigm", "scottish", "ers97"]))
def test_stv_conserves_votes_and_fills_seats(data, seats, rule):
    cands, ballots = data
    p = Profile.from_rankings(ballots, candidates=cands)
    r = stv(p, seats=seats, rule=rule, rng=3)
    valid = r.details["valid_votes"]
    assert valid == p.n_ballots
    for rnd in r.rounds:
        loss = rnd.extra["loss_by_fraction"]
        # votes are never created; exact WIGM loses nothing, truncating rules lose < 1e-5 (5 dp)
        # or < 1e-2 (2 dp) per ballot per transfer, plus ERS97's non-transferable surplus
        assert loss >= 0
        if rule == "wigm":
            assert loss == 0
        if rule == "scottish":
            assert loss < Fraction(len(ballots) * len(r.rounds), 10**5)
        assert sum(rnd.tallies.values()) + sum(rnd.inactive.values()) <= valid
    assert len(r.winners) == min(seats, len(cands))
    assert len(set(r.winners)) == len(r.winners)


@SETTINGS
@given(strict_ballots(max_candidates=5), st.integers(1, 3))
def test_meek_fills_seats_and_keep_factors_in_range(data, seats):
    cands, ballots = data
    r = stv(Profile.from_rankings(ballots, candidates=cands), seats=seats, rule="meek", rng=3)
    assert len(r.winners) == min(seats, len(cands))
    for rnd in r.rounds:
        assert all(0 < k <= 1 for k in rnd.extra["keep_factors"].values())


def test_matrix_and_list_profiles_agree():
    rng = random.Random(5)
    rows = []
    for _ in range(500):
        perm = rng.sample(range(5), 5)
        n = rng.randint(1, 5)
        rows.append(perm[:n] + [-1] * (5 - n))
    import numpy as np

    pm = Profile.from_matrix(np.array(rows), candidates=CANDS[:5])
    pl = Profile.from_rankings([[CANDS[c] for c in r if c >= 0] for r in rows], candidates=CANDS[:5])
    assert pm.n_ballots == pl.n_ballots == 500
    assert _result_json(irv(pm, rng=1)) == _result_json(irv(pl, rng=1))
    assert _result_json(stv(pm, seats=2, rng=1)) == _result_json(stv(pl, seats=2, rng=1))
