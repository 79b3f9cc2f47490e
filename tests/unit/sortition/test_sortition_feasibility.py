"""Infeasible quotas: a conflict report and the smallest relaxation, never a crash."""

from __future__ import annotations

import itertools

import pytest

from sortition import Pool, Quotas, SortitionError, check_feasibility, draw


def pool_of(profiles):
    return Pool.from_rows([{"id": f"q{i:02d}", "g": g, "a": a} for i, (g, a) in enumerate(profiles)])


def test_feasible_report(small):
    pool, quotas = small
    report = check_feasibility(pool, quotas, 4, address_columns=("street",))
    assert report.feasible and report.conflicts == () and report.relaxations == ()
    assert report.to_dict() == {"feasible": True, "conflicts": [], "relaxations": [], "conflict_details": []}


def test_minimums_above_panel_size():
    pool = pool_of([("f", "y")] * 5 + [("m", "o")] * 5)
    quotas = Quotas.from_items([("g", "f", 3, 5), ("g", "m", 3, 5), ("a", "y", 0, 5), ("a", "o", 0, 5)])
    report = check_feasibility(pool, quotas, 5)
    assert not report.feasible
    assert any("minimums for g add up to 6, more than the panel size 5" in c for c in report.conflicts)
    assert {"kind": "minimums_above_size", "feature": "g", "total": 6, "size": 5} in report.conflict_details
    assert len(report.relaxations) == 1
    r = report.relaxations[0]
    assert (r.feature, r.old_min, r.new_min) == ("g", 3, 2)
    assert "lower its minimum from 3 to 2" in r.sentence()


def test_too_few_people_with_a_value():
    pool = pool_of([("f", "y")] * 2 + [("m", "o")] * 8)
    quotas = Quotas.from_items([("g", "f", 3, 5), ("g", "m", 0, 5), ("a", "y", 0, 5), ("a", "o", 0, 5)])
    report = check_feasibility(pool, quotas, 5)
    assert not report.feasible
    assert "Only 2 in the pool have g = f, but the minimum is 3." in report.conflicts
    detail = {"kind": "too_few_in_pool", "feature": "g", "value": "f", "available": 2, "minimum": 3}
    # One detail per sentence, in the same order: a translation replaces the sentences one for one.
    assert report.conflict_details[report.conflicts.index("Only 2 in the pool have g = f, but the minimum is 3.")] \
        == detail
    assert [(r.feature, r.value, r.new_min, r.new_max) for r in report.relaxations] == [("g", "f", 2, 5)]


def test_conflict_between_features_names_them_and_relaxation_is_minimal():
    # women are all young and men all old: "3 women" and "at most 1 young" cannot both hold
    pool = pool_of([("f", "y")] * 4 + [("m", "o")] * 6)
    quotas = Quotas.from_items([("g", "f", 3, 4), ("g", "m", 1, 4), ("a", "y", 0, 1), ("a", "o", 1, 4)])
    report = check_feasibility(pool, quotas, 4)
    assert not report.feasible
    text = " ".join(report.conflicts)
    assert "g = f" in text or "a = y" in text
    assert len(report.conflict_details) == len(report.conflicts)
    kinds = [d["kind"] for d in report.conflict_details]
    assert kinds[-2:] == ["quotas_in_conflict", "smallest_change"]
    named = report.conflict_details[-2]["quotas"]
    assert {(q["feature"], q["value"]) for q in named} == {(r.feature, r.value) for r in report.relaxations}
    assert report.conflict_details[-1]["relaxations"] == [r.to_dict() for r in report.relaxations]
    moved = sum(abs(r.new_min - r.old_min) + abs(r.new_max - r.old_max) for r in report.relaxations)
    # brute force: the fewest seats of change that allow a panel of 4
    best = min(
        abs(fmin - 3) + abs(ymax - 1)
        for fmin, ymax in itertools.product(range(0, 5), range(0, 5))
        if any(w >= fmin and w <= ymax and 4 - w >= 1 for w in range(0, 5))
    )
    assert moved == best == 2
    relaxed = Quotas.from_items(
        [(r.feature, r.value, r.new_min, r.new_max) for r in report.relaxations]
        + [
            (f, v, lo, hi)
            for f, v, lo, hi in quotas.items()
            if (f, v) not in {(r.feature, r.value) for r in report.relaxations}
        ]
    )
    assert check_feasibility(pool, relaxed, 4).feasible


def test_households_can_make_it_infeasible():
    rows = [{"id": str(i), "g": "x", "addr": f"a{i % 3}"} for i in range(9)]
    pool = Pool.from_rows(rows, address_columns=("addr",))
    quotas = Quotas.from_items([("g", "x", 0, 9)])
    assert check_feasibility(pool, quotas, 3, address_columns=("addr",)).feasible
    report = check_feasibility(pool, quotas, 4, address_columns=("addr",))
    assert not report.feasible
    assert any("only 3 people can be chosen together" in c for c in report.conflicts)
    assert report.relaxations == ()
    assert report.conflict_details == (
        {"kind": "households_too_few", "selectable": 3, "size": 4},
        {"kind": "no_quota_change_helps", "size": 4},
    )


def test_draw_raises_with_the_report_attached():
    pool = pool_of([("f", "y")] * 2 + [("m", "o")] * 8)
    quotas = Quotas.from_items([("g", "f", 3, 5), ("g", "m", 0, 5), ("a", "y", 0, 5), ("a", "o", 0, 5)])
    with pytest.raises(SortitionError) as info:
        draw(pool, quotas, 5, seed=1)
    err = info.value
    assert err.code == "infeasible"
    assert err.report is not None and not err.report.feasible
    assert "Only 2 in the pool have g = f" in str(err)
    assert err.report.to_dict()["relaxations"][0]["new_min"] == 2
