"""Distributions over panels, the seeded draw, the transparent lottery, alternates, verification and
drop-out replacement."""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from sortition import solvers
from sortition.data import Pool, Quotas
from sortition.errors import SortitionError
from sortition.feasibility import FeasibilityReport, check_instance
from sortition.model import Instance, build_instance, household_keys, project_pool
from sortition.progress import Progress

__all__ = [
    "METHODS",
    "Distribution",
    "SelectionResult",
    "VerifyReport",
    "Replacement",
    "find_distribution",
    "draw",
    "verify",
    "replace_dropouts",
    "rng_from_seed",
]

METHODS = ("leximin", "maximin", "nash", "legacy")
SCALE = 10**10  # panel probabilities are rounded to multiples of 1e-10 before any sampling
MAX_LISTED_PANELS = 20_000  # beyond this, the person-level distribution is not listed
LEGACY_SAMPLES = 1000
_PHI_BITS = 53

ProgressFn = Callable[[Progress], None] | None


def _version() -> str:
    from sortition import __version__

    return __version__


def rng_from_seed(seed: str | int) -> np.random.Generator:
    """numpy Generator seeded by the SHA-256 of the seed's text (same on every machine)."""
    digest = hashlib.sha256(("agora-sortition:" + str(seed)).encode("utf-8")).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))


def _quantize(weights: np.ndarray) -> np.ndarray:
    """Integer weights summing to SCALE (largest-remainder rounding, ties by position)."""
    w = np.maximum(np.asarray(weights, dtype=float), 0.0)
    w = w / w.sum() * SCALE
    q = np.floor(w).astype(np.int64)
    rest = SCALE - int(q.sum())
    if rest > 0:
        order = sorted(range(len(w)), key=lambda i: (-(w[i] - q[i]), i))
        for i in order[:rest]:
            q[i] += 1
    return q


def _phi(m: int) -> int:
    result, p, rest = m, 2, m
    while p * p <= rest:
        if rest % p == 0:
            while rest % p == 0:
                rest //= p
            result -= result // p
        p += 1
    if rest > 1:
        result -= result // rest
    return result


