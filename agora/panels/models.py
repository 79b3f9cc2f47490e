"""Citizens' panels drawn by lot, and the members who sit on them.

The panels feature (issue 7) builds invitations, respondents, quotas and the draw on these;
the panel workspace (sessions, goals) builds on :class:`PanelMember`, a role scoped to one panel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from agora.accounts.models import User
from agora.census.models import District
from agora.db import db, utcnow
from agora.jobs import Job

panel_districts = Table(
    "panel_districts",
    db.metadata,
    Column("panel_id", ForeignKey("panels.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)


class Panel(db.Model):
    __tablename__ = "panels"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Number of panellists to draw (k).
    size: Mapped[int]
    # draft → inviting → signup → committed (pool and quotas frozen) → drawn → working → closed
    # (the panels services own the transitions).
    status: Mapped[str] = mapped_column(String(20), default="draft")
    open_to_volunteers: Mapped[bool] = mapped_column(default=False)
    # The questions respondents answer, which the quotas are set on:
    # [{"name": "gender", "label": "Gender", "values": ["female", "male", "other"]}, ...]
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    signup_closes_at: Mapped[datetime | None]
    draw_at: Mapped[datetime | None]
    work_ends_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Min/max panellists per feature value: [{"feature": "gender", "value": "female", "min": 4, "max": 6}, ...]
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    districts: Mapped[list[District]] = relationship(secondary=panel_districts, lazy="selectin",
                                                     order_by="District.name")
    respondents: Mapped[list[Respondent]] = relationship(back_populates="panel", cascade="all, delete-orphan",
                                                         order_by="Respondent.number")
    members: Mapped[list[PanelMember]] = relationship(back_populates="panel", cascade="all, delete-orphan",
                                                      order_by="PanelMember.id")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Panel {self.id} {self.title!r}>"


class PanelMember(db.Model):
    """A person sitting on a panel: the role that opens the panel's workspace, scoped to it."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # "member", or "facilitator" (city staff or an external moderator who runs the sessions).
    role: Mapped[str] = mapped_column(String(20), default="member")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Respondent(db.Model):
    """Someone in a panel's pool: answered the invitation, volunteered, or came from an uploaded CSV.

    ``number`` is the pseudonymous id published in the anonymised pool; the personal data below it
    is for clerks only.
    """

    __tablename__ = "panel_respondents"
    __table_args__ = (UniqueConstraint("panel_id", "number"), UniqueConstraint("panel_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    # Answers to the panel's feature questions: {"gender": "female", "age": "30-44", ...}
    features: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # "upload", "invitation" or "volunteer".
    source: Mapped[str] = mapped_column(String(20), default="upload")
    # pool → selected | alternate → confirmed | declined | dropped; the panels services own the transitions.
    status: Mapped[str] = mapped_column(String(20), default="pool")
    # Why and when the status last changed (a drop-out's reason, for the clerk page).
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    status_changed_at: Mapped[datetime | None]
    # Personal data: clerks only.
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str | None] = mapped_column(String(5))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="respondents")
    user: Mapped[User | None] = relationship()


class PanelDraw(db.Model):
    """The one public draw of a panel: the commitment first, then the seed and the stored result.

    The commitment freezes the anonymised pool (pseudonymous numbers and feature answers only) and
    the quotas as the exact CSV texts whose SHA-256 is published, so the downloads always match the
    hashes, whatever happens to the respondents afterwards.
    """

    __tablename__ = "panel_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), unique=True)
    # "leximin" (default) or "lottery" (leximin rounded to a uniform lottery of m panels, for a physical draw).
    method: Mapped[str] = mapped_column(String(20), default="leximin")
    lottery_panels: Mapped[int | None]
    alternates: Mapped[int] = mapped_column(default=0)
    size: Mapped[int]
    pool_csv: Mapped[str] = mapped_column(Text)
    pool_sha256: Mapped[str] = mapped_column(String(64))
    quotas_csv: Mapped[str] = mapped_column(Text)
    quotas_sha256: Mapped[str] = mapped_column(String(64))
    library_version: Mapped[str] = mapped_column(String(40))
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The seed is entered after the commitment is public (dice, a lottery number...).
    seed: Mapped[str | None] = mapped_column(String(200))
    seed_entered_at: Mapped[datetime | None]
    seed_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # ``sortition.SelectionResult.to_dict()`` of the draw, exactly as the library returned it.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    drawn_at: Mapped[datetime | None]
    # Every replacement after drop-outs: [{"dropped": [...], "replacements": [...], "seed": ..., "at": ...}]
    replacements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    panel: Mapped[Panel] = relationship(backref=backref("draw", uselist=False, cascade="all, delete-orphan"))
    job: Mapped[Job | None] = relationship()
