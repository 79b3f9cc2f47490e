"""Frozen result objects of a count, with ``to_dict()`` for JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["INACTIVE_CAUSES", "AuditTrail", "RankedResult", "Round", "TieBreak", "jsonable"]

#: Causes for which a ballot stops counting, in report order.
INACTIVE_CAUSES = ("exhausted_choices", "overvote", "skipped_rankings", "repeated_ranking")

Number = int | Fraction


def jsonable(x: Any) -> Any:
    """Exact JSON form of a number: ``int`` when whole, a decimal string when the value has a
    finite decimal expansion, otherwise ``"p/q"``; containers converted recursively."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return int(x.numerator)
        d = x.denominator
        twos = fives = 0
        while d % 2 == 0:
            d //= 2
            twos += 1
        while d % 5 == 0:
            d //= 5
            fives += 1
        if d == 1:
            places = max(twos, fives)
            scaled = x * 10**places
            sign = "-" if scaled < 0 else ""
            digits = str(abs(int(scaled))).rjust(places + 1, "0")
            return f"{sign}{digits[:-places]}.{digits[-places:]}"
        return f"{x.numerator}/{x.denominator}"
    if isinstance(x, float | np.floating):
        return float(x)
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    return x


def _freeze(m: Mapping | None) -> Mapping:
    return MappingProxyType(dict(m or {}))


@dataclass(frozen=True)
class TieBreak:
    """One tie and how the announced rule broke it.

    Attributes
    ----------
    round : int
        Round (or STV stage) of the tie.
    purpose : str
        ``"eliminate"``, ``"elect"``, ``"surplus"`` (which surplus first) or ``"winner"``.
    tied : tuple of str
        The tied candidates.
    value : int or Fraction or None
        Their common total or score.
    pick : str
        ``"lowest"`` (choosing whom to eliminate) or ``"highest"``.
    steps : tuple of str
        The rule steps that were applied.
    inputs : Mapping
        What each step consulted (earlier totals, candidate order, seed and lot order).
    chosen : str
        The candidate the rule chose.
    """

    round: int
    purpose: str
    tied: tuple[str, ...]
    value: Number | None
    pick: str
    steps: tuple[str, ...]
    inputs: Mapping[str, Any]
    chosen: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "round": self.round,
            "purpose": self.purpose,
            "tied": list(self.tied),
            "value": jsonable(self.value),
            "pick": self.pick,
            "steps": list(self.steps),
            "inputs": jsonable(self.inputs),
            "chosen": self.chosen,
        }


@dataclass(frozen=True)
class Round:
    """One round of a count (a stage, for STV).

    Attributes
    ----------
    number : int
        1-based round number.
    tallies : Mapping[str, number]
        Total of every candidate still in the count at this round (elected candidates keep
        their quota in STV).
    threshold : number or None
        Votes needed to win this round (majority for IRV, quota for STV).
    elected, eliminated : tuple of str
        Decided in this round, in order.
    transfers : Mapping[str, Mapping[str, number]]
        For each candidate whose votes moved after this round (eliminated or surplus), how much
        went to each candidate and to ``"exhausted"`` (the latter shown in the next round).
    inactive : Mapping[str, number]
        Inactive ballots (weight, for STV) by cause, cumulative, at this round.
    active : number
        Total of the continuing candidates' tallies.
    note : str
        Why the round's decision was made.
    extra : Mapping
        Rule-specific figures (e.g. Meek keep factors, STV loss by fraction).
    """

    number: int
    tallies: Mapping[str, Number]
    threshold: Number | None
    elected: tuple[str, ...] = ()
    eliminated: tuple[str, ...] = ()
    transfers: Mapping[str, Mapping[str, Number]] = field(default_factory=dict)
    inactive: Mapping[str, Number] = field(default_factory=dict)
    active: Number = 0
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tallies", _freeze(self.tallies))
        object.__setattr__(self, "transfers", _freeze({k: _freeze(v) for k, v in self.transfers.items()}))
        object.__setattr__(self, "inactive", _freeze(self.inactive))
        object.__setattr__(self, "extra", _freeze(self.extra))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (exact numbers, see :func:`jsonable`)."""
        return {
            "round": self.number,
            "tallies": jsonable(self.tallies),
            "threshold": jsonable(self.threshold),
            "elected": list(self.elected),
            "eliminated": list(self.eliminated),
            "transfers": jsonable(self.transfers),
            "inactive": jsonable(self.inactive),
            "active": jsonable(self.active),
            "note": self.note,
            "extra": jsonable(self.extra),
        }


@dataclass(frozen=True, eq=False)
class AuditTrail:
    """Where each ballot counted in each round.

    Attributes
    ----------
    recipients : numpy.ndarray
        ``(n_distinct, n_rounds)``: candidate index the ranking counted for in each round, or
        ``-1 - k`` when inactive for cause :data:`INACTIVE_CAUSES` ``[k]``, or ``-9`` for a blank
        ballot.
    values : numpy.ndarray of object or None
        For STV, the value of each ranking's ballots in each round.
    ballot_rows : numpy.ndarray or None
        Distinct ranking of each original ballot, when known.
    names : tuple of str
        Candidate names.
    """

    recipients: np.ndarray
    values: np.ndarray | None
    ballot_rows: np.ndarray | None
    names: tuple[str, ...]

    def describe(self, code: int) -> str:
        """Text of one cell of :attr:`recipients`."""
        code = int(code)
        if code >= 0:
            return self.names[code]
        if code == -9:
            return "blank"
        return f"inactive: {INACTIVE_CAUSES[-1 - code]}"

    def ballot(self, i: int) -> list[str]:
        """Per-round recipient of original ballot ``i`` (0-based, input order)."""
        row = int(self.ballot_rows[i]) if self.ballot_rows is not None else i
        return [self.describe(c) for c in self.recipients[row]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form: one entry per distinct ranking, plus the ballot-to-ranking map."""
        out: dict[str, Any] = {
            "rankings": [[self.describe(c) for c in row] for row in self.recipients],
        }
        if self.values is not None:
            out["values"] = jsonable(self.values.tolist())
        if self.ballot_rows is not None:
            out["ballot_rows"] = self.ballot_rows.tolist()
        return out


