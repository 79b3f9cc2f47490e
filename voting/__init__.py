"""voting: pure tabulation of ranked ballots and participatory-budget allocation.

numpy and scipy only; never imports Flask or agora. The participatory-budget rules live in
:mod:`voting.budget` (imported separately).

Ranked ballots
--------------
Profiles (ballots aggregated into distinct rankings with counts)
    :class:`Profile` (``Profile.from_rankings`` for in-memory ballots, ``Profile.from_matrix``
    for a dense matrix), :data:`SKIP`, :data:`END`, :data:`OVERVOTE`, :data:`OVERVOTE_MARK`
Readers
    :func:`read_ballots`, :func:`read_preflib` (``.soi``/``.soc``/``.toi``/``.toc``),
    :func:`read_csv`, :func:`read_blt`
Single winner
    :func:`irv`, :func:`schulze`, :func:`ranked_pairs`, :func:`copeland`, :func:`minimax`,
    :func:`borda`, :func:`plurality`, :func:`condorcet_winner`, :func:`smith_set`,
    :func:`pairwise_matrix`
Multi-winner
    :func:`stv` with ``rule`` in :data:`STV_RULES` (``"wigm"``, ``"scottish"``, ``"meek"``,
    ``"ers97"``; ``one_winner_per_round`` as RCTab); :func:`sequential_irv` (IRV pass by
    pass, earlier winners withdrawn); :func:`bottoms_up` (eliminate until every candidate has
    a percentage; all win)
One entry point
    :func:`tabulate` (method name + options, used by the command line and the app);
    :data:`METHODS`
Results
    :class:`RankedResult`, :class:`Round`, :class:`TieBreak`, :class:`AuditTrail`,
    :data:`INACTIVE_CAUSES`; tie-break steps :data:`TIE_BREAK_STEPS`
Errors
    :class:`VotingError` > :class:`BallotFormatError`, :class:`RuleError`,
    :class:`TieBreakError`

Examples
--------
>>> from voting import Profile, tabulate
>>> ballots = [["Ada", "Bo"], ["Bo"], ["Cy", "Bo"], ["Ada"], [{"Bo", "Cy"}, "Ada"]]
>>> result = tabulate(Profile.from_rankings(ballots), "irv", overvote="skip_to_next")
>>> result.winners
('Ada',)
"""

from __future__ import annotations

import inspect
from typing import Any

from voting.ballots import END, OVERVOTE, OVERVOTE_MARK, SKIP, Profile
from voting.condorcet import (
    condorcet_winner,
    copeland,
    minimax,
    pairwise_matrix,
    ranked_pairs,
    schulze,
    smith_set,
)
from voting.errors import BallotFormatError, RuleError, TieBreakError, VotingError
from voting.io import read_ballots, read_blt, read_csv, read_preflib
from voting.irv import bottoms_up, irv, sequential_irv
from voting.positional import borda, plurality
from voting.results import INACTIVE_CAUSES, AuditTrail, RankedResult, Round, TieBreak
from voting.stv import STV_RULES, stv
from voting.tiebreak import TIE_BREAK_STEPS

__all__ = [
    "END",
    "INACTIVE_CAUSES",
    "METHODS",
    "OVERVOTE",
    "OVERVOTE_MARK",
    "SKIP",
    "STV_RULES",
    "TIE_BREAK_STEPS",
    "AuditTrail",
    "BallotFormatError",
    "Profile",
    "RankedResult",
    "Round",
    "RuleError",
    "TieBreak",
    "TieBreakError",
    "VotingError",
    "borda",
    "bottoms_up",
    "condorcet_winner",
    "copeland",
    "irv",
    "minimax",
    "pairwise_matrix",
    "plurality",
    "ranked_pairs",
    "read_ballots",
    "read_blt",
    "read_csv",
    "read_preflib",
    "schulze",
    "sequential_irv",
    "smith_set",
    "stv",
    "tabulate",
]

METHODS = {
    "irv": irv,
    "stv": stv,
    "sequential-irv": sequential_irv,
    "bottoms-up": bottoms_up,
    "schulze": schulze,
    "ranked-pairs": ranked_pairs,
    "copeland": copeland,
    "minimax": minimax,
    "borda": borda,
    "plurality": plurality,
}


def tabulate(profile: Profile, method: str, **options: Any) -> RankedResult:
    """Count ``profile`` with the named method (a key of :data:`METHODS`) and its options.

    Options are passed on as keywords; an option the method does not take raises
    :class:`RuleError` rather than being silently ignored.
    """
    try:
        fn = METHODS[method.replace("_", "-")]
    except KeyError:
        raise RuleError(
            f"unknown method {method!r}; choose from {', '.join(METHODS)}", code="bad_method"
        ) from None
    accepted = set(inspect.signature(fn).parameters) - {"profile"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise RuleError(f"method {method!r} does not take option(s) {', '.join(unknown)}", code="bad_option")
    return fn(profile, **options)
