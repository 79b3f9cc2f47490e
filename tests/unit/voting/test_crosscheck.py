"""Optional cross-checks against pref_voting (skipped when it is not installed)."""

from __future__ import annotations

import random

import pytest

from voting import Profile, irv, read_ballots, stv

pv = pytest.importorskip("pref_voting")


def _profiles(n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        k = rng.randint(4, 7)
        seats = rng.randint(2, 3)
        w = [rng.random() ** 2 for _ in range(k)]
        ballots = []
        for _ in range(rng.randint(30, 120)):
            order = sorted(range(k), key=lambda c: -w[c] * rng.random())
            ballots.append(order[: rng.randint(1, k)])
        yield k, seats, ballots


@pytest.mark.parametrize("rule", ["meek", "scottish", "wigm"])
def test_stv_elected_sets_agree_with_pref_voting(rule):
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.proportional_methods import stv_meek, stv_scottish, stv_wig

    theirs_fn = {
        "meek": lambda prof, s: stv_meek(prof, num_seats=s),
        "scottish": lambda prof, s: stv_scottish(prof, num_seats=s),
        "wigm": lambda prof, s: stv_wig(prof, num_seats=s, quota_rule="droop"),
    }[rule]
    compared = 0
    n = 10 if rule == "meek" else 25  # pref_voting's Meek is slow
    for k, seats, ballots in _profiles(n, seed=1):
        ours = stv(Profile.from_rankings(ballots, candidates=list(range(k))), seats=seats, rule=rule, rng=5)
        if ours.tie_breaks:
            continue  # the libraries break ties differently; only untied counts are comparable
        prof = ProfileWithTies([{c: r for r, c in enumerate(b)} for b in ballots], candidates=list(range(k)))
        assert {int(x) for x in ours.winners} == set(theirs_fn(prof, seats))
        compared += 1
    assert compared >= n - 3


@pytest.mark.parametrize(
    "path",
    [
        "nswla/00058-00000004.soi",
        "nswla/00058-00000059.soi",
        "nswla/00058-00000138.soi",
        "irish/00001-00000002.soi",
    ],
)
def test_irv_winner_agrees_with_pref_voting(refdata, path):
    from pref_voting.profiles_with_ties import ProfileWithTies
    from pref_voting.voting_methods import instant_runoff_for_truncated_linear_orders

    p = read_ballots(refdata / "ranked" / path)
    rankings = [p.ranking(i) for i in range(p.n_distinct)]
    prof = ProfileWithTies(
        [{c: r for r, c in enumerate(rk)} for rk in rankings],
        rcounts=p.counts.tolist(),
        candidates=list(p.candidates),
    )
    assert list(irv(p).winners) == instant_runoff_for_truncated_linear_orders(prof)
