"""Internal compact profile: identical ballots grouped, supporters stored per project (CSR)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from voting.budget.errors import BudgetInputError
from voting.budget.model import Election, Number


@dataclass
class Profile:
    """Voters grouped by identical (canonical) ballots; per-project supporter lists.

    ``groups[ptr[p]:ptr[p+1]]`` are the groups giving project ``p`` a positive score
    ``scores[ptr[p]:ptr[p+1]]``; ``weights[g]`` is the number of voters in group ``g``.
    """

    ids: tuple[str, ...]
    costs: tuple[Number, ...]
    cost_f: np.ndarray
    budget: Number
    n_voters: int
    weights: np.ndarray  # (G,) int64
    ptr: np.ndarray  # (m+1,) int64
    groups: np.ndarray  # (nnz,) int64
    scores: tuple[Number, ...]  # (nnz,) exact
    scores_f: np.ndarray  # (nnz,) float64
    unit_scores: bool  # every positive score is 1 (approval-like)
    votes: np.ndarray  # (m,) int64: voters giving a positive score
    score_total: tuple[Number, ...]  # (m,) exact: sum of scores over voters
    group_ptr: np.ndarray  # (G+1,) CSR by group: the projects each group scores
    group_projects: np.ndarray
    group_scores_f: np.ndarray

    @property
    def m(self) -> int:
        return len(self.ids)

    @property
    def n_groups(self) -> int:
        return int(self.weights.shape[0])

    def supporters(self, p: int) -> slice:
        return slice(int(self.ptr[p]), int(self.ptr[p + 1]))

    def utilities_f(self, utility: str) -> np.ndarray:
        """Float utility per (project, group) entry: score x cost, or score."""
        if utility == "cost":
            proj = np.repeat(np.arange(self.m), np.diff(self.ptr))
            return self.scores_f * self.cost_f[proj]
        return self.scores_f.copy()

    def utility_exact(self, entry: int, p: int, utility: str) -> Number:
        s = self.scores[entry]
        return s * self.costs[p] if utility == "cost" else s


def build_profile(election: Election) -> Profile:
    """Group identical ballots and index supporters per project."""
    ids = election.project_ids
    index = {pid: i for i, pid in enumerate(ids)}
    m = len(ids)
    group_of: dict[tuple[tuple[int, Number], ...], int] = {}
    weights: list[int] = []
    for ballot in election.ballots:
        items = [(index[pid], s) for pid, s in election.ballot_scores(ballot) if s != 0]
        items.sort()
        key = tuple(items)
        g = group_of.get(key)
        if g is None:
            group_of[key] = len(weights)
            weights.append(1)
        else:
            weights[g] += 1
    keys = list(group_of)
    entries_p: list[int] = []
    entries_g: list[int] = []
    entries_s: list[Number] = []
    g_ptr = [0]
    for g, key in enumerate(keys):
        for p, s in key:
            entries_p.append(p)
            entries_g.append(g)
            entries_s.append(s)
        g_ptr.append(len(entries_p))
    ep = np.asarray(entries_p, dtype=np.int64)
    eg = np.asarray(entries_g, dtype=np.int64)
    order = np.argsort(ep, kind="stable")
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(ep, minlength=m), out=ptr[1:])
    scores = tuple(entries_s[i] for i in order.tolist())
    unit = all(s == 1 for s in entries_s)
    scores_f = np.ones(len(scores)) if unit else np.array([float(s) for s in scores], dtype=np.float64)
    w = np.asarray(weights, dtype=np.int64)
    groups = eg[order]
    votes = np.bincount(ep, weights=w[eg], minlength=m).astype(np.int64) if len(ep) else np.zeros(m, np.int64)
    totals: list[Number] = [0] * m
    wl = w.tolist()
    for p, g, s in zip(entries_p, entries_g, entries_s, strict=True):
        totals[p] += wl[g] * s
    totals = [t.numerator if isinstance(t, Fraction) and t.denominator == 1 else t for t in totals]
    gs_f = np.ones(len(entries_s)) if unit else np.array([float(s) for s in entries_s], dtype=np.float64)
    costs = tuple(p.cost for p in election.projects)
    if not election.ballots:
        raise BudgetInputError("the election has no ballots", code="no_ballots", field="ballots")
    return Profile(
        ids=ids,
        costs=costs,
        cost_f=np.array([float(c) for c in costs], dtype=np.float64),
        budget=election.budget,
        n_voters=len(election.ballots),
        weights=w,
        ptr=ptr,
        groups=groups,
        scores=scores,
        scores_f=scores_f,
        unit_scores=unit,
        votes=votes,
        score_total=tuple(totals),
        group_ptr=np.asarray(g_ptr, dtype=np.int64),
        group_projects=ep,
        group_scores_f=gs_f,
    )
