"""Real Pabulib elections: our rules give back the published outcomes.

For every file in ../shared/refdata/pb whose META names the rule used and that records the official
winners in a ``selected`` column, the rule (as :func:`rule_from_meta` reads it) reproduces that column
exactly. Further known outcomes come from the issue and the research note (pabutools cross-checks).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from voting.budget import Election, allocate, equal_shares, greedy, read_pb, rule_from_meta


@cache
def _load(path: Path) -> Election:
    return read_pb(path)


def _pb(refdata: Path, name: str) -> Election:
    path = refdata / "pb" / name
    if not path.is_file():
        pytest.skip(f"{name} not in the reference data")
    return _load(path)


def _official(e: Election) -> set[str]:
    return {p.id for p in e.projects if p.fields.get("selected", "").strip() == "1"}


def test_every_file_naming_its_rule_reproduces_selected(refdata: Path) -> None:
    checked = []
    for path in sorted((refdata / "pb").glob("*.pb")):
        e = _load(path)
        found = rule_from_meta(e)
        if found is None or "selected" not in e.project_columns:
            continue
        rule, options = found
        result = allocate(e, rule, **options, **({"explain": False} if rule == "mes" else {}))
        assert set(result.selected) == _official(e), path.name
        assert result.total_cost == sum(p.cost for p in e.projects if p.id in _official(e)), path.name
        checked.append(path.name)
    # Wieliczka, Świecie, Assen (MES); Praga-Południe, Łódź, Warsaw 2026, Kraków, Katowice (greedy)
    assert len(checked) == 8, checked


@pytest.mark.parametrize(
    ("name", "n_projects", "total"),
    [
        ("Poland_Wieliczka_2023_Green_Budget.pb", 30, 995_079),
        ("Poland_Swiecie_2023.pb", 17, 1_040_337),
        ("Netherlands_Assen_2024.pb", 9, 76_700),
    ],
)
def test_mes_add1_known_outcomes(refdata: Path, name: str, n_projects: int, total: int) -> None:
    result = equal_shares(_pb(refdata, name), completion="add1", explain=False)
    assert len(result.selected) == n_projects
    assert result.total_cost == total


def test_assen_winners(refdata: Path) -> None:
    result = equal_shares(_pb(refdata, "Netherlands_Assen_2024.pb"), completion="add1")
    assert set(result.selected) == {"2", "3", "5", "6", "9", "11", "12", "13", "14"}


def test_wieliczka_add1_variants_differ(refdata: Path) -> None:
    e = _pb(refdata, "Poland_Wieliczka_2023_Green_Budget.pb")
    official = equal_shares(e, completion="add1", explain=False)
    # the official result: last feasible share B/n + 164
    assert official.per_voter_budget == Fraction(e.budget, len(e.ballots)) + 164
    early = equal_shares(e, completion="add1", add1_stop="exhaustive", explain=False)
    assert (len(early.selected), early.total_cost) == (31, 984_579)
    assert set(early.selected) - set(official.selected) == {"66", "67"}
    assert set(official.selected) - set(early.selected) == {"46"}


def test_wieliczka_integral_shares(refdata: Path) -> None:
    e = _pb(refdata, "Poland_Wieliczka_2023_Green_Budget.pb")
    result = equal_shares(e, completion="add1", integral=True, explain=False)
    assert result.per_voter_budget == 315
    assert result.total_cost == 995_079


def test_wieliczka_comparison_keeps_mes(refdata: Path) -> None:
    e = _pb(refdata, "Poland_Wieliczka_2023_Green_Budget.pb")
    result = equal_shares(e, completion="add1", comparison="satisfaction", explain=False)
    assert result.comparison is not None
    assert result.comparison.kept == "mes"
    assert result.comparison.prefer_mes > result.comparison.prefer_greedy
    assert set(result.selected) == _official(e)


@pytest.mark.parametrize(
    ("name", "options", "n_projects", "total"),
    [
        ("Poland_Warszawa_2020_Praga-Poludnie.pb", {}, 26, 5_900_440),
        ("Poland_Lodz_2022.pb", {}, 16, 6_112_868),
        ("Poland_Warszawa_2026.pb", {"threshold": 3000}, 17, 24_171_003),
        ("Poland_Krakow_2024.pb", {}, 10, 9_198_000),
        ("Poland_Katowice_2025_Zaleze.pb", {"threshold": 50}, 5, 547_900),
    ],
)
def test_greedy_known_outcomes(
    refdata: Path, name: str, options: dict[str, int], n_projects: int, total: int
) -> None:
    e = _pb(refdata, name)
    result = greedy(e, **options)
    assert (len(result.selected), result.total_cost) == (n_projects, total)
    assert set(result.selected) == _official(e)


def test_warsaw_2026_threshold_matters(refdata: Path) -> None:
    e = _pb(refdata, "Poland_Warszawa_2026.pb")
    without = greedy(e)
    assert "1664" in without.selected
    below = [s for s in greedy(e, threshold=3000).steps if s.status == "below_threshold"]
    assert "1664" in {s.project for s in below}
    assert all(s.score < 3000 for s in below)


def test_krakow_uses_borda_points_3_2_1(refdata: Path) -> None:
    e = _pb(refdata, "Poland_Krakow_2024.pb")
    assert e.position_scores() == (3, 2, 1)
    result = greedy(e)
    scores = {s.project: s.score for s in result.steps}
    # the file's own score column holds the 3-2-1 points
    assert all(scores[p.id] == int(p.fields["score"]) for p in e.projects if p.id in scores)


def test_lodz_mes_add1_endpoint(refdata: Path) -> None:
    """pabutools confirms 44 projects at share B/n + 58 and overspending at B/n + 59 (research note)."""
    e = _pb(refdata, "Poland_Lodz_2022.pb")
    result = equal_shares(e, completion="add1", explain=False)
    assert (len(result.selected), result.total_cost) == (44, 5_985_880)
    assert result.per_voter_budget == Fraction(e.budget, len(e.ballots)) + 58


def test_warsaw_2026_mes_and_add1(refdata: Path) -> None:
    """Research note: MES alone spends 16.10 M; add1 reaches 49 projects for 22,232,851 PLN at B/n + 184."""
    e = _pb(refdata, "Poland_Warszawa_2026.pb")
    plain = equal_shares(e, explain=False)
    assert 16_100_000 <= plain.total_cost < 16_110_000
    result = equal_shares(e, completion="add1", explain=False)
    assert (len(result.selected), result.total_cost) == (49, 22_232_851)
    assert result.per_voter_budget == Fraction(e.budget, len(e.ballots)) + 184
    assert result.mes_runs == 186