def _segments(periods: set[int]) -> int:
    """Number of distinct points j/R (0 <= j < R) over all R in ``periods``: Σ φ(d) over their divisors."""
    divisors = {1}
    for r in periods:
        for d in range(1, math.isqrt(r) + 1):
            if r % d == 0:
                divisors.update((d, r // d))
    return sum(_phi(d) for d in divisors)


def _systematic(members: np.ndarray, x: int, a: int, denom: int) -> list[int]:
    """``x`` of the unit's members at start ``a/denom``: floor((s + a/denom)·c/x), s = 0..x-1."""
    c = len(members)
    if x >= c:
        return members.tolist()
    return [int(members[((s * denom + a) * c) // (x * denom)]) for s in range(x)]


@dataclass(frozen=True, eq=False)
class Distribution:
    """A probability distribution over valid panels.

    Internally panels are vectors of *unit* counts (how many people of each group of
    interchangeable people); within a unit the ``x`` members are chosen by systematic sampling
    in id order from a uniform random start, which gives each member exactly probability
    ``x / c``. :meth:`panels` lists the resulting person-level panels exactly.

    Attributes
    ----------
    method : str
    k : int
    ids : tuple of str
    probabilities : dict
        id -> selection probability.
    unit_panels : ndarray (P, U)
    weights : ndarray (P,)
        Integer weights summing to :data:`SCALE` (probabilities rounded to 1e-10).
    stats : dict
        Solver figures (stages, LP iterations, integer programs, panels generated).
    """

    method: str
    k: int
    ids: tuple[str, ...]
    instance: Instance = field(repr=False)
    unit_panels: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    stats: dict = field(default_factory=dict)

    @property
    def unit_probabilities(self) -> np.ndarray:
        lam = self.weights.astype(float) / SCALE
        return lam @ (self.unit_panels / self.instance.counts)

    @property
    def person_probabilities(self) -> np.ndarray:
        return self.unit_probabilities[self.instance.unit_of]

    @property
    def probabilities(self) -> dict[str, float]:
        p = self.person_probabilities
        return {pid: float(p[i]) for i, pid in enumerate(self.ids)}

    def _breakpoints(self, x: np.ndarray) -> list[Fraction]:
        counts = self.instance.counts
        points = {Fraction(0)}
        for u in np.flatnonzero((x > 0) & (x < counts)):
            period = int(counts[u]) // math.gcd(int(counts[u]), int(x[u]))
            points.update(Fraction(j, period) for j in range(1, period))
        return sorted(points)

    def listed_size(self) -> int:
        """How many person-level panels :meth:`panels` lists (counted without listing them)."""
        counts = self.instance.counts
        total = 0
        for x in self.unit_panels:
            partial = (x > 0) & (x < counts)
            periods = {int(c) // math.gcd(int(c), int(k)) for c, k in zip(counts[partial], x[partial], strict=True)}
            total += _segments(periods)
        return total

    def panels(self, *, limit: int = MAX_LISTED_PANELS) -> tuple[tuple[tuple[str, ...], float], ...] | None:
        """Every person-level panel with its probability, or None when there are more than ``limit``."""
        if self.listed_size() > limit:
            return None
        out = []
        members = self.instance.unit_members
        for x, w in zip(self.unit_panels, self.weights, strict=True):
            points = self._breakpoints(x) + [Fraction(1)]
            for lo, hi in zip(points[:-1], points[1:], strict=True):
                mid = (lo + hi) / 2
                chosen = []
                for u in np.flatnonzero(x):
                    chosen.extend(_systematic(members[u], int(x[u]), mid.numerator, mid.denominator))
                out.append((tuple(sorted(self.ids[i] for i in chosen)), float(w) / SCALE * float(hi - lo)))
        return tuple(out)

    def sample(self, rng: np.random.Generator) -> tuple[int, list[int]]:
        """(panel index, person indices) drawn from the distribution."""
        cum = np.cumsum(self.weights)
        r = int(rng.integers(0, SCALE))
        p = int(np.searchsorted(cum, r, side="right"))
        a = int(rng.integers(0, 2**_PHI_BITS))
        x = self.unit_panels[p]
        chosen: list[int] = []
        for u in np.flatnonzero(x):
            chosen.extend(_systematic(self.instance.unit_members[u], int(x[u]), a, 2**_PHI_BITS))
        return p, sorted(chosen)

    def lottery(self, m: int) -> tuple[list[list[int]], float]:
        """Round to a uniform lottery over ``m`` panels ("Fair Sortition Made Transparent").

        Panel counts are floor(m·λ) plus one extra for some panels, chosen greedily (deterministic,
        no seed) to keep every group's expected number of seats as close as possible to the exact
        distribution; members of a group take turns across the lottery panels in id order, so each
        appears ⌊·⌋ or ⌈·⌉ times. Returns the panels (person indices) and the largest change of
        anyone's probability.
        """
        if m < 1:
            raise SortitionError("the number of lottery panels must be at least 1", code="bad_lottery", value=m)
        inst = self.instance
        c = inst.counts.astype(float)
        lam = self.weights.astype(float) / SCALE
        target = m * lam
        n_p = np.floor(target).astype(np.int64)
        extra = m - int(n_p.sum())
        M = self.unit_panels / c  # P x U: seats per person of each unit
        dev = (n_p - target) @ M
        frac = target - n_p
        can = frac > 1e-12
        for _ in range(extra):
            cand = np.flatnonzero(can)
            if len(cand) == 0:
                cand = np.arange(len(lam))
            worst = np.abs(dev[None, :] + M[cand]).max(axis=1)
            best = min(range(len(cand)), key=lambda j: (round(worst[j], 12), -frac[cand[j]], cand[j]))
            p = int(cand[best])
            n_p[p] += 1
            dev += M[p]
            can[p] = False
        pointers = [0] * inst.n_units
        panels: list[list[int]] = []
        for p in range(len(lam)):
            x = self.unit_panels[p]
            for _ in range(int(n_p[p])):
                chosen = []
                for u in np.flatnonzero(x):
                    members = inst.unit_members[u]
                    start = pointers[u]
                    chosen.extend(int(members[(start + s) % len(members)]) for s in range(int(x[u])))
                    pointers[u] = (start + int(x[u])) % len(members)
                panels.append(sorted(chosen))
        appear = np.bincount(np.concatenate([np.array(p, dtype=np.int64) for p in panels]), minlength=inst.n)
        moved = float(np.abs(appear / m - self.person_probabilities).max())
        return panels, moved


def _listing_limit(k: int) -> int:
    """At most :data:`MAX_LISTED_PANELS` panels and a million ids in a result's distribution."""
    return max(1, min(MAX_LISTED_PANELS, 1_000_000 // k))


def _fairness(p: np.ndarray) -> dict[str, float]:
    p = np.sort(np.asarray(p, dtype=float))
    n = len(p)
    gm = 0.0 if np.any(p <= 0) else float(np.exp(np.mean(np.log(p))))
    gini = float(np.sum((2 * np.arange(1, n + 1) - n - 1) * p) / (n * p.sum())) if p.sum() > 0 else 0.0
    return {
        "minimum": float(p[0]),
        "maximum": float(p[-1]),
        "mean": float(p.mean()),
        "geometric_mean": gm,
        "gini": gini,
    }


def _method(method: str) -> str:
    m = str(method).strip().lower()
    if m not in METHODS:
        raise SortitionError(
            f"unknown method; choose one of {', '.join(METHODS)}", code="unknown_method", column="method", value=method
        )
    return m


def _prepare(pool: Pool, quotas: Quotas, k: int, method: str, address_columns: Sequence[str]) -> tuple[Pool, Instance]:
    proj = project_pool(pool, quotas, address_columns)
    inst = build_instance(proj, quotas, k, address_columns=address_columns, compress=method != "legacy")
    return proj, inst


def _infeasible(report: FeasibilityReport) -> SortitionError:
    return SortitionError("no panel meets the quotas. " + " ".join(report.conflicts), code="infeasible", report=report)


_CACHE: OrderedDict[tuple, Distribution] = OrderedDict()
_CACHE_SIZE = 8


def clear_cache() -> None:
    """Forget the distributions computed so far (they are cached per process, keyed by the
    SHA-256 of the pool and quotas, ``k``, the method and the address columns)."""
    _CACHE.clear()


def _cached_distribution(
    proj: Pool, quotas: Quotas, inst: Instance, method: str, address_columns: Sequence[str], progress: ProgressFn
) -> Distribution:
    key = (proj.sha256, quotas.sha256, inst.k, method, tuple(address_columns))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        if progress is not None:
            progress(Progress(phase=method, iteration=0, bound=None, message="distribution already computed"))
        return _CACHE[key]
    dist = _distribution_for(inst, method, progress, f"legacy:{proj.sha256}:{quotas.sha256}:{inst.k}")
    _CACHE[key] = dist
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return dist


def _distribution_for(inst: Instance, method: str, progress: ProgressFn, legacy_seed: str) -> Distribution:
    report = check_instance(inst)
    if not report.feasible:
        raise _infeasible(report)
    if method == "legacy":
        rng = rng_from_seed(legacy_seed)
        found: dict[tuple[int, ...], int] = {}
        for panel in solvers.legacy(inst, samples=LEGACY_SAMPLES, rng=rng, progress=progress):
            found[tuple(panel)] = found.get(tuple(panel), 0) + 1
        keys = sorted(found)
        panels = np.zeros((len(keys), inst.n_units), dtype=np.int64)
        for r, key in enumerate(keys):
            panels[r, inst.unit_of[list(key)]] = 1
        ud = solvers.UnitDistribution(
            panels, np.array([found[key] for key in keys], float) / LEGACY_SAMPLES, {"samples": LEGACY_SAMPLES}
        )
    else:
        solver = {"leximin": solvers.leximin, "maximin": solvers.maximin, "nash": solvers.nash}[method]
        ud = solver(inst, progress=progress)
    order = sorted(range(len(ud.weights)), key=lambda r: tuple(ud.panels[r].tolist()))
    weights = _quantize(ud.weights[order])
    keep = weights > 0
    return Distribution(
        method=method,
        k=inst.k,
        ids=inst.ids,
        instance=inst,
        unit_panels=ud.panels[order][keep],
        weights=weights[keep],
        stats=dict(ud.stats, groups=inst.n_units),
    )


def find_distribution(
    pool: Pool,
    quotas: Quotas,
    k: int,
    *,
    method: str = "leximin",
    address_columns: Sequence[str] = (),
    progress: ProgressFn = None,
) -> Distribution:
    """The distribution over quota-meeting panels chosen by ``method``.

    ``leximin`` (default) maximises the smallest selection probability, then the next smallest,
    and so on; ``maximin`` only the smallest; ``nash`` the product of all; ``legacy`` is the
    greedy draw used before 2021, its distribution estimated from 1,000 greedy draws (seeded from
    the inputs, so it is reproducible).

    Raises
    ------
    SortitionError
        Bad input, or quotas no panel can meet (``code="infeasible"``, report in ``.report``).
    """
    method = _method(method)
    proj, inst = _prepare(pool, quotas, k, method, address_columns)
    return _cached_distribution(proj, quotas, inst, method, address_columns, progress)


@dataclass(frozen=True)
class SelectionResult:
    """The outcome of a draw, with what is needed to verify it.

    Attributes
    ----------
    panel : tuple of str
        Selected ids, sorted.
    alternates : tuple of str
        Ordered reserve list.
    probabilities : dict
        id -> selection probability under the distribution actually sampled (the lottery's when
        ``lottery_panels`` is set).
    distribution : tuple
        ``((ids...), probability)`` for every panel that could have been drawn (the ``m`` lottery
        panels with ``1/m`` each when ``lottery_panels`` is set). Empty when too many to list
        (``distribution_listed`` is then False).
    lottery_panels : int or None
    quota_fulfilment : tuple
        ``(feature, value, min, max, selected_count)`` per quota.
    fairness : dict
        ``minimum``, ``maximum``, ``mean``, ``geometric_mean``, ``gini`` of the probabilities.
    seed, method, k, pool_sha256, quotas_sha256, version
        What verification needs. ``pool_sha256`` is the hash of the pool restricted to the id,
        the quota features (sorted) and the address columns used.
    """

    panel: tuple[str, ...]
    alternates: tuple[str, ...]
    probabilities: dict[str, float]
    distribution: tuple[tuple[tuple[str, ...], float], ...]
    lottery_panels: int | None
    quota_fulfilment: tuple[tuple[str, str, int, int, int], ...]
    fairness: dict[str, float]
    seed: str
    method: str
    k: int
    pool_sha256: str
    quotas_sha256: str
    version: str
    address_columns: tuple[str, ...] = ()
    panel_index: int = 0
    distribution_listed: bool = True
    exact_probabilities: dict[str, float] | None = None
    lottery_max_deviation: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats rounded to 12 digits)."""
        return {
            "panel": list(self.panel),
            "alternates": list(self.alternates),
            "probabilities": {k: round(v, 12) for k, v in self.probabilities.items()},
            "seed": self.seed,
            "method": self.method,
            "k": self.k,
            "lottery_panels": self.lottery_panels,
            "address_columns": list(self.address_columns),
            "pool_sha256": self.pool_sha256,
            "quotas_sha256": self.quotas_sha256,
            "version": self.version,
            "fairness": {k: round(v, 12) for k, v in self.fairness.items()},
            "quota_fulfilment": [
                {"feature": f, "value": v, "min": lo, "max": hi, "selected": s}
                for f, v, lo, hi, s in self.quota_fulfilment
            ],
            "panel_index": self.panel_index,
            "distribution_listed": self.distribution_listed,
            "distribution": [{"panel": list(p), "probability": round(w, 12)} for p, w in self.distribution],
            "exact_probabilities": None
            if self.exact_probabilities is None
            else {k: round(v, 12) for k, v in self.exact_probabilities.items()},
            "lottery_max_deviation": self.lottery_max_deviation,
            "stats": self.stats,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SelectionResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. read back from JSON)."""
        try:
            qf = tuple(
                (q["feature"], q["value"], int(q["min"]), int(q["max"]), int(q["selected"]))
                for q in d.get("quota_fulfilment", ())
            )
            return cls(
                panel=tuple(d["panel"]),
                alternates=tuple(d.get("alternates", ())),
                probabilities={str(k): float(v) for k, v in d["probabilities"].items()},
                distribution=tuple((tuple(x["panel"]), float(x["probability"])) for x in d.get("distribution", ())),
                lottery_panels=d.get("lottery_panels"),
                quota_fulfilment=qf,
                fairness={str(k): float(v) for k, v in d.get("fairness", {}).items()},
                seed=str(d["seed"]),
                method=str(d["method"]),
                k=int(d["k"]),
                pool_sha256=str(d["pool_sha256"]),
                quotas_sha256=str(d["quotas_sha256"]),
                version=str(d.get("version", "")),
                address_columns=tuple(d.get("address_columns", ())),
                panel_index=int(d.get("panel_index", 0)),
                distribution_listed=bool(d.get("distribution_listed", True)),
                exact_probabilities=None
                if d.get("exact_probabilities") is None
                else {str(k): float(v) for k, v in d["exact_probabilities"].items()},
                lottery_max_deviation=d.get("lottery_max_deviation"),
                stats=dict(d.get("stats", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SortitionError(f"not a sortition result: {exc!r}", code="bad_result") from None


def _fulfilment(inst: Instance, members: Sequence[int]) -> tuple[tuple[str, str, int, int, int], ...]:
    sel = np.zeros(len(inst.quota_rows), dtype=np.int64)
    for i in members:
        sel[inst.person_values[i]] += 1
    return tuple((f, v, lo, hi, int(sel[q])) for q, (f, v, lo, hi) in enumerate(inst.quota_rows))


def _alternates(
    inst: Instance, panel: Sequence[int], probs: np.ndarray, count: int, rng: np.random.Generator
) -> list[int]:
    """Ordered reserve list.

    Eligible: people not on the panel, with a chance above 0 and no household member on the panel
    (at most one per household in the list). They are put in a random order weighted by their
    selection probability (Efraimidis–Spirakis keys u^(1/p)). The list then takes, first, for each
    panellist in turn the earliest eligible person with exactly the same features (a like-for-like
    substitute keeps every quota), and after that the others in that order.
    """
    keys = rng.random(inst.n)
    if count <= 0:
        return []
    on_panel = np.zeros(inst.n, dtype=bool)
    on_panel[list(panel)] = True
    hh = np.array(inst.person_household)
    score = np.where(probs > 0, np.log(np.maximum(keys, 1e-300)) / np.maximum(probs, 1e-300), -np.inf)
    order = [i for i in sorted(range(inst.n), key=lambda i: (-score[i], i)) if score[i] > -np.inf and not on_panel[i]]
    blocked = set(hh[list(panel)].tolist()) - {-1}
    out: list[int] = []
    taken: set[int] = set()

    def eligible(i: int) -> bool:
        return i not in taken and not (hh[i] >= 0 and hh[i] in blocked)

    def take(i: int) -> None:
        out.append(i)
        taken.add(i)
        if hh[i] >= 0:
            blocked.add(int(hh[i]))

    profile = [tuple(row) for row in inst.person_values.tolist()]
    for member in sorted(panel, key=lambda i: (-score[i], i)):
        if len(out) >= count:
            break
        twin = next((i for i in order if profile[i] == profile[member] and eligible(i)), None)
        if twin is not None:
            take(twin)
    for i in order:
        if len(out) >= count:
            break
        if eligible(i):
            take(i)
    return out


def draw(
    pool: Pool,
    quotas: Quotas,
    k: int,
    *,
    seed: str | int,
    method: str = "leximin",
    address_columns: Sequence[str] = (),
    lottery_panels: int | None = None,
    alternates: int = 0,
    progress: ProgressFn = None,
) -> SelectionResult:
    """Draw a panel of ``k`` from ``pool`` meeting ``quotas``, from a public seed.

    The same pool content (in any row order), quotas, ``k``, method, seed and options give the
    same panel on any machine: the distribution's panel probabilities are rounded to 1e-10 and
    the panels put in a canonical order before sampling with a numpy ``Generator`` seeded by the
    SHA-256 of the seed.

    Parameters
    ----------
    seed : str or int
        The public seed (dice rolls, a lottery number...). Recorded in the result.
    method : {"leximin", "maximin", "nash", "legacy"}
    address_columns : sequence of str
        At most one person per address (these columns together, case and spacing ignored).
    lottery_panels : int, optional
        Round the distribution to a uniform lottery over this many panels first; the panel is
        then drawn uniformly from the list.
    alternates : int
        Length of the ordered reserve list.
    progress : callable, optional
        Called with a :class:`Progress` at every column-generation iteration.

    Raises
    ------
    SortitionError
        Bad input; or infeasible quotas (``code="infeasible"``, the :class:`FeasibilityReport`
        in ``.report``).

    Examples
    --------
    >>> from sortition import Pool, Quotas, draw
    >>> pool = Pool.from_rows([{"id": f"p{i}", "g": "ab"[i % 2]} for i in range(10)])
    >>> quotas = Quotas.from_items([("g", "a", 2, 2), ("g", "b", 2, 2)])
    >>> result = draw(pool, quotas, 4, seed="1234")
    >>> len(result.panel), result.fairness["minimum"]
    (4, 0.4)
    """
    method = _method(method)
    if isinstance(alternates, bool) or not isinstance(alternates, int) or alternates < 0:
        raise SortitionError(
            "the number of alternates must be a whole number, 0 or more", code="bad_alternates", value=alternates
        )
    if lottery_panels is not None and (
        isinstance(lottery_panels, bool) or not isinstance(lottery_panels, int) or lottery_panels < 1
    ):
        raise SortitionError(
            "the number of lottery panels must be a whole number, 1 or more", code="bad_lottery", value=lottery_panels
        )
    address_columns = tuple(address_columns)
    proj, inst = _prepare(pool, quotas, k, method, address_columns)
    dist = _cached_distribution(proj, quotas, inst, method, address_columns, progress)
    rng = rng_from_seed(seed)
    exact = dist.person_probabilities
    exact_dict = None
    deviation = None
    if lottery_panels is not None:
        lottery, deviation = dist.lottery(lottery_panels)
        index = int(rng.integers(0, lottery_panels))
        members = lottery[index]
        appear = np.bincount(np.concatenate([np.array(p, dtype=np.int64) for p in lottery]), minlength=inst.n)
        probs = appear / lottery_panels
        listed: tuple | None = tuple((tuple(inst.ids[i] for i in p), 1.0 / lottery_panels) for p in lottery)
        exact_dict = {pid: float(exact[i]) for i, pid in enumerate(inst.ids)}
    elif method == "legacy":
        members = solvers.legacy_panel(inst, rng)
        index = -1
        probs = exact
        listed = dist.panels(limit=_listing_limit(inst.k))
    else:
        index, members = dist.sample(rng)
        probs = exact
        listed = dist.panels(limit=_listing_limit(inst.k))
    alt = _alternates(inst, members, probs, alternates, rng)
    return SelectionResult(
        panel=tuple(inst.ids[i] for i in sorted(members)),
        alternates=tuple(inst.ids[i] for i in alt),
        probabilities={pid: float(probs[i]) for i, pid in enumerate(inst.ids)},
        distribution=listed or (),
        lottery_panels=lottery_panels,
        quota_fulfilment=_fulfilment(inst, members),
        fairness=_fairness(probs),
        seed=str(seed),
        method=method,
        k=inst.k,
        pool_sha256=proj.sha256,
        quotas_sha256=quotas.sha256,
        version=_version(),
        address_columns=address_columns,
        panel_index=index,
        distribution_listed=listed is not None,
        exact_probabilities=exact_dict,
        lottery_max_deviation=deviation,
        stats=dist.stats,
    )


@dataclass(frozen=True)
class VerifyReport:
    """Whether a recorded result is reproduced from the given pool and quotas."""

    ok: bool
    reasons: tuple[str, ...] = ()


def verify(result_dict: Mapping[str, Any], pool: Pool, quotas: Quotas) -> VerifyReport:
    """Re-run the draw recorded in ``result_dict`` and compare.

    Checks the quotas' and the pool's SHA-256 first (the pool restricted to id, quota features
    and the recorded address columns), then re-draws with the recorded seed, method, ``k``,
    lottery size and number of alternates and compares the panel and the alternates.
    """
    try:
        recorded = SelectionResult.from_dict(result_dict)
    except SortitionError as exc:
        return VerifyReport(False, (str(exc),))
    reasons = []
    if quotas.sha256 != recorded.quotas_sha256:
        reasons.append(
            "the quotas differ from those used "
            f"(SHA-256 {quotas.sha256[:12]}… instead of {recorded.quotas_sha256[:12]}…)"
        )
    try:
        proj = project_pool(pool, quotas, recorded.address_columns)
    except SortitionError as exc:
        return VerifyReport(False, (*reasons, str(exc)))
    if proj.sha256 != recorded.pool_sha256:
        reasons.append(
            f"the pool differs from the one used (SHA-256 {proj.sha256[:12]}… instead of {recorded.pool_sha256[:12]}…)"
        )
    if reasons:
        return VerifyReport(False, tuple(reasons))
    try:
        again = draw(
            pool,
            quotas,
            recorded.k,
            seed=recorded.seed,
            method=recorded.method,
            address_columns=recorded.address_columns,
            lottery_panels=recorded.lottery_panels,
            alternates=len(recorded.alternates),
        )
    except SortitionError as exc:
        return VerifyReport(False, (f"the draw could not be re-run: {exc}",))
    if again.panel != recorded.panel:
        missing = sorted(set(recorded.panel) - set(again.panel))
        extra = sorted(set(again.panel) - set(recorded.panel))
        reasons.append(
            f"the re-run draws a different panel: recorded but not re-drawn {', '.join(missing) or '-'}; "
            f"re-drawn but not recorded {', '.join(extra) or '-'}"
        )
    if again.alternates != recorded.alternates:
        reasons.append("the re-run gives a different list of alternates")
    if reasons and again.version != recorded.version:
        reasons.append(f"the result was made with version {recorded.version}, this is {again.version}")
    return VerifyReport(not reasons, tuple(reasons))


@dataclass(frozen=True)
class Replacement:
    """Replacements for panellists who dropped out."""

    replacements: tuple[str, ...]
    panel: tuple[str, ...]
    dropped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"replacements": list(self.replacements), "panel": list(self.panel), "dropped": list(self.dropped)}


def replace_dropouts(
    result: SelectionResult,
    dropped: Iterable[str],
    pool: Pool,
    quotas: Quotas,
    *,
    seed: str | int,
    address_columns: Sequence[str] | None = None,
) -> Replacement:
    """Replace panellists who dropped out so that every quota (and the household rule) still holds.

    The rule: candidates are pool members who are not on the panel, did not drop out, and share
    no address with a remaining panellist (and at most one per address among the replacements).
    Among all sets of candidates of the right size that keep every quota met, take one that uses
    as few people from outside the result's alternates list as possible; among those, the one
    whose alternates have the smallest sum of ranks; people outside the list are ranked in a
    random order drawn from ``seed`` (every such person equally likely to come first). This is one
    integer program, so a replacement is found whenever one exists.

    Raises
    ------
    SortitionError
        An id that is not on the panel, or no set of replacements keeps the quotas.
    """
    dropped = tuple(dict.fromkeys(str(d).strip() for d in dropped))
    if address_columns is None:
        address_columns = result.address_columns
    address_columns = tuple(address_columns)
    proj = project_pool(pool, quotas, address_columns)
    inst = build_instance(proj, quotas, result.k, address_columns=address_columns, compress=False)
    index = {pid: i for i, pid in enumerate(inst.ids)}
    panel_set = set(result.panel)
    for d in dropped:
        if d not in panel_set:
            raise SortitionError("this id is not on the panel", code="not_on_panel", column="id", value=d)
    for pid in result.panel:
        if pid not in index:
            raise SortitionError("a panellist is missing from the pool", code="unknown_id", file=pool.source, value=pid)
    if not dropped:
        return Replacement((), tuple(result.panel), ())
    keep = [index[p] for p in result.panel if p not in dropped]
    keys = household_keys(proj, address_columns)
    blocked = {keys[i] for i in keep if keys[i] is not None}
    excluded = set(keep) | {index[d] for d in dropped}
    cand = [i for i in range(inst.n) if i not in excluded and (keys[i] is None or keys[i] not in blocked)]
    if len(cand) < len(dropped):
        raise SortitionError("not enough people left in the pool to replace them", code="no_replacement")
    alt_rank = {index[a]: r for r, a in enumerate(result.alternates) if a in index}
    rng = rng_from_seed(f"replace:{seed}")
    outside = [i for i in cand if i not in alt_rank]
    shuffled = [outside[j] for j in rng.permutation(len(outside))]
    outside_rank = {i: r for r, i in enumerate(shuffled)}
    big = len(alt_rank) * len(dropped) + 1
    cost = np.array(
        [
            alt_rank[i] + 1
            if i in alt_rank
            else big * (len(alt_rank) + 1) + outside_rank[i] / (len(outside) * len(dropped) + 1)
            for i in cand
        ]
    )
    # quota counts of the kept panellists
    kept = np.zeros(len(inst.quota_rows))
    for i in keep:
        kept[inst.person_values[i]] += 1
    Q = len(inst.quota_rows)
    A = np.zeros((Q, len(cand)))
    for j, i in enumerate(cand):
        A[inst.person_values[i], j] = 1
    rows = [np.ones((1, len(cand))), A]
    lb = [np.array([len(dropped)]), inst.lo - kept]
    ub = [np.array([len(dropped)]), inst.hi - kept]
    groups: dict[tuple[str, ...], list[int]] = {}
    for j, i in enumerate(cand):
        if keys[i] is not None:
            groups.setdefault(keys[i], []).append(j)
    multi = [g for g in groups.values() if len(g) > 1]
    H = np.zeros((len(multi), len(cand)))
    for h, g in enumerate(multi):
        H[h, g] = 1
    if multi:
        rows.append(H)
        lb.append(np.zeros(len(multi)))
        ub.append(np.ones(len(multi)))
    res = milp(
        cost,
        constraints=LinearConstraint(sparse.csr_matrix(np.vstack(rows)), np.concatenate(lb), np.concatenate(ub)),
        bounds=Bounds(0, 1),
        integrality=np.ones(len(cand)),
        options={"mip_rel_gap": 0.0},
    )
    if res.x is None:
        raise SortitionError(
            f"no {len(dropped)} people in the pool can replace {', '.join(dropped)} while keeping every quota",
            code="no_replacement",
        )
    chosen = [cand[j] for j in np.flatnonzero(np.rint(res.x) > 0)]
    chosen.sort(key=lambda i: (0, alt_rank[i]) if i in alt_rank else (1, outside_rank[i]))
    new_panel = tuple(sorted([inst.ids[i] for i in keep] + [inst.ids[i] for i in chosen]))
    return Replacement(tuple(inst.ids[i] for i in chosen), new_panel, dropped)
