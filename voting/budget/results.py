"""Frozen results of the allocation rules, with their explanations."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from voting.budget.model import Number

__all__ = [
    "BudgetResult",
    "CandidateSupport",
    "ComparisonStep",
    "GreedyStep",
    "MESStep",
    "PhragmenStep",
    "TieBreak",
]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class TieBreak:
    """A tie resolved by the tie-breaking rule.

    Attributes
    ----------
    step : int
        0-based step of the rule at which the tie occurred (for greedy: position in the order).
    tied : tuple of str
        The projects that were tied, in project order.
    chosen : str
        The project the rule took first.
    decided_by : str
        The criterion that singled it out (``"min_cost"``, ``"max_votes"``, ``"order"``, ``"lot"``...).
    """

    step: int
    tied: tuple[str, ...]
    chosen: str
    decided_by: str


@dataclass(frozen=True)
class GreedyStep:
    """One project examined by a greedy rule or a greedy completion, in examination order.

    ``status`` is ``"selected"``, ``"skipped"`` (does not fit in what is left, the rule goes on),
    ``"stopped"`` (does not fit and greedy without skipping stops here), ``"not_reached"`` (after such a
    stop) or ``"below_threshold"`` (support under the minimum). ``score`` is the project's total support
    (votes, points or rank scores). ``remaining`` is the budget left after the step.
    """

    project: str
    cost: Number
    score: Number
    status: str
    remaining: Number


@dataclass(frozen=True)
class CandidateSupport:
    """How a project stood at an MES step.

    Attributes
    ----------
    project : str
    affordable : bool
        Whether its supporters together still had enough money to pay for it.
    money_behind : float
        Sum of its supporters' remaining budgets.
    rho : float or None
        Its MES value: the smallest ``rho`` such that supporters paying ``min(budget, rho * utility)``
        cover its cost; the project with the smallest ``rho`` is funded. ``None`` if not affordable.
    price_per_voter : float or None
        The most a supporter would pay: per voter for approval ballots, per point of score otherwise.
    effective_votes : float or None
        ``cost / price_per_voter``: how many supporters paying the same share it effectively has. With
        cost utilities the project with the most effective votes wins the step.
    """

    project: str
    affordable: bool
    money_behind: float
    rho: float | None
    price_per_voter: float | None
    effective_votes: float | None


@dataclass(frozen=True)
class MESStep:
    """One project bought by the Method of Equal Shares.

    Attributes
    ----------
    project : str
    cost : int or Fraction
    rho, price_per_voter, effective_votes : float
        As in :class:`CandidateSupport`, for the winner.
    full_payers : int
        Supporters who paid the full price.
    partial_payers : int
        Supporters who could not pay the full price and paid all they had left.
    candidates : tuple of CandidateSupport
        Every project not yet funded at this step, sorted by ``rho`` (unaffordable ones last): why this
        project and not another.
    """

    project: str
    cost: Number
    rho: float
    price_per_voter: float
    effective_votes: float
    full_payers: int
    partial_payers: int
    candidates: tuple[CandidateSupport, ...] = ()


@dataclass(frozen=True)
class PhragmenStep:
    """One project bought by sequential Phragmén: its supporters' common load after buying it."""

    project: str
    cost: Number
    load: Fraction
    supporters: int


@dataclass(frozen=True)
class ComparisonStep:
    """The equalshares.net comparison of the MES outcome with the greedy outcome.

    ``kept`` is ``"mes"`` unless strictly more voters prefer the greedy outcome (``"greedy"``).
    ``measure`` is ``"satisfaction"`` (voters compare their total score of funded projects: the number of
    approved projects for approval ballots) or ``"exclusion"`` (voters compare whether they have at least
    one funded project).
    """

    measure: str
    prefer_mes: int
    prefer_greedy: int
    kept: str
    greedy_selected: tuple[str, ...]
    mes_selected: tuple[str, ...]


@dataclass(frozen=True)
class BudgetResult:
    """The outcome of an allocation rule.

    Attributes
    ----------
    rule : str
        ``"greedy"``, ``"equal_shares"``, ``"phragmen"`` or ``"max_welfare"``.
    selected : tuple of str
        Funded projects, in order of selection.
    total_cost : int or Fraction
    budget : int or Fraction
    leftover : int or Fraction
        ``budget - total_cost``.
    votes : tuple of int
        Number of supporters of each selected project, aligned with ``selected``.
    options : dict
        The options the rule ran with (utility, completion, threshold, tie-breaking...).
    steps : tuple
        :class:`GreedyStep`, :class:`MESStep` or :class:`PhragmenStep` records explaining the outcome
        (MES steps first, then the greedy steps of a utilitarian completion).
    ties : tuple of TieBreak
        Every tie the rule resolved.
    completion_added : tuple of str
        Projects added by a utilitarian completion after MES.
    per_voter_budget : Fraction or None
        MES: each voter's starting share in the final run (``budget / n`` plus the add1 raises).
    mes_runs : int
        MES: how many shares were tried (more than one with add1: the starting share and each raise, as if
        every raise were run; raises proven to give the same outcome as the one before are not computed).
    mes_runs_computed : int
        MES: how many fixed-budget runs were actually computed (including the explained final run).
    comparison : ComparisonStep or None
        MES with the comparison step.
    welfare : int or Fraction or None
        ``max_welfare``: the optimal total utility.
    seed : int or None
        Seed of the lot, when ``"lot"`` tie-breaking was given an int or no ``rng``.
    """

    rule: str
    selected: tuple[str, ...]
    total_cost: Number
    budget: Number
    leftover: Number
    votes: tuple[int, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    steps: tuple[GreedyStep | MESStep | PhragmenStep, ...] = ()
    ties: tuple[TieBreak, ...] = ()
    completion_added: tuple[str, ...] = ()
    per_voter_budget: Fraction | None = None
    mes_runs: int = 0
    mes_runs_computed: int = 0
    comparison: ComparisonStep | None = None
    welfare: Number | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary (Fractions as ``"p/q"`` strings, tuples as lists)."""
        out: dict[str, Any] = _jsonable(self)
        out["steps"] = [dict(_jsonable(s), kind=type(s).__name__) for s in self.steps]
        return out
