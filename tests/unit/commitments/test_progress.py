"""Progress towards a result commitment or a goal: the pure rule, case by case."""

from __future__ import annotations

from datetime import date

import pytest

from agora.commitments.progress import compute_progress, progress_series

JUNE = date(2026, 6, 30)


def progress(values, *, today, start=None, target=70.0, deadline=JUNE):
    return compute_progress(values, target=target, deadline=deadline, today=today, start=start)


def test_no_values_and_no_start_means_nothing_measured():
    p = progress([], today=date(2026, 1, 1))
    assert (p.fraction, p.percent, p.status, p.latest) == (None, None, "active", None)


def test_with_a_start_but_no_values_progress_is_zero():
    p = progress([], today=date(2026, 1, 1), start=40)
    assert (p.fraction, p.status) == (0.0, "active")


def test_fraction_runs_from_the_given_start_to_the_target():
    p = progress([(date(2026, 1, 10), 46), (date(2026, 3, 1), 55)], today=date(2026, 3, 2), start=40)
    assert p.fraction == pytest.approx(0.5)
    assert (p.latest, p.latest_on, p.status, p.percent) == (55, date(2026, 3, 1), "active", 50)


def test_without_a_start_the_first_value_by_date_is_the_start():
    # Given out of order: the earliest date is the start, the latest date the current value.
    p = progress([(date(2026, 3, 1), 60), (date(2026, 1, 1), 50)], today=date(2026, 4, 1))
    assert p.start == 50 and p.latest == 60 and p.fraction == pytest.approx(0.5)


def test_reaching_the_target_by_the_deadline_fulfils_and_a_dip_does_not_undo_it():
    values = [(date(2026, 2, 1), 50), (date(2026, 6, 30), 71), (date(2026, 9, 1), 65)]
    p = progress(values, today=date(2026, 10, 1), start=40)
    assert p.status == "fulfilled" and p.reached_on == JUNE  # the deadline day counts
    assert p.latest == 65 and p.fraction == pytest.approx(25 / 30)


def test_past_the_deadline_unmet_is_late():
    p = progress([(date(2026, 5, 1), 60)], today=date(2026, 7, 1), start=40)
    assert (p.status, p.reached_late, p.reached_on) == ("late", False, None)
    assert p.fraction == pytest.approx(20 / 30)


def test_on_the_deadline_day_unmet_is_still_active():
    assert progress([(date(2026, 5, 1), 60)], today=JUNE, start=40).status == "active"


def test_reached_only_after_the_deadline_stays_late_and_says_so():
    p = progress([(date(2026, 5, 1), 60), (date(2026, 8, 1), 75)], today=date(2026, 8, 2), start=40)
    assert (p.status, p.reached_late, p.reached_on, p.fraction) == ("late", True, date(2026, 8, 1), 1.0)


def test_a_downward_target_counts_reductions():
    # Car trips from 40 % down to 20 %.
    p = progress([(date(2026, 2, 1), 30)], today=date(2026, 2, 2), start=40, target=20)
    assert p.fraction == pytest.approx(0.5) and p.status == "active"
    assert progress([(date(2026, 2, 1), 18)], today=date(2026, 2, 2), start=40, target=20).status == "fulfilled"
    # Going the wrong way clamps at zero, overshooting at one.
    assert progress([(date(2026, 2, 1), 45)], today=date(2026, 2, 2), start=40, target=20).fraction == 0.0
    assert progress([(date(2026, 2, 1), 10)], today=date(2026, 2, 2), start=40, target=20).fraction == 1.0


def test_values_dated_after_today_are_ignored():
    p = progress([(date(2026, 2, 1), 50), (date(2026, 5, 1), 80)], today=date(2026, 3, 1), start=40)
    assert p.latest == 50 and p.status == "active"


def test_same_day_values_the_later_given_counts():
    p = progress([(date(2026, 2, 1), 50), (date(2026, 2, 1), 55)], today=date(2026, 3, 1), start=40)
    assert p.latest == 55


def test_start_equal_to_target_is_reached_at_once():
    p = progress([(date(2026, 2, 1), 70)], today=date(2026, 3, 1))
    assert (p.fraction, p.status) == (1.0, "fulfilled")


def test_progress_series_gives_each_point_as_a_fraction():
    series = progress_series([(date(2026, 3, 1), 55), (date(2026, 1, 1), 40)], target=70)
    assert series == [(date(2026, 1, 1), 0.0), (date(2026, 3, 1), 0.5)]
    assert progress_series([], target=70) == []
