"""Announced tie-break rules.

A tie-break rule is a sequence of steps tried in order until one step separates the tied
candidates:

``"previous_rounds"``
    compare the tied candidates' totals in the previous round, then the one before, and so on
    back to the first round ("backwards" tie-breaking, RCTab's previous-round counts);
``"earliest_round"``
    compare them at the first round, then the second, ... ("forwards", as in Scottish STV);
``"candidate_order"``
    the announced candidate order: an earlier candidate ranks above a later one;
``"lot"``
    a lot drawn before the count from the seed: a random permutation of all candidates, drawn
    once with ``numpy.random.default_rng(seed)`` and recorded in the result;
``"rctab_random"``
    RCTab's random tie-break, to reproduce its counts: a fresh draw for each tie from Java's
    ``java.util.Random(seed)`` (one generator per count), choosing index
    ``floor(nextDouble() * n)`` among the tied candidates sorted by name. Needs an int seed.

When a step separates the tied candidates the one ranked lowest is eliminated (or the highest
elected); a step that narrows the tie without breaking it passes the survivors to the next step.
Every tie that reaches a rule is recorded as a :class:`~voting.results.TieBreak` with its inputs.
A lot is never drawn without a seed: :class:`~voting.errors.TieBreakError` is raised instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

import numpy as np

from voting.errors import RuleError, TieBreakError
from voting.results import TieBreak, jsonable

__all__ = ["TIE_BREAK_STEPS", "TieBreaker", "normalise_rng"]

TIE_BREAK_STEPS = ("previous_rounds", "earliest_round", "candidate_order", "lot", "rctab_random")


class JavaRandom:
    """The linear congruential generator of ``java.util.Random`` (48-bit state), as far as
    ``nextDouble`` (RCTab draws its random tie-breaks from it)."""

    _MULT, _MASK = 0x5DEECE66D, (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self.state = (int(seed) ^ self._MULT) & self._MASK

    def _next(self, bits: int) -> int:
        self.state = (self.state * self._MULT + 0xB) & self._MASK
        return self.state >> (48 - bits)

    def next_double(self) -> float:
        """Uniform in [0, 1) with 53 random bits, as Java computes it."""
        return ((self._next(26) << 27) + self._next(27)) * 2.0**-53

RngLike = None | int | np.random.Generator


def normalise_rng(rng: RngLike) -> tuple[np.random.Generator | None, int | None]:
    """Return ``(generator or None, integer seed or None)``; ``None`` stays ``None`` (no lot)."""
    if rng is None:
        return None, None
    if isinstance(rng, np.random.Generator):
        return rng, None
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise RuleError(f"rng must be None, an int seed or a numpy Generator, not {rng!r}", code="bad_rng")
    return np.random.default_rng(int(rng)), int(rng)


class TieBreaker:
    """Apply an announced tie-break rule and record each use.

    Parameters
    ----------
    steps : str or sequence of str
        Steps from :data:`TIE_BREAK_STEPS`, tried in order.
    names : sequence of str
        Candidate names in announced order.
    rng : None, int or numpy.random.Generator
        Seed for the lot; required only if a lot is actually needed.
    """

    def __init__(self, steps: str | Sequence[str], names: Sequence[str], rng: RngLike = None) -> None:
        self.steps = (steps,) if isinstance(steps, str) else tuple(steps)
        if not self.steps:
            raise RuleError("tie_break needs at least one step", code="bad_tie_break")
        for s in self.steps:
            if s not in TIE_BREAK_STEPS:
                raise RuleError(
                    f"unknown tie-break step {s!r}; choose from {', '.join(TIE_BREAK_STEPS)}",
                    code="bad_tie_break",
                )
        self.names = tuple(names)
        gen, self.seed = normalise_rng(rng)
        self.lot_order: tuple[int, ...] | None = None
        if "lot" in self.steps and gen is not None:
            # Drawn once, before any count, so that it is the same whatever ties occur.
            self.lot_order = tuple(int(i) for i in gen.permutation(len(self.names)))
        self.java = JavaRandom(self.seed) if "rctab_random" in self.steps and self.seed is not None else None
        self.records: list[TieBreak] = []

    def resolve(
        self,
        tied: Sequence[int],
        *,
        pick: Literal["lowest", "highest"],
        history: Sequence[Sequence[int | Fraction]],
        round_number: int,
        purpose: str,
        value: int | Fraction | None = None,
    ) -> int:
        """Choose one of ``tied`` (candidate indices) and record the decision.

        Parameters
        ----------
        tied : sequence of int
            At least two candidate indices with equal standing.
        pick : {"lowest", "highest"}
            ``"lowest"`` chooses the candidate to eliminate, ``"highest"`` the one to elect first.
        history : sequence of sequences
            Totals of every candidate at each earlier round (round 1 first), for the
            ``previous_rounds`` and ``earliest_round`` steps.
        round_number : int
            Round (or stage) in which the tie occurred.
        purpose : str
            What the tie decides (``"eliminate"``, ``"elect"``, ``"surplus"``, ``"winner"``...).
        value : number, optional
            The tied total, recorded for the report.
        """
        alive = sorted(int(t) for t in tied)
        inputs: dict[str, object] = {}
        used: list[str] = []
        for step in self.steps:
            if len(alive) == 1:
                break
            used.append(step)
            if step in ("previous_rounds", "earliest_round"):
                order = range(len(history) - 1, -1, -1) if step == "previous_rounds" else range(len(history))
                consulted = []
                for r in order:
                    vals = {c: history[r][c] for c in alive}
                    consulted.append(
                        {"round": r + 1, "totals": {self.names[c]: jsonable(v) for c, v in vals.items()}}
                    )
                    target = min(vals.values()) if pick == "lowest" else max(vals.values())
                    alive = [c for c in alive if vals[c] == target]
                    if len(alive) == 1:
                        break
                inputs[step] = consulted
            elif step == "candidate_order":
                alive = [max(alive) if pick == "lowest" else min(alive)]
                inputs[step] = [self.names[c] for c in sorted(tied)]
            elif step == "rctab_random":
                if self.java is None:
                    raise self._unseeded(round_number, "tie between", alive, "RCTab's random draw, but no int seed")
                # Java sorts by UTF-16 unit, Python by code point: equal below U+E000
                by_name = sorted(alive, key=lambda c: self.names[c])
                draw = self.java.next_double()
                alive = [by_name[int(draw * len(by_name))]]
                inputs[step] = {"seed": self.seed, "sorted": [self.names[c] for c in by_name], "draw": draw}
            else:  # lot
                if self.lot_order is None:
                    raise self._unseeded(round_number, "tie between", alive, "a lot, but no seed")
                rank = {c: i for i, c in enumerate(self.lot_order)}
                alive = [
                    max(alive, key=rank.__getitem__) if pick == "lowest" else min(alive, key=rank.__getitem__)
                ]
                inputs[step] = {"seed": self.seed, "lot_order": [self.names[c] for c in self.lot_order]}
        if len(alive) != 1:
            raise TieBreakError(
                f"round {round_number}: tie between {', '.join(self.names[c] for c in alive)} "
                f"not broken by rule {' then '.join(self.steps)}",
                tied=tuple(self.names[c] for c in alive),
            )
        chosen = alive[0]
        self.records.append(
            TieBreak(
                round=round_number,
                purpose=purpose,
                tied=tuple(self.names[c] for c in sorted(tied)),
                value=value,
                pick=pick,
                steps=tuple(used),
                inputs=inputs,
                chosen=self.names[chosen],
            )
        )
        return chosen

    def _unseeded(self, round_number: int, what: str, cands: Sequence[int], needs: str) -> TieBreakError:
        names = tuple(self.names[c] for c in cands)
        return TieBreakError(
            f"round {round_number}: {what} {', '.join(names)} needs {needs} was given (pass rng=<int>)", tied=names
        )

    def priority(self, cands: Sequence[int], *, round_number: int, purpose: str) -> list[int]:
        """Full priority order of ``cands`` from the rule's ``candidate_order`` or ``lot`` step
        (highest priority first), recorded as one tie-break; for ordering equal pairs and the like.
        """
        for step in self.steps:
            if step == "candidate_order":
                order = sorted(int(c) for c in cands)
                inputs: dict[str, object] = {step: [self.names[c] for c in order]}
                break
            if step == "lot":
                if self.lot_order is None:
                    raise self._unseeded(round_number, "ordering", cands, "a lot, but no seed")
                rank = {c: i for i, c in enumerate(self.lot_order)}
                order = sorted((int(c) for c in cands), key=rank.__getitem__)
                inputs = {step: {"seed": self.seed, "lot_order": [self.names[c] for c in self.lot_order]}}
                break
        else:
            raise TieBreakError(
                f"round {round_number}: {purpose} needs a candidate_order or lot step in the tie-break rule",
                tied=tuple(self.names[c] for c in cands),
            )
        self.records.append(
            TieBreak(
                round=round_number,
                purpose=purpose,
                tied=tuple(self.names[c] for c in sorted(cands)),
                value=None,
                pick="order",
                steps=(step,),
                inputs=inputs,
                chosen=" > ".join(self.names[c] for c in order),
            )
        )
        return order

    def order(
        self,
        cands: Sequence[int],
        key: Sequence[int | Fraction],
        *,
        descending: bool,
        history: Sequence[Sequence[int | Fraction]],
        round_number: int,
        purpose: str,
    ) -> list[int]:
        """Sort candidates by ``key`` (indexed by candidate), breaking equal keys by the rule."""
        remaining = list(cands)
        out: list[int] = []
        while remaining:
            best = max(key[c] for c in remaining) if descending else min(key[c] for c in remaining)
            tied = [c for c in remaining if key[c] == best]
            if len(tied) == 1:
                chosen = tied[0]
            else:
                chosen = self.resolve(
                    tied,
                    pick="highest" if descending else "lowest",
                    history=history,
                    round_number=round_number,
                    purpose=purpose,
                    value=best,
                )
            out.append(chosen)
            remaining.remove(chosen)
        return out
