"""Participatory-budget elections in memory: projects, ballots, budget.

An :class:`Election` is what every rule of :mod:`voting.budget` takes. Build one from a ``.pb`` file
(:func:`voting.budget.read_pb`) or in memory with :func:`make_election`.

Money (costs, budget) and points are exact: ``int`` or :class:`fractions.Fraction`.

Ballot types (``vote_type``), following Pabulib:

``approval``
    A ballot lists the approved projects (each scores 1). Knapsack ballots are approval ballots whose
    total cost is capped (``max_sum_cost``).
``cumulative``
    A ballot gives points to projects (``points``, one per project); the points are the scores.
``scoring``
    Cardinal scores, as cumulative but without a total.
``ordinal``
    A ballot ranks projects, best first. The score of the project at position ``j`` (0-based) is
    ``L - j`` where ``L`` is the META ``max_length`` when given, else the number of projects (Borda as
    Pabulib defines it; Kraków 2024 with ``max_length`` 3 gives 3, 2, 1 points). Pass
    ``ordinal_scores`` to a rule, or set it on the election, to use another scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Rational

from voting.budget.errors import BudgetInputError

__all__ = [
    "LIMIT_KEYS",
    "VOTE_TYPES",
    "Ballot",
    "Election",
    "Number",
    "Project",
    "ballot_limits",
    "check_ballots",
    "limit_violations",
    "make_election",
]

Number = int | Fraction

VOTE_TYPES = ("approval", "cumulative", "scoring", "ordinal")
LIMIT_KEYS = (
    "min_length",
    "max_length",
    "min_sum_cost",
    "max_sum_cost",
    "min_points",
    "max_points",
    "min_sum_points",
    "max_sum_points",
)


def _exact(value: object, *, what: str, row: int | None = None) -> Number:
    """Return ``value`` as int or Fraction, refusing floats and non-numbers."""
    if isinstance(value, bool):
        raise BudgetInputError(
            f"{what} must be a number, not a bool", code="not_a_number", row=row, field=what
        )
    if isinstance(value, int):
        return value
    if isinstance(value, Rational):
        f = Fraction(value)
        return f.numerator if f.denominator == 1 else f
    if isinstance(value, str):
        try:
            f = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise BudgetInputError(
                f"{what} {value!r} is not a number", code="not_a_number", row=row, field=what, value=value
            ) from None
        return f.numerator if f.denominator == 1 else f
    raise BudgetInputError(
        f"{what} must be an int, a Fraction or a decimal string (floats are refused to keep money exact)",
        code="not_exact",
        row=row,
        field=what,
        value=repr(value),
    )


@dataclass(frozen=True)
class Project:
    """A project on the ballot.

    Parameters
    ----------
    id : str
        Identifier, unique within the election.
    cost : int or Fraction
        Positive cost, in currency units.
    name : str
        Display name (optional).
    fields : dict of str to str
        Any further columns (category, district, selected, ...), kept for the ``.pb`` writer.
    """

    id: str
    cost: Number
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot.

    Parameters
    ----------
    projects : tuple of str
        Approval: the approved projects. Ordinal: the ranking, best first. Cumulative and scoring: the
        projects given points.
    points : tuple of int or Fraction, or None
        Cumulative and scoring ballots: the points of each project of ``projects``, same order.
    voter_id : str
        Identifier of the voter (optional in memory; the ``.pb`` format requires one).
    fields : dict of str to str
        Further columns of the VOTES section (age, sex, ...), kept for the writer.
    """

    projects: tuple[str, ...]
    points: tuple[Number, ...] | None = None
    voter_id: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Election:
    """A participatory-budget election: projects, ballots and the budget.

    Build it with :func:`make_election` (which validates) or :func:`voting.budget.read_pb`.

    Parameters
    ----------
    projects : tuple of Project
        In their input order (the ``"order"`` tie-breaking criterion uses it).
    ballots : tuple of Ballot
    budget : int or Fraction
    vote_type : str
        One of :data:`VOTE_TYPES`.
    meta : dict of str to str
        Pabulib META entries (description, country, rule, limits, ...), kept for the writer.
    project_columns, vote_columns : tuple of str
        Column order of the PROJECTS and VOTES sections, for the writer.
    ordinal_scores : tuple of int or Fraction, or None
        Points per rank position for ordinal ballots; ``None`` means Borda as described in the module.
    """

    projects: tuple[Project, ...]
    ballots: tuple[Ballot, ...]
    budget: Number
    vote_type: str = "approval"
    meta: Mapping[str, str] = field(default_factory=dict)
    project_columns: tuple[str, ...] = ()
    vote_columns: tuple[str, ...] = ()
    ordinal_scores: tuple[Number, ...] | None = None

    @property
    def project_ids(self) -> tuple[str, ...]:
        """Project identifiers in input order."""
        return tuple(p.id for p in self.projects)

    @property
    def n_voters(self) -> int:
        """Number of ballots."""
        return len(self.ballots)

    def project(self, project_id: str) -> Project:
        """Return the project with identifier ``project_id``."""
        for p in self.projects:
            if p.id == project_id:
                return p
        raise BudgetInputError(f"no project {project_id!r}", code="unknown_project", value=project_id)

    def position_scores(self) -> tuple[Number, ...]:
        """Points per rank position used for ordinal ballots (see the module docstring)."""
        if self.ordinal_scores is not None:
            return self.ordinal_scores
        length = len(self.projects)
        raw = self.meta.get("max_length", "").strip()
        if raw:
            try:
                length = int(raw)
            except ValueError:
                pass
        return tuple(range(length, 0, -1))

    def ballot_scores(self, ballot: Ballot) -> list[tuple[str, Number]]:
        """Return ``(project_id, score)`` pairs of a ballot, scores as the module docstring defines."""
        if self.vote_type == "approval":
            return [(p, 1) for p in ballot.projects]
        if self.vote_type == "ordinal":
            table = self.position_scores()
            return [(p, table[j] if j < len(table) else 0) for j, p in enumerate(ballot.projects)]
        assert ballot.points is not None
        return list(zip(ballot.projects, ballot.points, strict=True))