@dataclass(frozen=True, eq=False)
class RankedResult:
    """Result of a count.

    Attributes
    ----------
    method : str
        Counting method (``"irv"``, ``"stv"``, ``"schulze"``...).
    candidates : tuple of str
        All candidates in announced order.
    winners : tuple of str
        Winners in order of election.
    rounds : tuple of Round
        Every round; single-round methods have one round holding their scores.
    tie_breaks : tuple of TieBreak
        Every tie the announced rule had to break, in order.
    seats : int
        Number of seats filled.
    quota : number or None
        STV quota (IRV: final majority threshold).
    n_ballots : int
        Ballots counted, including blank ones.
    blank_ballots : int
        Ballots without any mark (undervotes); they take no part in any round.
    inactive : Mapping[str, number]
        Inactive ballots by cause at the end of the count.
    options : Mapping[str, Any]
        Every rule option used, defaults included (the announced rules).
    details : Mapping[str, Any]
        Method-specific figures (pairwise matrix, Smith set, Condorcet winner...).
    seed : int or None
        Seed of the lot, if one was given.
    lot_order : tuple of str or None
        The lot drawn from the seed (highest priority first).
    audit : AuditTrail or None
        Ballot-level trail when requested.
    """

    method: str
    candidates: tuple[str, ...]
    winners: tuple[str, ...]
    rounds: tuple[Round, ...]
    tie_breaks: tuple[TieBreak, ...]
    seats: int = 1
    quota: Number | None = None
    n_ballots: int = 0
    blank_ballots: int = 0
    inactive: Mapping[str, Number] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    lot_order: tuple[str, ...] | None = None
    audit: AuditTrail | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "inactive", _freeze(self.inactive))
        object.__setattr__(self, "options", _freeze(self.options))
        object.__setattr__(self, "details", _freeze(self.details))

    @property
    def winner(self) -> str | None:
        """The first winner (the only one in a single-winner count)."""
        return self.winners[0] if self.winners else None

    def to_dict(self, *, include_audit: bool = False) -> dict[str, Any]:
        """Plain JSON-ready dictionary; keys ``winners``, ``rounds``, ``tie_breaks`` and more."""
        out = {
            "method": self.method,
            "candidates": list(self.candidates),
            "seats": self.seats,
            "winners": list(self.winners),
            "quota": jsonable(self.quota),
            "n_ballots": self.n_ballots,
            "blank_ballots": self.blank_ballots,
            "inactive": jsonable(self.inactive),
            "rounds": [r.to_dict() for r in self.rounds],
            "tie_breaks": [t.to_dict() for t in self.tie_breaks],
            "options": jsonable(self.options),
            "details": jsonable(self.details),
            "seed": self.seed,
            "lot_order": list(self.lot_order) if self.lot_order is not None else None,
        }
        if include_audit and self.audit is not None:
            out["audit"] = self.audit.to_dict()
        return out
