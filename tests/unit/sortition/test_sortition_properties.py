"""Properties every distribution and every draw must have."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest
from sortition_helpers import instance, synthetic

from sortition import Pool, Progress, draw, find_distribution
from sortition.selection import clear_cache

METHODS = ["leximin", "maximin", "nash"]


@pytest.fixture(scope="module")
def biased():
    """60 people, 4 features (2-4 values), 3 households of two; panel of 12."""
    rows, quotas = synthetic(60, 12, [2, 3, 4, 2], seed=5, households=3)
    return Pool.from_rows(rows, address_columns=("address",)), quotas


def listed_marginals(panels, ids):
    p = defaultdict(float)
    for members, w in panels:
        for pid in members:
            p[pid] += w
    return np.array([p[i] for i in ids])


@pytest.mark.parametrize("method", METHODS)
def test_support_meets_quotas_and_households_and_marginals_match(biased, method):
    pool, quotas = biased
    dist = find_distribution(pool, quotas, 12, method=method, address_columns=("address",))
    inst = instance(pool, quotas, 12, ("address",))
    panels = dist.panels()
    assert panels is not None and len(panels) >= 1
    assert sum(w for _, w in panels) == pytest.approx(1.0, abs=1e-9)
    index = {pid: i for i, pid in enumerate(inst.ids)}
    address = dict(zip(pool.ids, pool.addresses["address"], strict=True))
    for members, w in panels:
        assert w > 0
        assert len(members) == 12
        assert inst.person_panel_ok([index[m] for m in members]), members
        assert len({address[m] for m in members}) == 12  # household rule
    probs = np.array([dist.probabilities[i] for i in inst.ids])
    assert probs.sum() == pytest.approx(12, abs=1e-6)
    np.testing.assert_allclose(listed_marginals(panels, inst.ids), probs, atol=1e-9)
    # people of one group (same features, alone at their address) get the same probability
    for members in inst.unit_members:
        assert np.ptp(probs[members]) < 1e-12


def test_leximin_dominates_maximin_nash_and_legacy(biased):
    pool, quotas = biased
    sorted_probs = {}
    for method in ["leximin", "maximin", "nash", "legacy"]:
        dist = find_distribution(pool, quotas, 12, method=method, address_columns=("address",))
        sorted_probs[method] = np.sort(list(dist.probabilities.values()))
    lex = sorted_probs["leximin"]
    assert lex[0] == pytest.approx(sorted_probs["maximin"][0], abs=1e-6)  # same minimum
    for other in ("maximin", "nash", "legacy"):
        assert lex[0] >= sorted_probs[other][0] - 1e-6
        diff = lex - sorted_probs[other]  # leximin: the first difference is positive (or none)
        first = next((d for d in diff if abs(d) > 1e-6), 0.0)
        assert first >= 0, other
    geo = {m: np.exp(np.mean(np.log(np.maximum(p, 1e-300)))) for m, p in sorted_probs.items()}
    assert geo["nash"] >= geo["leximin"] - 1e-4
    assert geo["nash"] >= geo["legacy"] - 1e-4


def test_same_seed_same_panel_other_seed_other_panel(biased):
    pool, quotas = biased
    a = draw(pool, quotas, 12, seed="2026-05-01 dice 3 5 1", address_columns=("address",))
    clear_cache()  # recompute the distribution: the LPs must give the same panel again
    b = draw(pool, quotas, 12, seed="2026-05-01 dice 3 5 1", address_columns=("address",))
    assert a == b
    panels = {draw(pool, quotas, 12, seed=s, address_columns=("address",)).panel for s in range(6)}
    assert len(panels) >= 3
    assert a.panel in {p for p, _ in a.distribution}


def test_row_order_does_not_change_anything(biased):
    rows, quotas = synthetic(60, 12, [2, 3, 4, 2], seed=5, households=3)
    shuffled = rows[:]
    random.Random(11).shuffle(shuffled)
    a = draw(
        Pool.from_rows(rows, address_columns=("address",)),
        quotas,
        12,
        seed=9,
        address_columns=("address",),
        alternates=3,
        lottery_panels=50,
    )
    b = draw(
        Pool.from_rows(shuffled, address_columns=("address",)),
        quotas,
        12,
        seed=9,
        address_columns=("address",),
        alternates=3,
        lottery_panels=50,
    )
    assert a.probabilities == b.probabilities
    assert a.panel == b.panel and a.alternates == b.alternates
    assert a.pool_sha256 == b.pool_sha256
    assert a.distribution == b.distribution


def test_extra_pool_columns_do_not_change_the_draw(biased):
    pool, quotas = biased
    rows = [
        {
            "id": pid,
            "name": f"N{j}",
            **{f: pool.values[f][j] for f in pool.features},
            "address": pool.addresses["address"][j],
        }
        for j, pid in enumerate(pool.ids)
    ]
    wide = Pool.from_rows(rows)  # every column a feature, the name too
    a = draw(pool, quotas, 12, seed=1, address_columns=("address",))
    b = draw(wide, quotas, 12, seed=1, address_columns=("address",))
    assert a.panel == b.panel and a.pool_sha256 == b.pool_sha256


def test_sampling_frequencies_follow_the_probabilities(small):
    pool, quotas = small
    dist = find_distribution(pool, quotas, 4, address_columns=("street",))
    draws = 3000
    rng = np.random.default_rng(0)
    freq = np.zeros(len(pool))
    for _ in range(draws):
        _, members = dist.sample(rng)
        freq[members] += 1
    expected = np.array([dist.probabilities[i] for i in pool.ids])
    assert np.abs(freq / draws - expected).max() < 4 * np.sqrt(0.25 / draws)


def test_progress_is_reported_every_iteration(biased):
    pool, quotas = biased
    seen: list[Progress] = []
    clear_cache()
    dist = find_distribution(pool, quotas, 12, address_columns=("address",), progress=seen.append)
    lp_reports = [p for p in seen if p.phase == "leximin" and p.bound is not None]
    assert len(lp_reports) >= dist.stats["lp_iterations"]
    assert [p.iteration for p in lp_reports] == sorted(p.iteration for p in lp_reports)
    assert all(isinstance(p.message, str) and p.message for p in seen)


def test_households_are_units_of_their_own(small):
    pool, quotas = small
    inst = instance(pool, quotas, 4, ("street",))
    assert len(inst.households) == 2
    for h in inst.households:
        assert all(inst.counts[u] == 1 for u in h)
    res = draw(pool, quotas, 4, seed="x", address_columns=("street",))
    streets = dict(zip(pool.ids, pool.addresses["street"], strict=True))
    assert len({streets[p] for p in res.panel}) == 4


def test_warm_started_and_from_scratch_lps_agree(biased, monkeypatch):
    """The kept-alive HiGHS master LP and scipy's public linprog give the same LEXIMIN."""
    import sortition.solvers as solvers

    pool, quotas = biased
    inst = instance(pool, quotas, 12, ("address",))
    warm = solvers.leximin(inst)
    monkeypatch.setattr(solvers, "_WARM", False)
    cold = solvers.leximin(inst)
    monkeypatch.setattr(solvers, "_EXTRA", "damped")  # extra panels from integer programs instead of swaps
    damped = solvers.leximin(inst)
    monkeypatch.setattr(solvers, "_EXTRA", "swaps")
    swaps = solvers.leximin(inst)
    p_warm = np.sort(warm.weights @ (warm.panels / inst.counts))
    for other in (cold, damped, swaps):
        np.testing.assert_allclose(np.sort(other.weights @ (other.panels / inst.counts)), p_warm, atol=1e-6)


