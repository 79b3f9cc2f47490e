"""Internal compact profile: identical ballots grouped, supporters stored per project (CSR)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import chain

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
    """Group identical ballots (canonical key: sorted project indices and scores); index supporters."""
    if not election.ballots:
        raise BudgetInputError("the election has no ballots", code="no_ballots", field="ballots")
    ids = election.project_ids
    index = {pid: i for i, pid in enumerate(ids)}
    m = len(ids)
    approval = election.vote_type == "approval"
    group_of: dict[tuple, int] = {}
    weights: list[int] = []
    for ballot in election.ballots:
        if approval:
            key: tuple = tuple(sorted([index[pid] for pid in ballot.projects]))
        else:
            key = tuple(sorted([(index[pid], s) for pid, s in election.ballot_scores(ballot) if s != 0]))
        g = group_of.get(key)
        if g is None:
            group_of[key] = len(weights)
            weights.append(1)
        else:
            weights[g] += 1
    keys = list(group_of)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    nnz = int(lengths.sum())
    if approval:
        ep = np.fromiter(chain.from_iterable(keys), dtype=np.int64, count=nnz)
        entry_scores: list[Number] = [1] * nnz
    else:
        ep = np.fromiter((p for key in keys for p, _ in key), dtype=np.int64, count=nnz)
        entry_scores = [s for key in keys for _, s in key]
    unit = approval or all(s == 1 for s in entry_scores)
    g_ptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(lengths, out=g_ptr[1:])
    eg = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    order = np.argsort(ep, kind="stable")
    ptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(ep, minlength=m), out=ptr[1:])
    w = np.asarray(weights, dtype=np.int64)
    votes = np.zeros(m, dtype=np.int64)
    np.add.at(votes, ep, w[eg])
    if unit:
        scores: tuple[Number, ...] = (1,) * nnz
        scores_f = np.ones(nnz)
        gs_f = np.ones(nnz)
        totals: list[Number] = votes.tolist()
    else:
        scores = tuple(entry_scores[i] for i in order.tolist())
        gs_f = np.array([float(s) for s in entry_scores], dtype=np.float64)
        scores_f = gs_f[order]
        if all(isinstance(s, int) for s in entry_scores):
            tot = np.zeros(m, dtype=np.int64)
            np.add.at(tot, ep, w[eg] * np.asarray(entry_scores, dtype=np.int64))
            totals = tot.tolist()
        else:
            acc: list[Number] = [0] * m
            wl = w.tolist()
            for p, g, s in zip(ep.tolist(), eg.tolist(), entry_scores, strict=True):
                acc[p] += wl[g] * s
            totals = [t.numerator if isinstance(t, Fraction) and t.denominator == 1 else t for t in acc]
    costs = tuple(p.cost for p in election.projects)
    return Profile(
        ids=ids,
        costs=costs,
        cost_f=np.array([float(c) for c in costs], dtype=np.float64),
        budget=election.budget,
        n_voters=len(election.ballots),
        weights=w,
        ptr=ptr,
        groups=eg[order],
        scores=scores,
        scores_f=scores_f,
        unit_scores=unit,
        votes=votes,
        score_total=tuple(totals),
        group_ptr=g_ptr,
        group_projects=ep,
        group_scores_f=gs_f,
    )
