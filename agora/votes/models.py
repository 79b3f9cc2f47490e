"""Ranked votes: the question, its options and the announced counting rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.census.models import District
from agora.db import db, utcnow


class Vote(db.Model):
    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Counting rules, announced before voting and locked once the vote opens.
    method: Mapped[str] = mapped_column(String(20))
    seats: Mapped[int] = mapped_column(default=1)
    stv_rule: Mapped[str] = mapped_column(String(20), default="wigm")
    overvote_rule: Mapped[str] = mapped_column(String(40), default="reject")
    skipped_rule: Mapped[str] = mapped_column(String(20), default="reject")
    tie_break: Mapped[str] = mapped_column(String(80))
    lot_seed: Mapped[int] = mapped_column(BigInteger)
    # Eligibility: "all" verified residents, or those of one "district", or a panel's members.
    eligibility: Mapped[str] = mapped_column(String(20), default="all")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    # Or the members of one citizens' panel ("panel").
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id"))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The count, stored once after closing (RankedResult.to_dict()).
    result: Mapped[Any | None] = mapped_column(JSON)
    tallied_at: Mapped[datetime | None]

    options: Mapped[list[VoteOption]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="VoteOption.position", lazy="selectin")
    district: Mapped[District | None] = relationship(lazy="joined")
    panel: Mapped[Panel | None] = relationship()  # noqa: F821 - agora.panels.models
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Vote {self.id} {self.title!r}>"


class VoteOption(db.Model):
    __tablename__ = "vote_options"
    # A successful proposal is an option of a given vote at most once.
    __table_args__ = (UniqueConstraint("vote_id", "label"), UniqueConstraint("vote_id", "proposal_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(120))
    # The successful proposal this option comes from, if any (see agora.proposals.services.send_to_vote).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)

    vote: Mapped[Vote] = relationship(back_populates="options")
    proposal: Mapped[Proposal | None] = relationship("Proposal")  # noqa: F821