@pytest.mark.parametrize("warm", [True, False])
def test_pricing_oracle_finds_the_best_panel_or_proves_none_beats_the_threshold(biased, monkeypatch, warm):
    """The kept-alive LP relaxation + integer program (or, without scipy's HiGHS bindings, the
    public milp) agree with a fresh milp on random weights, and the threshold is respected."""
    import sortition.solvers as solvers
    from sortition.model import Pricer

    monkeypatch.setattr(solvers, "_WARM", warm)
    pool, quotas = biased
    inst = instance(pool, quotas, 12, ("address",))
    oracle = solvers._Oracle(inst, Pricer(inst))
    rng = np.random.default_rng(3)
    for t in range(30):
        w = rng.random(inst.n_units) ** (1 + t % 4)  # skewed weights make fractional relaxations
        reference = Pricer(inst).solve(w)[1]
        x, value = oracle.best(w)
        assert x is not None and inst.panel_ok(x)
        assert float(w @ x) == pytest.approx(reference, abs=1e-9)
        assert oracle.best(w, reference + 1e-6)[0] is None
        better = oracle.best(w, reference - 1e-3)[0]
        assert better is not None and float(w @ better) > reference - 1e-3
    assert (oracle.lp_calls > 0) == warm
    assert (oracle.mip_calls > 0) == warm  # the integer program ran too, where the relaxation was fractional


