"""The panel at work: sessions, goals with amendments and revisions, and adoption votes among members.

Everything here belongs to one :class:`~agora.panels.models.Panel`; who may see or do what is decided
by :mod:`agora.panelwork.services` (membership of *that* panel, see ``agora.permissions``).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.db import db, utcnow
from agora.panels.models import Panel, PanelMember

# How an adoption vote is decided (the quorum is a separate setting).
MAJORITY_RULES = {
    "simple": _l("Simple majority: more votes for than against (abstentions do not count)"),
    "absolute": _l("Majority of votes cast: more than half of all votes, abstentions included"),
    "two_thirds": _l("Two-thirds majority: at least two votes for each vote against"),
}
GOAL_STATUSES = {
    "draft": _l("Draft"),
    "voting": _l("Adoption vote open"),
    "adopted": _l("Adopted"),
}
CHOICES = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}
AMENDMENT_STATUSES = {"pending": _l("Pending"), "accepted": _l("Accepted"), "rejected": _l("Rejected")}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PanelWorkSettings(db.Model):
    """A panel's adoption rule. A panel without a row uses the defaults (simple majority, quorum 50 %)."""

    __tablename__ = "panel_work_settings"
    __table_args__ = (CheckConstraint("quorum_percent >= 0 AND quorum_percent <= 100", name="quorum_range"),
                      CheckConstraint(_in("majority", MAJORITY_RULES), name="majority_rule"))

    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), primary_key=True)
    # Share of the active (voting) members who must take part, abstentions included.
    quorum_percent: Mapped[int] = mapped_column(default=50)
    majority: Mapped[str] = mapped_column(String(20), default="simple")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PanelSession(db.Model):
    """A meeting of the panel: scheduled with an agenda, minutes published afterwards."""

    __tablename__ = "panel_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")  # Markdown
    minutes: Mapped[str | None] = mapped_column(Text)  # Markdown, once published
    minutes_published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship()
    attendees: Mapped[list[PanelSessionAttendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin")


class PanelSessionAttendance(db.Model):
    """A member recorded as present at a session (optional, filled in with the minutes)."""

    __tablename__ = "panel_session_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("panel_sessions.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id", ondelete="CASCADE"), primary_key=True)

    session: Mapped[PanelSession] = relationship(back_populates="attendees")
    member: Mapped[PanelMember] = relationship(lazy="joined")


class PanelGoal(db.Model):
    """A goal the panel works on. Public (with its number) only once adopted."""

    __tablename__ = "panel_goals"
    __table_args__ = (UniqueConstraint("panel_id", "number"),
                      CheckConstraint(_in("status", GOAL_STATUSES), name="status_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    # 1, 2, 3... in the order of adoption; None until adopted.
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)  # Markdown
    theme: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    adopted_at: Mapped[datetime | None]

    panel: Mapped[Panel] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(lazy="joined")
    revisions: Mapped[list[PanelGoalRevision]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="PanelGoalRevision.number")
    amendments: Mapped[list[PanelGoalAmendment]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="PanelGoalAmendment.id")
    adoption_votes: Mapped[list[PanelAdoptionVote]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="PanelAdoptionVote.id")

    def __repr__(self) -> str:
        return f"<PanelGoal {self.id} {self.status} {self.title!r}>"


class PanelGoalRevision(db.Model):
    """One version of a goal's wording: the first draft, each author edit, each accepted amendment."""

    __tablename__ = "panel_goal_revisions"
    __table_args__ = (UniqueConstraint("goal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("panel_goals.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(80), default="")
    # Who wrote this wording: the goal's author, or the amendment's author.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("panel_goal_amendments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[PanelGoal] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship(lazy="joined")


class PanelGoalAmendment(db.Model):
    """A proposed new wording of a goal, with the reason; accepted or rejected by the author or a facilitator."""

    __tablename__ = "panel_goal_amendments"
    __table_args__ = (CheckConstraint(_in("status", AMENDMENT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("panel_goals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    # The goal's revision number the amendment was written against.
    base_revision: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[PanelGoal] = relationship(back_populates="amendments")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class PanelAdoptionVote(db.Model):
    """One round of voting on adopting a goal. Open among members; the count is stored at closing.

    A goal not adopted goes back to draft and may be amended and put to a new vote later.
    """

    __tablename__ = "panel_adoption_votes"
    __table_args__ = (CheckConstraint(_in("majority", MAJORITY_RULES), name="majority_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("panel_goals.id", ondelete="CASCADE"), index=True)
    # The goal's revision put to the vote (the wording is frozen while the vote is open).
    revision_number: Mapped[int]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    # The rule in force when the vote opened, and the count stored at closing.
    quorum_percent: Mapped[int]
    majority: Mapped[str] = mapped_column(String(20))
    eligible: Mapped[int | None]
    votes_for: Mapped[int | None]
    votes_against: Mapped[int | None]
    abstentions: Mapped[int | None]
    quorum_met: Mapped[bool | None]
    adopted: Mapped[bool | None]

    goal: Mapped[PanelGoal] = relationship(back_populates="adoption_votes")
    ballots: Mapped[list[PanelGoalBallot]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="PanelGoalBallot.id")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PanelGoalBallot(db.Model):
    """A member's for / against / abstain in one adoption vote: one per member (database constraint),
    changeable until the vote closes."""

    __tablename__ = "panel_goal_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "user_id"),
                      CheckConstraint(_in("choice", CHOICES), name="choice_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("panel_adoption_votes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    choice: Mapped[str] = mapped_column(String(10))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime | None]

    vote: Mapped[PanelAdoptionVote] = relationship(back_populates="ballots")
    user: Mapped[User] = relationship(lazy="joined")
