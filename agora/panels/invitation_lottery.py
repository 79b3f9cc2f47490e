"""The invitation lottery: which residents of the census register receive a panel invitation letter.

Pure code (numpy and the standard library, no Flask, no database), so that anyone holding the
same sampling frame and the published seed can re-run it and get the same list.

Method ``agora-invitations/1``
------------------------------
1. **Frame.** Every eligible resident who has an address, as ``FrameEntry(key, district,
   household)``. ``key`` is a stable identifier (the census document hash), ``household`` a
   normalised address key; people at one address form one household.
2. **Apportionment** by the largest-remainder (Hamilton) method on each district's population
   ``p_d`` (eligible residents): the exact quota is ``q_d = N·p_d / P``; each district first gets
   ``floor(q_d)`` letters, and the ``N − Σ floor(q_d)`` letters left go one each to the districts
   with the largest remainders ``q_d − floor(q_d)`` (ties: larger population first, then district
   name). Every district therefore gets ``floor(q_d)`` or ``ceil(q_d)``: within one letter of its
   exact proportional share. Computed in exact integer arithmetic (no rounding error).
3. **Randomness.** One ``numpy.random.Generator`` (PCG64) seeded with the integer value of the
   SHA-256 digest of the seed string (UTF-8). The seed is chosen in public (dice, a lottery
   number) and published with the list.
4. **Selection.** For each district in name order: its residents sorted by ``key``, shuffled with
   ``rng.permutation``; walking that order, a resident is invited unless someone of their
   household already is, until the district's count is reached. So at most one letter goes to
   an address, and every resident of a district has the same chance to be first of their household.
5. **Frame hash.** SHA-256 over the canonical frame (one ``key|district|household`` line per
   resident, sorted) and the populations: two runs on the same frame, N and seed give the same list,
   and anyone can check that a published list came from the frame whose hash was published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

METHOD = "agora-invitations/1"


class LotteryError(ValueError):
    """The lottery cannot run on these inputs. ``code`` and ``params`` let the app translate it."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True, order=True)
class FrameEntry:
    key: str
    district: str
    household: str


@dataclass(frozen=True)
class DistrictAllocation:
    district: str
    population: int
    households: int
    # The exact proportional share N·p/P as a numerator over ``total_population``.
    quota_numerator: int
    total_population: int
    allocated: int

    @property
    def exact_quota(self) -> float:
        return self.quota_numerator / self.total_population if self.total_population else 0.0


@dataclass(frozen=True)
class LotteryResult:
    method: str
    seed: str
    count: int
    frame_hash: str
    allocation: tuple[DistrictAllocation, ...]
    selected: tuple[FrameEntry, ...]


def household_key(address: str, postal_code: str) -> str:
    """A fixed-length key for one address: case, spacing and punctuation variations collapse."""
    canonical = " ".join("".join(c if c.isalnum() else " " for c in (address or "").upper()).split())
    postal = " ".join((postal_code or "").upper().split())
    return hashlib.sha256(f"{canonical}|{postal}".encode()).hexdigest()[:32]


def seed_generator(seed: str) -> np.random.Generator:
    """The generator for a published seed string: PCG64 seeded with SHA-256(seed) as an integer."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def frame_hash(frame: Iterable[FrameEntry], populations: Mapping[str, int]) -> str:
    digest = hashlib.sha256(METHOD.encode() + b"\n")
    for name in sorted(populations):
        digest.update(f"population|{name}|{int(populations[name])}\n".encode())
    for entry in sorted(frame):
        digest.update(f"{entry.key}|{entry.district}|{entry.household}\n".encode())
    return digest.hexdigest()


def apportion(count: int, populations: Mapping[str, int]) -> dict[str, int]:
    """Largest-remainder (Hamilton) apportionment of ``count`` letters over districts.

    >>> apportion(10, {"A": 500, "B": 300, "C": 200})
    {'A': 5, 'B': 3, 'C': 2}
    >>> apportion(10, {"A": 1, "B": 1, "C": 1})
    {'A': 4, 'B': 3, 'C': 3}
    """
    if count < 0:
        raise LotteryError("negative_count", f"the number of invitations must be positive, not {count}",
                           count=count)
    total = sum(int(p) for p in populations.values())
    if total <= 0:
        raise LotteryError("empty_population", "the districts have no eligible residents")
    if any(int(p) < 0 for p in populations.values()):
        raise LotteryError("negative_population", "a district population is negative")
    numerators = {d: count * int(p) for d, p in populations.items()}
    shares = {d: n // total for d, n in numerators.items()}
    left = count - sum(shares.values())
    # Largest remainder first; ties: the larger district, then the name (deterministic).
    order = sorted(populations, key=lambda d: (-(numerators[d] % total), -int(populations[d]), d))
    for district in order[:left]:
        shares[district] += 1
    return {d: shares[d] for d in sorted(populations)}


def draw_invitations(frame: Iterable[FrameEntry], count: int, seed: str, *,
                     populations: Mapping[str, int] | None = None) -> LotteryResult:
    """Draw ``count`` residents, at most one per household, stratified by district (see module doc).

    ``populations`` gives each district's population for the apportionment; by default the
    number of frame entries per district. Districts with a population but no one in the frame
    still get their share, which then fails with ``LotteryError("too_few_households")``.
    """
    frame = sorted(set(frame))
    if not seed or not seed.strip():
        raise LotteryError("no_seed", "a published seed is required")
    if count <= 0:
        raise LotteryError("negative_count", f"the number of invitations must be at least 1, not {count}",
                           count=count)
    by_district: dict[str, list[FrameEntry]] = {}
    for entry in frame:
        by_district.setdefault(entry.district, []).append(entry)
    if populations is None:
        populations = {d: len(entries) for d, entries in by_district.items()}
    unknown = sorted(set(by_district) - set(populations))
    if unknown:
        raise LotteryError("unknown_district", f"district {unknown[0]} has no population figure",
                           district=unknown[0])
    households = {d: len({e.household for e in by_district.get(d, [])}) for d in populations}
    if count > sum(households.values()):
        raise LotteryError("too_many", f"{count} invitations asked but only {sum(households.values())} "
                           "households can be invited", count=count, available=sum(households.values()))
    shares = apportion(count, populations)
    for district, share in shares.items():
        if share > households[district]:
            raise LotteryError("too_few_households",
                               f"district {district} should get {share} invitations but has only "
                               f"{households[district]} households with an address",
                               district=district, share=share, available=households[district])
    rng = seed_generator(seed)
    total = sum(int(p) for p in populations.values())
    selected: list[FrameEntry] = []
    allocation = []
    for district in sorted(populations):
        entries = by_district.get(district, [])  # already sorted by key
        taken_households: set[str] = set()
        chosen: list[FrameEntry] = []
        if shares[district]:
            for index in rng.permutation(len(entries)):
                entry = entries[int(index)]
                if entry.household in taken_households:
                    continue
                taken_households.add(entry.household)
                chosen.append(entry)
                if len(chosen) == shares[district]:
                    break
        selected.extend(chosen)
        allocation.append(DistrictAllocation(
            district=district, population=int(populations[district]), households=households[district],
            quota_numerator=count * int(populations[district]), total_population=total, allocated=len(chosen)))
    return LotteryResult(method=METHOD, seed=seed, count=count, frame_hash=frame_hash(frame, populations),
                         allocation=tuple(allocation), selected=tuple(selected))