def test_seat_swaps_keep_panels_valid_and_stop_at_a_local_optimum(biased):
    """Every swap keeps the quotas and the household rule; at the end no single valid swap gains."""
    import sortition.solvers as solvers
    from sortition.model import Pricer

    pool, quotas = biased
    inst = instance(pool, quotas, 12, ("address",))
    swaps = solvers._SwapSearch(inst)
    rng = np.random.default_rng(8)
    for _ in range(20):
        x = Pricer(inst).best(rng.random(inst.n_units))
        w = rng.random(inst.n_units)
        z = swaps.improve(x, w, max_moves=100)
        assert inst.panel_ok(z) and w @ z >= w @ x - 1e-12
        for a in np.flatnonzero(z):
            for b in np.flatnonzero(z < inst.counts):
                moved = z.copy()
                moved[a] -= 1
                moved[b] += 1
                if inst.panel_ok(moved):
                    assert w[b] - w[a] <= 1e-12


def test_final_weights_are_solved_again_when_the_master_ones_miss_a_floor(biased, monkeypatch):
    """LEXIMIN takes the last master LP's panel weights; when they miss someone's floor (here: made
    uniform), it solves for weights over the panels found instead, with the same probabilities."""
    import sortition.solvers as solvers

    pool, quotas = biased
    inst = instance(pool, quotas, 12, ("address",))
    monkeypatch.setattr(solvers, "_WALK", False)  # column generation, whose master LP gives the weights
    normal = solvers.leximin(inst)
    solve = solvers._MasterLP.solve

    def uniform_weights(self, *args):
        out = solve(self, *args)
        self.lam = np.ones_like(self.lam)
        return out

    monkeypatch.setattr(solvers._MasterLP, "solve", uniform_weights)
    calls = []
    final_primal = solvers._final_primal
    monkeypatch.setattr(solvers, "_final_primal", lambda *a: calls.append(1) or final_primal(*a))
    again = solvers.leximin(inst)
    assert calls
    for dist in (normal, again):
        assert all(inst.panel_ok(x) for x in dist.panels)
    np.testing.assert_allclose(
        np.sort(again.weights @ (again.panels / inst.counts)),
        np.sort(normal.weights @ (normal.panels / inst.counts)),
        atol=1e-6,
    )


@pytest.mark.parametrize("warm", [True, False])
def test_leximin_on_quotas_no_panel_meets_raises_infeasible(monkeypatch, warm):
    import sortition.solvers as solvers
    from sortition import Quotas, SortitionError

    monkeypatch.setattr(solvers, "_WARM", warm)
    rows = [{"id": f"p{i}", "g": "mf"[i < 2]} for i in range(10)]  # only 2 f
    quotas = Quotas.from_items([("g", "f", 3, 5), ("g", "m", 0, 5)])
    inst = instance(Pool.from_rows(rows), quotas, 5)
    with pytest.raises(SortitionError) as info:
        solvers.leximin(inst)
    assert info.value.code == "infeasible"


@pytest.mark.parametrize("values", [[2, 3, 4, 2], [3, 3, 2, 4, 2]])
def test_leximin_by_the_relaxation_walk_equals_column_generation(values, monkeypatch):
    """The walk (a lottery reaching the LEXIMIN of fractional panels) and column generation give
    the same probabilities; when the walk fails midway, column generation takes over."""
    import sortition.solvers as solvers

    rows, quotas = synthetic(80, 12, values, seed=7, households=4)
    inst = instance(Pool.from_rows(rows, address_columns=("address",)), quotas, 12, ("address",))
    walked = solvers.leximin(inst)
    monkeypatch.setattr(solvers, "_WALK", False)
    generated = solvers.leximin(inst)
    monkeypatch.setattr(solvers, "_WALK", True)
    solve = solvers._FaceProgram.solve
    calls = []

    def failing_after_three(self, *args):
        calls.append(1)
        return solve(self, *args) if len(calls) <= 3 else None

    monkeypatch.setattr(solvers._FaceProgram, "solve", failing_after_three)
    fallen_back = solvers.leximin(inst)
    assert len(calls) == 4
    assert walked.stats["walked"] and not generated.stats["walked"] and not fallen_back.stats["walked"]
    for dist in (walked, generated, fallen_back):
        assert all(inst.panel_ok(x) for x in dist.panels)
        assert dist.weights.sum() == pytest.approx(1.0, abs=1e-12)
    profile = {
        name: np.sort(d.weights @ (d.panels / inst.counts))
        for name, d in (("walked", walked), ("generated", generated), ("fallen_back", fallen_back))
    }
    np.testing.assert_allclose(profile["walked"], profile["generated"], atol=1e-6)
    np.testing.assert_allclose(profile["fallen_back"], profile["generated"], atol=1e-6)
