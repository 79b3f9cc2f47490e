"""Civic commitments: shared goals, organisations, commitments and their progress updates."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from agora.accounts.models import User
from agora.census.models import District
from agora.db import db, utcnow

# Kinds of organisation an administrator can confirm.
ORGANISATION_KINDS = {
    "school": _l("School"),
    "shop": _l("Shop"),
    "association": _l("Association"),
    "company": _l("Company"),
    "city_department": _l("City department"),
}
# The Leuven spectrum, from the loosest to the most binding.
COMMITMENT_KINDS = {
    "pledge": _l("Open pledge"),
    "effort": _l("Effort commitment"),
    "result": _l("Result commitment"),
}
STATUSES = {
    "active": _l("Active"),
    "fulfilled": _l("Fulfilled"),
    "late": _l("Late"),
    "withdrawn": _l("Withdrawn"),
}
VISIBILITIES = {
    "public": _l("Public, with my name or my organisation's"),
    "anonymous": _l("Public, without my name"),
    "residents": _l("Only for signed-in residents"),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Goal(db.Model):
    """A shared goal with a measurable indicator. City-wide when ``district_id`` is None."""

    __tablename__ = "commitment_goals"
    __table_args__ = (CheckConstraint("target <> baseline", name="target_differs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    indicator_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    baseline: Mapped[float]
    target: Mapped[float]
    deadline: Mapped[date]
    # The adopted citizens' panel goal (agora.panelwork.models.PanelGoal) this goal responds to, if any.
    # Checked by the services, not by a foreign key: adding one would rebuild this table on SQLite
    # (batch mode), and with foreign keys on that cascades into the measurements.
    source_panel_goal_id: Mapped[int | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]  # title or description reworded (the audit log keeps the earlier text)

    district: Mapped[District | None] = relationship(lazy="joined")
    measurements: Mapped[list[GoalMeasurement]] = relationship(
        back_populates="goal", order_by="GoalMeasurement.measured_on", cascade="all, delete-orphan")
    commitments: Mapped[list[Commitment]] = relationship(back_populates="goal", order_by="Commitment.id")


class GoalMeasurement(db.Model):
    """A measured value of a goal's indicator, recorded by the city's team."""

    __tablename__ = "commitment_goal_measurements"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("commitment_goals.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[date]
    value: Mapped[float]
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="measurements")


class Organisation(db.Model):
    """A school, shop, association, company or city department. Acts only once confirmed."""

    __tablename__ = "commitment_organisations"
    __table_args__ = (CheckConstraint(_in("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    memberships: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def has_member(self, user) -> bool:
        return user is not None and any(m.user_id == getattr(user, "id", None) for m in self.memberships)

    @property
    def kind_label(self):
        return ORGANISATION_KINDS[self.kind]


class OrganisationMember(db.Model):
    __tablename__ = "commitment_organisation_members"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(lazy="joined")


class Commitment(db.Model):
    """A public commitment towards a goal by a resident, or by a confirmed organisation.

    Result commitments carry a target value, unit and deadline (the database refuses one
    without them). ``status`` is stored as of the last change; :func:`services.current_status`
    also turns an active commitment whose deadline passed into "late" when it is shown.
    """

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint(_in("kind", COMMITMENT_KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
        CheckConstraint("kind <> 'result' OR (target_value IS NOT NULL AND deadline IS NOT NULL "
                        "AND target_unit IS NOT NULL)", name="result_has_target"),
        CheckConstraint("status <> 'withdrawn' OR withdrawal_reason IS NOT NULL", name="withdrawn_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("commitment_goals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("commitment_organisations.id"), index=True)
    baseline_value: Mapped[float | None]
    target_value: Mapped[float | None]
    target_unit: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[date | None]
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    status: Mapped[str] = mapped_column(String(10), default="active")
    fulfilled_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]  # title or details reworded (the audit log keeps the earlier text)

    goal: Mapped[Goal] = relationship(back_populates="commitments")
    author: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="commitment", order_by="(ProgressUpdate.happened_on, ProgressUpdate.id)",
        cascade="all, delete-orphan")
    comments: Mapped[list[CommitmentComment]] = relationship(
        back_populates="commitment", order_by="CommitmentComment.id", cascade="all, delete-orphan")
    endorsements: Mapped[list[CommitmentEndorsement]] = relationship(
        back_populates="commitment", order_by="CommitmentEndorsement.id", cascade="all, delete-orphan")

    @property
    def kind_label(self):
        return COMMITMENT_KINDS[self.kind]

    @property
    def is_result(self) -> bool:
        return self.kind == "result"


class ProgressUpdate(db.Model):
    """A dated update by an owner: text, an optional measured value and an optional photo."""

    __tablename__ = "commitment_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    happened_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None]
    # The photo lives in the database (checked size and type), loaded only when served.
    photo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    photo_type: Mapped[str | None] = mapped_column(String(20))
    photo_alt: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship(lazy="joined")


class CommitmentComment(db.Model):
    """A comment by the city's team on a commitment (audited)."""

    __tablename__ = "commitment_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(lazy="joined")


class CommitmentEndorsement(db.Model):
    """The city's team endorses a commitment; one endorsement per clerk (audited)."""

    __tablename__ = "commitment_endorsements"
    __table_args__ = (UniqueConstraint("commitment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="endorsements")
    user: Mapped[User] = relationship(lazy="joined")
