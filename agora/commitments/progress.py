"""Progress towards a measurable target: a pure function, no Flask, no database.

Used for result commitments (their own target, unit and deadline) and for a goal's indicator
(the goal's baseline, target and deadline). See :func:`compute_progress` for the exact rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = ["ACTIVE", "FULFILLED", "LATE", "Progress", "compute_progress", "progress_series"]

ACTIVE = "active"
FULFILLED = "fulfilled"
LATE = "late"


@dataclass(frozen=True)
class Progress:
    """The outcome of :func:`compute_progress`.

    ``fraction`` is in [0, 1] (None when there is no measured value yet); ``status`` is
    ``"active"``, ``"fulfilled"`` or ``"late"``; ``reached_on`` is the date of the first value
    that reached the target (None if none did); ``reached_late`` says the target was reached,
    but only after the deadline.
    """

    start: float | None
    target: float
    latest: float | None
    latest_on: date | None
    fraction: float | None
    status: str
    reached_on: date | None
    reached_late: bool

    @property
    def percent(self) -> int | None:
        return None if self.fraction is None else round(self.fraction * 100)


def _reaches(value: float, start: float, target: float) -> bool:
    # The target lies in the direction of travel: upwards if target >= start, else downwards.
    return value >= target if target >= start else value <= target


def _fraction(value: float, start: float, target: float) -> float:
    if target == start:
        return 1.0 if value == target else 0.0
    return min(1.0, max(0.0, (value - start) / (target - start)))


def compute_progress(
    values: Iterable[tuple[date, float]],
    *,
    target: float,
    deadline: date,
    today: date,
    start: float | None = None,
) -> Progress:
    """Progress of dated measurements towards ``target`` by ``deadline``, as seen on ``today``.

    How it is computed, exactly:

    1. The measurements are sorted by date (a stable sort: for equal dates the later one in
       ``values`` counts as later). Measurements dated after ``today`` are ignored.
    2. The start is ``start`` when given (a goal's baseline, or a commitment's own baseline);
       otherwise the first measured value. With no start and no values, nothing is measured:
       ``fraction`` is None.
    3. The direction is upwards when ``target >= start`` and downwards otherwise (a commitment
       may aim to *reduce* something). A value *reaches* the target when it is at or beyond it in
       that direction.
    4. ``fraction`` = (latest value − start) / (target − start), clamped to [0, 1], where the
       latest value is the one with the last date. When target equals start the fraction is 1 if
       the latest value equals the target, else 0. Without any measurement it is 0 when a start is
       known and None otherwise.
    5. ``status``: ``"fulfilled"`` when some value dated on or before the deadline reached the
       target (the deadline day itself counts; a later dip does not undo it); otherwise
       ``"late"`` when ``today`` is after the deadline; otherwise ``"active"``. A target reached
       only after the deadline leaves the status ``"late"`` with ``reached_late`` True.
    """
    points = sorted(((d, float(v)) for d, v in values if d <= today), key=lambda p: p[0])
    if start is None and points:
        start = points[0][1]
    latest_on, latest = points[-1] if points else (None, None)
    if start is None:
        fraction = None
    elif latest is None:
        fraction = 0.0
    else:
        fraction = _fraction(latest, start, target)
    reached_on = None
    if start is not None:
        reached_on = next((d for d, v in points if _reaches(v, start, target)), None)
    if reached_on is not None and reached_on <= deadline:
        status, reached_late = FULFILLED, False
    elif today > deadline:
        status, reached_late = LATE, reached_on is not None
    else:
        status, reached_late = ACTIVE, False
    return Progress(start=start, target=float(target), latest=latest, latest_on=latest_on, fraction=fraction,
                    status=status, reached_on=reached_on, reached_late=reached_late)


def progress_series(values: Iterable[tuple[date, float]], *, target: float, start: float | None = None
                    ) -> list[tuple[date, float]]:
    """Each measurement as a fraction of the way from the start to the target (same rule as above).

    The start is ``start`` or the first value by date; fractions are clamped to [0, 1].
    """
    points = sorted(((d, float(v)) for d, v in values), key=lambda p: p[0])
    if not points:
        return []
    origin = points[0][1] if start is None else start
    return [(d, _fraction(v, origin, target)) for d, v in points]