def _as_project(item: object, row: int) -> Project:
    if isinstance(item, Project):
        proj = item
    elif isinstance(item, Mapping):
        if "id" not in item or "cost" not in item:
            raise BudgetInputError(
                "a project needs 'id' and 'cost'", code="missing_field", row=row, field="id"
            )
        extra = {str(k): str(v) for k, v in item.items() if k not in {"id", "cost", "name"}}
        proj = Project(str(item["id"]), item["cost"], str(item.get("name", "")), extra)  # type: ignore[arg-type]
    elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) in (2, 3):
        proj = Project(str(item[0]), item[1], str(item[2]) if len(item) == 3 else "")  # type: ignore[arg-type]
    else:
        raise BudgetInputError(
            "a project must be a Project, a mapping with 'id' and 'cost', or an (id, cost[, name]) pair",
            code="bad_project",
            row=row,
            value=repr(item),
        )
    cost = _exact(proj.cost, what="cost", row=row)
    if cost <= 0:
        raise BudgetInputError(
            f"project {proj.id!r} has cost {cost}; costs must be positive",
            code="nonpositive_cost",
            row=row,
            field="cost",
            value=str(cost),
        )
    if not proj.id or proj.id != proj.id.strip():
        raise BudgetInputError(
            f"project id {proj.id!r} is empty or has surrounding spaces",
            code="bad_project_id",
            row=row,
            field="id",
        )
    return Project(proj.id, cost, proj.name, dict(proj.fields))


