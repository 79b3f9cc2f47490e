"""Stored ballots and has-voted records; see the package docstring for why they cannot be joined."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import db, utcnow


def _random_id() -> str:
    return uuid.uuid4().hex


class Ballot(db.Model):
    """One secret ballot: no voter, no time, a random key."""

    __tablename__ = "ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    contest: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[Any] = mapped_column(JSON)
    receipt: Mapped[str] = mapped_column(String(24), unique=True)
    # sha256 of the voter's change key, for changeable contests only (never the key itself).
    change_digest: Mapped[str | None] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<Ballot {self.contest} {self.receipt}>"


class BallotCast(db.Model):
    """The voter has voted in the contest. Nothing here points at the ballot."""

    __tablename__ = "ballot_casts"
    __table_args__ = (UniqueConstraint("contest", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest: Mapped[str] = mapped_column(String(64), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A different digest of the same change key: checks the key belongs to this voter.
    change_check: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<BallotCast {self.contest} voter={self.voter_id}>"
