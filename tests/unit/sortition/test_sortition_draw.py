"""Results, JSON, verification, the transparent lottery, alternates and drop-out replacement."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sortition_helpers import instance, synthetic

import sortition
from sortition import Pool, Quotas, SelectionResult, SortitionError, draw, replace_dropouts, verify


@pytest.fixture(scope="module")
def case():
    rows, quotas = synthetic(80, 10, [2, 3, 3], seed=2, households=4)
    return rows, Pool.from_rows(rows, address_columns=("address",)), quotas


def test_public_api_names():
    for name in [
        "__version__",
        "SortitionError",
        "Pool",
        "Quotas",
        "load_pool",
        "load_quotas",
        "Progress",
        "check_feasibility",
        "find_distribution",
        "draw",
        "SelectionResult",
        "verify",
        "replace_dropouts",
    ]:
        assert hasattr(sortition, name), name
    assert issubclass(sortition.SortitionError, ValueError)


def test_result_to_dict_json_round_trip(case):
    _, pool, quotas = case
    result = draw(pool, quotas, 10, seed="abc", address_columns=("address",), alternates=4)
    d = result.to_dict()
    for key in [
        "panel",
        "probabilities",
        "seed",
        "method",
        "k",
        "alternates",
        "pool_sha256",
        "quotas_sha256",
        "version",
        "fairness",
        "quota_fulfilment",
    ]:
        assert key in d
    assert d["version"] == sortition.__version__ and d["method"] == "leximin" and d["seed"] == "abc"
    text = json.dumps(d)
    back = SelectionResult.from_dict(json.loads(text))
    assert back.panel == result.panel and back.alternates == result.alternates
    assert back.to_dict() == d
    assert set(result.fairness) >= {"minimum", "geometric_mean", "gini", "maximum"}
    assert result.fairness["minimum"] == pytest.approx(min(result.probabilities.values()))
    for f, v, lo, hi, selected in result.quota_fulfilment:
        assert lo <= selected <= hi
        assert selected == sum(1 for p in result.panel if pool.values[f][pool.ids.index(p)] == v)


def test_verify_round_trip_and_failures(case):
    rows, pool, quotas = case
    result = draw(pool, quotas, 10, seed=31337, address_columns=("address",), alternates=2)
    d = json.loads(json.dumps(result.to_dict()))
    assert verify(d, pool, quotas) == sortition.VerifyReport(True, ())
    # the pool changed: one person's feature differs
    changed = [dict(r) for r in rows]
    changed[5]["f0"] = "v1" if changed[5]["f0"] == "v0" else "v0"
    report = verify(d, Pool.from_rows(changed, address_columns=("address",)), quotas)
    assert not report.ok and "pool differs" in report.reasons[0]
    # the quotas changed
    items = list(quotas.items())
    items[0] = (*items[0][:3], items[0][3] + 1)
    report = verify(d, pool, Quotas.from_items(items))
    assert not report.ok and "quotas differ" in report.reasons[0]
    # a tampered panel
    tampered = dict(d, panel=sorted(set(d["panel"][1:]) | {next(i for i in pool.ids if i not in d["panel"])}))
    report = verify(tampered, pool, quotas)
    assert not report.ok and "different panel" in report.reasons[0]
    # another seed recorded
    assert (
        not verify(dict(d, seed="31338"), pool, quotas).ok
        or draw(pool, quotas, 10, seed="31338", address_columns=("address",), alternates=2).panel == result.panel
    )
    assert not verify({"panel": []}, pool, quotas).ok


def test_lottery_of_m_panels(case):
    _, pool, quotas = case
    m = 200
    a = draw(pool, quotas, 10, seed=1, address_columns=("address",), lottery_panels=m)
    b = draw(pool, quotas, 10, seed=2, address_columns=("address",), lottery_panels=m)
    assert a.distribution == b.distribution  # the lottery is published before the seed is known
    assert len(a.distribution) == m and all(w == 1 / m for _, w in a.distribution)
    assert a.panel in [p for p, _ in a.distribution]
    assert a.panel == a.distribution[a.panel_index][0]
    inst = instance(pool, quotas, 10, ("address",))
    index = {pid: i for i, pid in enumerate(pool.ids)}
    for panel, _ in a.distribution:
        assert inst.person_panel_ok([index[p] for p in panel])
    appear = {pid: 0 for pid in pool.ids}
    for panel, _ in a.distribution:
        for pid in panel:
            appear[pid] += 1
    for pid in pool.ids:
        assert a.probabilities[pid] == pytest.approx(appear[pid] / m)
    deviation = max(abs(a.probabilities[p] - a.exact_probabilities[p]) for p in pool.ids)
    assert a.lottery_max_deviation == pytest.approx(deviation)
    assert deviation <= 10 / m  # Beck-Fiala bound k/m
    assert verify(a.to_dict(), pool, quotas).ok


def test_alternates_are_ordered_distinct_and_off_panel(case):
    _, pool, quotas = case
    result = draw(pool, quotas, 10, seed="alt", address_columns=("address",), alternates=8)
    assert len(result.alternates) == 8 == len(set(result.alternates))
    assert not set(result.alternates) & set(result.panel)
    address = dict(zip(pool.ids, pool.addresses["address"], strict=True))
    panel_addresses = {address[p] for p in result.panel}
    assert not any(address[a] in panel_addresses for a in result.alternates)
    assert all(result.probabilities[a] > 0 for a in result.alternates)


def test_replace_dropouts_keeps_every_quota(case):
    _, pool, quotas = case
    result = draw(pool, quotas, 10, seed="drop", address_columns=("address",), alternates=10)
    inst = instance(pool, quotas, 10, ("address",))
    index = {pid: i for i, pid in enumerate(pool.ids)}
    for dropped in (result.panel[:1], result.panel[2:5]):
        rep = replace_dropouts(result, dropped, pool, quotas, seed="r1")
        assert len(rep.replacements) == len(dropped)
        assert set(rep.panel) == (set(result.panel) - set(dropped)) | set(rep.replacements)
        assert inst.person_panel_ok([index[p] for p in rep.panel])
        again = replace_dropouts(result, dropped, pool, quotas, seed="r1")
        assert again == rep


def test_replace_prefers_alternates_in_order():
    rows = [{"id": f"p{i}", "g": "ab"[i % 2]} for i in range(10)]
    pool = Pool.from_rows(rows)
    quotas = Quotas.from_items([("g", "a", 2, 2), ("g", "b", 2, 2)])
    result = draw(pool, quotas, 4, seed=3, alternates=6)
    dropped = result.panel[0]
    gender = dict(zip(pool.ids, pool.values["g"], strict=True))
    rep = replace_dropouts(result, [dropped], pool, quotas, seed=0)
    first_fit = next(a for a in result.alternates if gender[a] == gender[dropped])
    assert rep.replacements == (first_fit,)
    # with no alternates recorded, someone of the same gender from the rest of the pool
    bare = SelectionResult.from_dict(dict(result.to_dict(), alternates=[]))
    picks = {replace_dropouts(bare, [dropped], pool, quotas, seed=s).replacements[0] for s in range(12)}
    assert all(gender[p] == gender[dropped] and p not in result.panel for p in picks)
    assert len(picks) >= 2  # the seed decides among the equally good


def test_replace_dropouts_errors():
    rows = [{"id": f"p{i}", "g": "a" if i < 3 else "b"} for i in range(8)]
    pool = Pool.from_rows(rows)
    quotas = Quotas.from_items([("g", "a", 3, 3), ("g", "b", 1, 1)])
    result = draw(pool, quotas, 4, seed=1)
    with pytest.raises(SortitionError, match="not on the panel"):
        replace_dropouts(result, ["nobody"], pool, quotas, seed=1)
    a_member = next(p for p in result.panel if pool.values["g"][pool.ids.index(p)] == "a")
    with pytest.raises(SortitionError, match="keeping every quota") as info:
        replace_dropouts(result, [a_member], pool, quotas, seed=1)
    assert info.value.code == "no_replacement"


def test_systematic_sampling_gives_exact_within_group_chances():
    rows = [{"id": f"p{i:02d}", "g": "a" if i < 7 else "b"} for i in range(12)]
    pool = Pool.from_rows(rows)
    quotas = Quotas.from_items([("g", "a", 3, 3), ("g", "b", 2, 2)])
    result = draw(pool, quotas, 5, seed=0)
    probs = np.array([result.probabilities[p] for p in pool.ids])
    np.testing.assert_allclose(probs[:7], 3 / 7, atol=1e-9)
    np.testing.assert_allclose(probs[7:], 2 / 5, atol=1e-9)
    # the start points where the systematic sample changes: {j/7} and {j/5}, 1 + 6 + 4 = 11 segments
    assert len(result.distribution) == 11
    listed = {p: 0.0 for p in pool.ids}
    for panel, w in result.distribution:
        for p in panel:
            listed[p] += w
    np.testing.assert_allclose([listed[p] for p in pool.ids], probs, atol=1e-9)


def test_listed_size_counts_the_panels_exactly(case):
    from sortition import find_distribution

    _, pool, quotas = case
    dist = find_distribution(pool, quotas, 10, address_columns=("address",))
    assert dist.listed_size() == len(dist.panels())
    rows = [{"id": f"p{i:02d}", "g": "abc"[min(i // 6, 2)]} for i in range(20)]  # groups of 6, 6 and 8
    pool2 = Pool.from_rows(rows)
    d2 = find_distribution(pool2, Quotas.from_items([("g", "a", 2, 2), ("g", "b", 3, 3), ("g", "c", 2, 2)]), 7)
    # periods 3 (2 of 6), 2 (3 of 6), 4 (2 of 8): points {0, 1/4, 1/3, 1/2, 2/3, 3/4} -> 6 panels
    assert d2.listed_size() == len(d2.panels()) == 6
