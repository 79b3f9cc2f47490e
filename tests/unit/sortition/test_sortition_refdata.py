"""Against published data: the Nature 2021 replication package and the Sortition Foundation fixture."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sortition_helpers import synthetic

from sortition import Pool, check_feasibility, draw, find_distribution, load_pool, load_quotas

REPL = "sortition/citizensassemblies-replication"


def reference_profile(path, algorithm="LexiMin"):
    with open(path, encoding="utf-8") as fh:
        return np.array([float(r["selection probability"]) for r in csv.DictReader(fh) if r["algorithm"] == algorithm])


@pytest.mark.parametrize(("name", "k"), [("example_small_20", 20), ("example_large_200", 200)])
def test_replication_examples_match_the_paper(refdata, name, k):
    data = refdata / REPL / "data" / name
    pool = load_pool(data / "respondents.csv", id_column=None)
    quotas = load_quotas(data / "categories.csv")
    dist = find_distribution(pool, quotas, k)
    ours = np.sort(np.array(list(dist.probabilities.values())))
    ref = np.sort(reference_profile(refdata / REPL / "reference_output" / f"{name}_prob_allocs_data.csv"))
    assert len(ours) == len(ref) == len(pool)
    assert abs(ours[0] - ref[0]) <= 1e-4
    assert np.abs(ours - ref).max() <= 1e-4
    assert dist.stats["groups"] <= 4  # compressed to the few distinct feature profiles


def test_legacy_is_worse_than_leximin_on_example_small(refdata):
    data = refdata / REPL / "data" / "example_small_20"
    pool = load_pool(data / "respondents.csv", id_column=None)
    quotas = load_quotas(data / "categories.csv")
    legacy = np.array(list(find_distribution(pool, quotas, 20, method="legacy").probabilities.values()))
    ref_legacy = reference_profile(
        refdata / REPL / "reference_output" / "example_small_20_prob_allocs_data.csv", "Legacy"
    )
    # 1,000 greedy draws estimate the minimum: far below LEXIMIN's 0.1, like the paper's (≤ 1.2 %)
    assert legacy.min() < 0.05 and ref_legacy.min() < 0.05
    assert legacy.sum() == pytest.approx(20)


def test_sortition_foundation_fixture(refdata):
    base = refdata / "sortition" / "sortition-algorithms" / "tests" / "fixtures"
    quotas = load_quotas(base / "features.csv")
    pool = load_pool(
        base / "candidates.csv", id_column="nationbuilder_id", address_columns=("primary_address1", "primary_zip")
    )
    result = draw(pool, quotas, 22, seed="fixture", address_columns=("primary_address1", "primary_zip"))
    fz = result.fairness
    # reference (sortition-algorithms + Gurobi LEXIMIN): min 1/11, max 0.4709, Gini 0.140, geometric mean 0.1412
    assert fz["minimum"] == pytest.approx(1 / 11, abs=1e-4)
    assert fz["maximum"] == pytest.approx(0.4709, abs=1e-4)
    assert fz["gini"] == pytest.approx(0.140, abs=1e-3)
    assert fz["geometric_mean"] == pytest.approx(0.1412, abs=1e-4)
    for _, _, lo, hi, selected in result.quota_fulfilment:
        assert lo <= selected <= hi
    maximin = find_distribution(pool, quotas, 22, method="maximin", address_columns=("primary_address1", "primary_zip"))
    assert min(maximin.probabilities.values()) == pytest.approx(1 / 11, abs=1e-6)


def test_opendlp_monitoring_fixture_with_sheet_headers(refdata):
    base = refdata / "sortition" / "opendlp" / "backend" / "docs" / "fixtures" / "monitoring"
    quotas = load_quotas(base / "categories.csv")
    assert len(quotas) == 18
    pool = load_pool(base / "respondents.csv", id_column="unique_id")
    report = check_feasibility(pool, quotas, 30)
    result = draw(pool, quotas, 30, seed=7) if report.feasible else None
    if result is not None:
        assert len(result.panel) == 30
        assert all(lo <= s <= hi for _, _, lo, hi, s in result.quota_fulfilment)
        assert sum(result.probabilities.values()) == pytest.approx(30)
    else:  # then the report must explain it
        assert report.conflicts and report.relaxations


# Private instances of the paper: same n, k and number of categories, generated pools.
PRIVATE = {"mass_24": (70, 24, [2, 3, 2, 3, 2]), "sf_b_20": (250, 20, [2, 3, 3, 2, 2, 3])}


@pytest.mark.parametrize("name", PRIVATE)
def test_generated_pools_shaped_like_private_instances(refdata, name):
    n, k, values = PRIVATE[name]
    stats = (refdata / REPL / "reference_output" / f"{name}_statistics.txt").read_text(encoding="utf-8")
    assert f"pool size n:\t{n}" in stats and f"panel size k:\t{k}" in stats
    assert f"# quota categories:\t{len(values)}" in stats
    rows, quotas = synthetic(n, k, values, seed=len(name))
    pool = Pool.from_rows(rows, feature_columns=[f"f{i}" for i in range(len(values))])
    lex = find_distribution(pool, quotas, k)
    probs = np.array(list(lex.probabilities.values()))
    assert probs.sum() == pytest.approx(k, abs=1e-6)
    assert probs.min() > 0
    panels = lex.panels()
    assert panels is not None
    index = {pid: i for i, pid in enumerate(pool.ids)}
    for members, _ in panels:
        assert lex.instance.person_panel_ok([index[m] for m in members])
    legacy = np.array(list(find_distribution(pool, quotas, k, method="legacy").probabilities.values()))
    assert probs.min() >= legacy.min() - 1e-9
