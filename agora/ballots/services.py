"""Cast, change and list secret ballots. Callers check eligibility and validate content first."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from agora.ballots.models import Ballot, BallotCast
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput
from agora.permissions import Permission, require

if TYPE_CHECKING:
    from agora.accounts.models import User

# Crockford's base 32: no I, L, O, U, so a receipt read aloud or copied by hand stays right.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16  # 80 random bits


@dataclass(frozen=True)
class CastReceipt:
    """What the voter is shown once: the public receipt and, if changeable, the secret change key."""

    receipt: str
    change_key: str | None = None


def contest_key(kind: str, ident: int | str) -> str:
    """The contest reference stored with ballots, e.g. ``contest_key("vote", 12) == "vote:12"``."""
    return f"{kind}:{ident}"


def new_code(length: int = RECEIPT_LENGTH) -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def normalise_code(code: str) -> str:
    """Accept a code typed in lower case, with spaces or without dashes."""
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _digest(purpose: str, contest: str, key: str) -> str:
    return hashlib.sha256(f"agora.ballot|{purpose}|{contest}|{normalise_code(key)}".encode()).hexdigest()


def cast_ballot(voter: User, contest: str, content: Any, *, changeable: bool = False) -> CastReceipt:
    """Store ``content`` as the voter's secret ballot in ``contest`` and record that they voted.

    Verified residents only (the calling feature checks its own eligibility and phase first).
    Both rows are written in the caller's transaction; a second ballot by the same voter (also
    a concurrent one) raises :class:`Conflict`. Returns the receipt (and the change key when
    ``changeable``), which is stored nowhere in clear and must be shown to the voter now.
    """
    require(voter, Permission.PARTICIPATE)
    change_key = new_code(28) if changeable else None  # 28 characters: 140 bits
    cast = BallotCast(contest=contest, voter_id=voter.id, cast_at=utcnow(),
                      change_check=_digest("voter", contest, change_key) if change_key else None)
    try:
        with db.session.begin_nested():
            db.session.add(cast)
    except IntegrityError:
        raise Conflict(_("You have already voted here; a ballot cannot be cast twice.")) from None
    ballot = Ballot(contest=contest, content=content, receipt=new_code(),
                    change_digest=_digest("ballot", contest, change_key) if change_key else None)
    db.session.add(ballot)
    db.session.flush()
    return CastReceipt(ballot.receipt, change_key)


def change_ballot(voter: User, contest: str, change_key: str, content: Any) -> str:
    """Replace the content of the voter's ballot, found through their secret change key.

    The key must match the voter's own has-voted record; raises :class:`InvalidInput` otherwise
    (without saying whether the key exists for someone else). Returns the unchanged receipt.
    """
    require(voter, Permission.PARTICIPATE)
    cast = db.session.scalar(
        select(BallotCast).where(BallotCast.contest == contest, BallotCast.voter_id == voter.id).with_for_update())
    wrong = InvalidInput(_("This change key does not match your ballot."), field="change_key")
    if cast is None or cast.change_check is None:
        raise wrong
    if not hmac.compare_digest(cast.change_check, _digest("voter", contest, change_key)):
        raise wrong
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.contest == contest,
                             Ballot.change_digest == _digest("ballot", contest, change_key)).with_for_update())
    if ballot is None:  # pragma: no cover - both rows are always written together
        raise wrong
    ballot.content = content
    db.session.flush()
    return ballot.receipt


def has_voted(voter: User | None, contest: str) -> bool:
    if voter is None or not getattr(voter, "is_authenticated", False):
        return False
    return db.session.scalar(select(func.count()).select_from(BallotCast).where(
        BallotCast.contest == contest, BallotCast.voter_id == voter.id)) > 0


def count_voters(contest: str) -> int:
    """Turnout: has-voted records (reveals nothing about content)."""
    return db.session.scalar(select(func.count()).select_from(BallotCast).where(BallotCast.contest == contest))


def list_ballots(contest: str) -> list[Ballot]:
    """Every ballot of the contest, in receipt order (never in any order of casting).

    The calling feature decides when ballots may be seen (e.g. only after closing).
    """
    return list(db.session.scalars(select(Ballot).where(Ballot.contest == contest).order_by(Ballot.receipt)))


def find_ballot(contest: str, receipt: str) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.contest == contest,
                                                  Ballot.receipt == normalise_code(receipt)))
