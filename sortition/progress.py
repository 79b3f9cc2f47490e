"""Progress reports for long runs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Progress"]


@dataclass(frozen=True)
class Progress:
    """One progress report.

    Attributes
    ----------
    phase : str
        ``"leximin"``, ``"maximin"``, ``"nash"``, ``"legacy"``, ``"lottery"`` or ``"feasibility"``.
    iteration : int
        Column-generation iteration (or draw number) so far.
    bound : float or None
        Current smallest selection probability reached, when known.
    message : str
        A short plain-English status line.
    """

    phase: str
    iteration: int
    bound: float | None
    message: str
