"""sortition: fair, verifiable stratified selection of citizens' panels.

numpy and scipy only; never imports Flask or agora.

Inputs
    :class:`Pool` (people and their features), :class:`Quotas` (min and max per feature value),
    :func:`load_pool`, :func:`load_quotas`
Checking
    :func:`check_feasibility` -> :class:`FeasibilityReport` with :class:`Relaxation` suggestions
Distributions and the draw
    :func:`find_distribution` -> :class:`Distribution`; :func:`draw` -> :class:`SelectionResult`;
    methods :data:`METHODS` (``leximin`` by default, ``maximin``, ``nash``, ``legacy``)
Afterwards
    :func:`verify` -> :class:`VerifyReport`; :func:`replace_dropouts` -> :class:`Replacement`
Errors and progress
    :class:`SortitionError` (file, row, column, value); :class:`Progress`

Examples
--------
>>> from sortition import Pool, Quotas, draw, verify
>>> rows = [{"id": f"p{i:02}", "gender": "fm"[i % 2], "age": "yo"[i // 10]} for i in range(20)]
>>> pool = Pool.from_rows(rows)
>>> quotas = Quotas.from_rows([
...     {"feature": "gender", "value": "f", "min": "2", "max": "3"},
...     {"feature": "gender", "value": "m", "min": "2", "max": "3"},
...     {"feature": "age", "value": "y", "min": "2", "max": "3"},
...     {"feature": "age", "value": "o", "min": "2", "max": "3"},
... ])
>>> result = draw(pool, quotas, 5, seed="4711")
>>> round(result.fairness["minimum"], 4)
0.25
>>> verify(result.to_dict(), pool, quotas).ok
True
"""

from __future__ import annotations

from sortition.data import Pool, Quotas, load_pool, load_quotas
from sortition.errors import SortitionError
from sortition.feasibility import FeasibilityReport, Relaxation, check_feasibility
from sortition.progress import Progress
from sortition.selection import (
    METHODS,
    Distribution,
    Replacement,
    SelectionResult,
    VerifyReport,
    draw,
    find_distribution,
    replace_dropouts,
    verify,
)

# Recorded in every draw. 1.1: new pricing reaches the same LEXIMIN probabilities through other panels, so a
# seed may draw another panel than with 1.0; verify names both versions when a re-run differs.
__version__ = "1.1.0"

__all__ = [
    "__version__",
    "METHODS",
    "Distribution",
    "FeasibilityReport",
    "Pool",
    "Progress",
    "Quotas",
    "Relaxation",
    "Replacement",
    "SelectionResult",
    "SortitionError",
    "VerifyReport",
    "check_feasibility",
    "draw",
    "find_distribution",
    "load_pool",
    "load_quotas",
    "replace_dropouts",
    "verify",
]