def _as_ballot(item: object, row: int, vote_type: str, known: set[str]) -> Ballot:
    if isinstance(item, Ballot):
        ballot = item
    elif vote_type in ("cumulative", "scoring") and isinstance(item, Mapping):
        ballot = Ballot(tuple(str(k) for k in item), tuple(item.values()))
    elif isinstance(item, Iterable) and not isinstance(item, (str, Mapping)):
        ballot = Ballot(tuple(str(p) for p in item))
    else:
        raise BudgetInputError(
            "a ballot must be a Ballot, an iterable of project ids, or (points) a mapping id -> points",
            code="bad_ballot",
            row=row,
            value=repr(item)[:80],
        )
    projects = tuple(ballot.projects)
    seen: set[str] = set()
    for p in projects:
        if p not in known:
            raise BudgetInputError(
                f"ballot names unknown project {p!r}", code="unknown_project", row=row, field="vote", value=p
            )
        if p in seen:
            raise BudgetInputError(
                f"ballot names project {p!r} twice", code="duplicate_in_vote", row=row, field="vote", value=p
            )
        seen.add(p)
    points: tuple[Number, ...] | None = None
    if vote_type in ("cumulative", "scoring"):
        if ballot.points is None or len(ballot.points) != len(projects):
            raise BudgetInputError(
                "points ballots need one number of points per project",
                code="points_mismatch",
                row=row,
                field="points",
            )
        points = tuple(_exact(x, what="points", row=row) for x in ballot.points)
        if any(x < 0 for x in points):
            raise BudgetInputError(
                "points must not be negative", code="negative_points", row=row, field="points"
            )
    elif ballot.points is not None:
        raise BudgetInputError(
            f"{vote_type} ballots carry no points", code="unexpected_points", row=row, field="points"
        )
    return Ballot(projects, points, ballot.voter_id or str(row + 1), dict(ballot.fields))


def make_election(
    projects: Iterable[Project | Mapping[str, object] | Sequence[object]],
    ballots: Iterable[Ballot | Iterable[str] | Mapping[str, object]],
    budget: Number | str,
    *,
    vote_type: str = "approval",
    meta: Mapping[str, str] | None = None,
    ordinal_scores: Sequence[Number] | None = None,
    check_limits: bool = True,
) -> Election:
    """Build and validate an :class:`Election` from in-memory data.

    Parameters
    ----------
    projects : iterable
        :class:`Project` objects, mappings with ``id``, ``cost`` (and optionally ``name`` and other
        keys), or ``(id, cost)`` / ``(id, cost, name)`` tuples. Costs are int, Fraction or decimal text.
    ballots : iterable
        :class:`Ballot` objects, iterables of project ids (approval: approved set; ordinal: ranking best
        first) or, for ``cumulative``/``scoring``, mappings ``{project_id: points}``.
    budget : int, Fraction or str
        The amount to allocate.
    vote_type : {"approval", "cumulative", "scoring", "ordinal"}
    meta : mapping, optional
        Extra Pabulib META entries (``description``, ``unit``, ``max_length``, ...).
    ordinal_scores : sequence of numbers, optional
        Points per rank position for ordinal ballots.
    check_limits : bool
        Check the ballots against the limits set in ``meta`` (``max_length``, ``max_sum_cost``, ...;
        see :func:`check_ballots`).

    Returns
    -------
    Election

    Raises
    ------
    BudgetInputError
        On an unknown vote type, non-positive cost or budget, duplicate project id, a ballot naming an
        unknown project or a project twice, missing points, or a ballot breaking a META limit. The
        error's ``row`` is the index of the offending project or ballot.

    Examples
    --------
    >>> e = make_election([("a", 100), ("b", 50)], [["a"], ["a", "b"]], 120)
    >>> e.n_voters, e.project_ids
    (2, ('a', 'b'))
    """
    if vote_type not in VOTE_TYPES:
        raise BudgetInputError(
            f"vote_type must be one of {', '.join(VOTE_TYPES)}",
            code="bad_vote_type",
            field="vote_type",
            value=str(vote_type),
        )
    budget_exact = _exact(budget, what="budget")
    if budget_exact <= 0:
        raise BudgetInputError("the budget must be positive", code="nonpositive_budget", field="budget")
    projs = tuple(_as_project(item, i) for i, item in enumerate(projects))
    known: set[str] = set()
    for i, p in enumerate(projs):
        if p.id in known:
            raise BudgetInputError(
                f"project id {p.id!r} appears twice", code="duplicate_project", row=i, field="id", value=p.id
            )
        known.add(p.id)
    bals = tuple(_as_ballot(item, i, vote_type, known) for i, item in enumerate(ballots))
    scores = (
        None if ordinal_scores is None else tuple(_exact(x, what="ordinal_scores") for x in ordinal_scores)
    )
    election = Election(
        projects=projs,
        ballots=bals,
        budget=budget_exact,
        vote_type=vote_type,
        meta=dict(meta or {}),
        ordinal_scores=scores,
    )
    if check_limits:
        check_ballots(election)
    return election


