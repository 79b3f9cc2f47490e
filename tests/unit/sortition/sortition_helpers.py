"""Generators shared by the sortition tests."""

from __future__ import annotations

import numpy as np

from sortition import Pool, Quotas
from sortition.model import build_instance

REPLICATION = "sortition/citizensassemblies-replication"


def synthetic(n: int, k: int, values: list[int], *, seed: int = 0, households: int = 0) -> tuple[list[dict], Quotas]:
    """A pool with self-selection bias (earlier values twice as common as the last) and loose
    quotas around equal shares; ``households`` pairs of people share an address."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {"id": f"p{i:05d}"}
        for f, nv in enumerate(values):
            bias = np.linspace(2.0, 1.0, nv)
            row[f"f{f}"] = f"v{int(rng.choice(nv, p=bias / bias.sum()))}"
        row["address"] = f"street {i // 2}" if i < 2 * households else f"house {i}"
        rows.append(row)
    items = []
    for f, nv in enumerate(values):
        share = k / nv
        for v in range(nv):
            items.append((f"f{f}", f"v{v}", max(0, int(share * 0.6)), int(np.ceil(share * 1.5))))
    return rows, Quotas.from_items(items)


def small_pool() -> tuple[Pool, Quotas]:
    """12 people, 3 features, two 2-person households (street s0, s1), panel of 4."""
    rows = []
    for i in range(12):
        rows.append(
            {
                "id": f"x{i:02d}",
                "gender": "fm"[i % 2],
                "age": ["young", "middle", "old"][i % 3],
                "area": "north" if i < 5 else "south",
                "street": f"s{i // 2 if i < 4 else i}",
            }
        )
    quotas = Quotas.from_items(
        [
            ("gender", "f", 2, 2),
            ("gender", "m", 2, 2),
            ("age", "young", 1, 2),
            ("age", "middle", 1, 2),
            ("age", "old", 1, 2),
            ("area", "north", 1, 3),
            ("area", "south", 1, 3),
        ]
    )
    return Pool.from_rows(rows, address_columns=("street",)), quotas


def instance(pool, quotas, k, address_columns=(), compress=True):
    return build_instance(pool, quotas, k, address_columns=address_columns, compress=compress)
