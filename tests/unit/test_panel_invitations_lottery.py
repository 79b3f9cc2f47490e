"""The invitation lottery on its own: apportionment, households, reproducibility (no app, no database)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from agora.panels import invitation_lottery as lottery
from agora.panels.invitation_lottery import FrameEntry, LotteryError, apportion, draw_invitations, household_key

POPULATIONS = {"Centrum": 1830, "Heverlee": 2617, "Kessel-Lo": 3044, "Wilsele": 1571, "Wijgmaal": 938}


def make_frame(populations=POPULATIONS, household_size=2):
    """Residents numbered per district, ``household_size`` of them per address."""
    frame = []
    for district, population in populations.items():
        for i in range(population):
            frame.append(FrameEntry(key=f"{district}-{i:05d}", district=district,
                                    household=household_key(f"{district} street {i // household_size}", "3000")))
    return frame


def test_apportion_is_exact_when_shares_are_whole():
    assert apportion(10, {"A": 500, "B": 300, "C": 200}) == {"A": 5, "B": 3, "C": 2}


def test_apportion_gives_left_over_seats_to_largest_remainders():
    # Exact quotas 4.29, 2.86, 1.43, 1.43 → floors 4, 2, 1, 1 (8); 2 left → B (.86), then C/D tie (.43):
    # the larger population wins, then the name.
    assert apportion(10, {"A": 300, "B": 200, "C": 100, "D": 100}) == {"A": 4, "B": 3, "C": 2, "D": 1}


@pytest.mark.parametrize("count", [1, 7, 50, 333, 1000, 9999])
def test_every_district_is_within_one_of_its_exact_quota(count):
    shares = apportion(count, POPULATIONS)
    total = sum(POPULATIONS.values())
    assert sum(shares.values()) == count
    for district, share in shares.items():
        exact = Fraction(count * POPULATIONS[district], total)
        assert abs(share - exact) < 1, (district, share, float(exact))


def test_apportion_refuses_an_empty_population():
    with pytest.raises(LotteryError) as error:
        apportion(5, {"A": 0})
    assert error.value.code == "empty_population"


def test_household_key_ignores_case_spacing_and_punctuation():
    assert household_key("Diestsesteenweg  12, bus 3", "3010") == household_key("DIESTSESTEENWEG 12 BUS 3", " 3010 ")
    assert household_key("Diestsesteenweg 12", "3010") != household_key("Diestsesteenweg 14", "3010")


def test_stratified_draw_matches_the_apportionment_and_invites_one_per_household():
    frame = make_frame()
    result = draw_invitations(frame, 250, "4-2-6-1-3")
    drawn = {d: 0 for d in POPULATIONS}
    for entry in result.selected:
        drawn[entry.district] += 1
    assert drawn == apportion(250, POPULATIONS)
    assert {a.district: a.allocated for a in result.allocation} == drawn
    total = sum(POPULATIONS.values())
    for allocation in result.allocation:
        assert abs(allocation.allocated - 250 * allocation.population / total) < 1
    households = [e.household for e in result.selected]
    assert len(households) == len(set(households)) == 250


def test_same_frame_and_seed_give_the_same_list_whatever_the_input_order():
    frame = make_frame()
    first = draw_invitations(frame, 120, "dice 3 5 1 6")
    second = draw_invitations(list(reversed(frame)), 120, "dice 3 5 1 6")
    assert first.selected == second.selected
    assert first.frame_hash == second.frame_hash


def test_a_different_seed_gives_a_different_list():
    frame = make_frame()
    first = draw_invitations(frame, 120, "dice 3 5 1 6")
    other = draw_invitations(frame, 120, "dice 3 5 1 5")
    assert first.frame_hash == other.frame_hash
    assert set(first.selected) != set(other.selected)
    # Not just a reordering: most of the list changes.
    assert len(set(first.selected) & set(other.selected)) < 40


def test_a_changed_frame_changes_the_hash():
    frame = make_frame()
    assert lottery.frame_hash(frame, POPULATIONS) != lottery.frame_hash(frame[1:], POPULATIONS)


def test_every_household_can_be_drawn_and_large_households_are_not_split():
    # Drawing as many letters as there are households invites every household exactly once.
    frame = make_frame({"A": 40, "B": 20}, household_size=4)
    result = draw_invitations(frame, 15, "x")
    assert len({e.household for e in result.selected}) == 15


def test_the_seed_is_hashed_with_sha256_into_the_generator():
    import hashlib

    import numpy as np

    expected = np.random.default_rng(int.from_bytes(hashlib.sha256(b"Leuven 2026").digest(), "big")).random(3)
    assert list(lottery.seed_generator("Leuven 2026").random(3)) == list(expected)


@pytest.mark.parametrize(("count", "seed", "code"), [
    (0, "s", "negative_count"),
    (5, " ", "no_seed"),
    (10_000, "s", "too_many"),
])
def test_bad_inputs_are_refused_with_a_code(count, seed, code):
    with pytest.raises(LotteryError) as error:
        draw_invitations(make_frame({"A": 30, "B": 30}), count, seed)
    assert error.value.code == code


def test_a_district_without_enough_addresses_is_named():
    frame = make_frame({"A": 100, "B": 4}, household_size=2)  # B: 2 households
    with pytest.raises(LotteryError) as error:
        draw_invitations(frame, 20, "s", populations={"A": 100, "B": 100})
    assert error.value.code == "too_few_households"
    assert error.value.params["district"] == "B"