def ballot_limits(meta: Mapping[str, str]) -> list[str]:
    """The Pabulib ballot-limit keys (:data:`LIMIT_KEYS`) set in ``meta``."""
    return [key for key in LIMIT_KEYS if meta.get(key, "").strip()]


def limit_violations(election: Election, limits: Mapping[str, Number]) -> Iterator[tuple[int, str, Number]]:
    """Yield ``(ballot index, limit key, offending value)`` for every ballot breaking a limit.

    Lengths count the projects on the ballot; ``*_sum_cost`` sums their costs (knapsack ballots);
    ``min_points``/``max_points`` bound each point given, ``*_sum_points`` the ballot's total.
    """
    cost = {p.id: p.cost for p in election.projects}
    for index, ballot in enumerate(election.ballots):
        n = len(ballot.projects)
        checks: list[tuple[str, Number, bool]] = []
        if "min_length" in limits:
            checks.append(("min_length", n, n >= limits["min_length"]))
        if "max_length" in limits:
            checks.append(("max_length", n, n <= limits["max_length"]))
        if "min_sum_cost" in limits or "max_sum_cost" in limits:
            total = sum(cost[p] for p in ballot.projects)
            if "min_sum_cost" in limits:
                checks.append(("min_sum_cost", total, total >= limits["min_sum_cost"]))
            if "max_sum_cost" in limits:
                checks.append(("max_sum_cost", total, total <= limits["max_sum_cost"]))
        if ballot.points is not None:
            pts = ballot.points
            if "min_points" in limits and pts:
                checks.append(("min_points", min(pts), min(pts) >= limits["min_points"]))
            if "max_points" in limits and pts:
                checks.append(("max_points", max(pts), max(pts) <= limits["max_points"]))
            if "min_sum_points" in limits:
                checks.append(("min_sum_points", sum(pts), sum(pts) >= limits["min_sum_points"]))
            if "max_sum_points" in limits:
                checks.append(("max_sum_points", sum(pts), sum(pts) <= limits["max_sum_points"]))
        for key, value, ok in checks:
            if not ok:
                yield index, key, value


def check_ballots(election: Election) -> None:
    """Raise :class:`BudgetInputError` (``row`` = ballot index) for the first ballot breaking a META limit.

    Examples
    --------
    >>> e = make_election([("a", 5), ("b", 5)], [["a"], ["a", "b"]], 10, meta={"max_length": "1"},
    ...                   check_limits=False)
    >>> check_ballots(e)
    Traceback (most recent call last):
    ...
    voting.budget.errors.BudgetInputError: row 1, field 'max_length': ballot has 2; META max_length is 1
    """
    limits = {key: _exact(election.meta[key], what=key) for key in ballot_limits(election.meta)}
    for index, key, value in limit_violations(election, limits):
        raise BudgetInputError(
            f"ballot has {value}; META {key} is {election.meta[key]}",
            code="ballot_limit",
            row=index,
            field=key,
            value=str(value),
        )
