"""Drop-outs at the real rates of a Healthy Democracy panel (Eugene 2020), replaced within quotas."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sortition import Pool, Quotas, draw, replace_dropouts
from sortition.model import build_instance

EUGENE = "sortition/alternates/logging/HD/Eugene_2020"


def test_replacements_keep_the_real_quota_table(refdata):
    base = refdata / EUGENE
    with open(base / "Eugene_2020_inferred_quotas.csv", encoding="utf-8") as fh:
        table = [(r["category"], r["name"], int(r["min"]), int(r["max"])) for r in csv.DictReader(fh)]
    with open(base / "Eugene_2020_dropout_probs.csv", encoding="utf-8") as fh:
        dropout = [float(r["dropout_prob"]) for r in csv.DictReader(fh)]
    n, k = len(dropout), 30
    # A pool of the real size: the first 30 people have the real panel's make-up; of the others, half
    # share the whole profile of one of them (similar people volunteer), half have random values.
    rng = np.random.default_rng(2020)
    categories = sorted({c for c, *_ in table})
    values = {c: [v for cc, v, lo, _ in table if cc == c] for c in categories}
    rows = [{"id": f"h{i:03d}"} for i in range(n)]
    for c in categories:
        panel_values = [v for cc, v, lo, _ in table if cc == c for _ in range(lo)]
        assert len(panel_values) == k
        rng.shuffle(panel_values)
        for i in range(k):
            rows[i][c] = panel_values[i]
    for i in range(k, n):
        twin = rows[int(rng.integers(k))]
        random_values = rng.random() < 0.5
        for c in categories:
            rows[i][c] = str(rng.choice(values[c])) if random_values else twin[c]
    pool = Pool.from_rows(rows)
    # the clerk's quotas: the realised panel's numbers, plus or minus one
    quotas = Quotas.from_items([(c, v, max(lo - 1, 0), hi + 1) for c, v, lo, hi in table])
    result = draw(pool, quotas, k, seed="eugene", method="maximin", alternates=15)
    rate = dict(zip(pool.ids, dropout, strict=True))
    leave = [p for p in result.panel if rng.random() < rate[p]]
    if not leave:  # the usual 2-4 drop-outs did not happen at these rates: take the likeliest three
        leave = sorted(result.panel, key=lambda p: -rate[p])[:3]
    rep = replace_dropouts(result, leave, pool, quotas, seed="eugene replacements")
    assert len(rep.replacements) == len(leave)
    assert not set(rep.replacements) & set(result.panel)
    inst = build_instance(pool, quotas, k, compress=False)
    index = {p: i for i, p in enumerate(pool.ids)}
    assert inst.person_panel_ok([index[p] for p in rep.panel])
    from_alternates = [p for p in rep.replacements if p in result.alternates]
    assert from_alternates == [p for p in result.alternates if p in rep.replacements]  # in list order
    assert from_alternates  # like-for-like alternates come first in the list
    assert sum(result.probabilities.values()) == pytest.approx(k)
