"""Generated respondent pools for the panels tests (self-selection bias, as real pools have)."""

from __future__ import annotations

import numpy as np

FEATURES = {
    "gender": (["female", "male", "other"], [0.55, 0.43, 0.02]),
    "age_band": (["16-29", "30-44", "45-64", "65+"], [0.14, 0.24, 0.36, 0.26]),
    "education": (["primary", "secondary", "higher"], [0.12, 0.38, 0.50]),
    "district": (["Centrum", "Heverlee", "Kessel-Lo", "Wilsele", "Wijgmaal"], [0.2, 0.28, 0.3, 0.14, 0.08]),
    "housing": (["owner", "tenant"], [0.65, 0.35]),
    "origin": (["born here", "elsewhere in the country", "abroad"], [0.6, 0.28, 0.12]),
}


def feature_text(names=None) -> str:
    names = names or list(FEATURES)
    return "\n".join(f"{name}: {', '.join(FEATURES[name][0])}" for name in names)


def pool_csv(n: int, *, names=None, seed: int = 7, personal: bool = True) -> str:
    """A respondents CSV of ``n`` people answering the features ``names`` (all six by default)."""
    rng = np.random.default_rng(seed)
    names = names or list(FEATURES)
    header = list(names) + (["name", "email", "phone", "address", "postal_code"] if personal else [])
    lines = [",".join(header)]
    columns = {name: rng.choice(len(FEATURES[name][0]), size=n, p=FEATURES[name][1]) for name in names}
    for i in range(n):
        row = [FEATURES[name][0][columns[name][i]] for name in names]
        if personal:
            row += [f"Person {i + 1}", f"person{i + 1}@example.org", f"+32 470 {i:06d}",
                    f"Street {i + 1}", "3010"]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def proportional_quotas(panel, slack: float = 0.25) -> list[dict]:
    """Quotas ± slack around the pool's proportions (wide enough to be feasible)."""
    from collections import Counter

    quotas = []
    counts = {f["name"]: Counter(r.features[f["name"]] for r in panel.respondents) for f in panel.features}
    n = len(panel.respondents)
    for f in panel.features:
        for value in f["values"]:
            target = panel.size * counts[f["name"]][value] / n
            low = max(0, int(target * (1 - slack)) - 1)
            high = min(panel.size, int(target * (1 + slack)) + 2, counts[f["name"]][value])
            quotas.append({"feature": f["name"], "value": value, "min": min(low, high), "max": high})
    return quotas
