"""Participatory budgets: the process and its phases, headings, projects and supports.

Ballots are not here: they live in the shared secret ballot box (:mod:`agora.ballots`), one
contest per heading (``budget-heading:<id>``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from agora.accounts.models import User
from agora.census.models import District
from agora.db import db, utcnow

# The phases of a process, in order, as Decide Madrid runs them.
PHASES = ("informing", "accepting", "reviewing", "selecting", "valuating", "balloting", "reviewing_ballots",
          "finished")


class BudgetProcess(db.Model):
    __tablename__ = "budget_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(20), default="informing")
    # Announced start date of each phase: {"accepting": "2026-03-01", ...} (ISO dates).
    schedule: Mapped[Any] = mapped_column(JSON, default=dict)
    # The rules that decide the outcome; locked once balloting starts.
    rule: Mapped[str] = mapped_column(String(20), default="mes")
    ballot_type: Mapped[str] = mapped_column(String(20), default="knapsack")
    min_projects: Mapped[int] = mapped_column(default=0)
    max_projects: Mapped[int | None]  # ranking ballots: the number of places (rank up to N projects)
    # Cumulative ballots: the points each voter distributes, and the most one project may get.
    total_points: Mapped[int | None]
    max_points: Mapped[int | None]
    ballot_size: Mapped[int] = mapped_column(default=10)  # the N most supported projects per heading
    currency: Mapped[str] = mapped_column(String(8), default="EUR")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    headings: Mapped[list[BudgetHeading]] = relationship(
        back_populates="process", cascade="all, delete-orphan", order_by="BudgetHeading.position", lazy="selectin")

    def __repr__(self) -> str:
        return f"<BudgetProcess {self.id} {self.title!r} {self.phase}>"


class BudgetHeading(db.Model):
    """A pot of money: the city-wide heading (no district) or one district's."""

    __tablename__ = "budget_headings"
    __table_args__ = (UniqueConstraint("process_id", "name"), CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("budget_processes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    # The allocation, stored once when balloting closes (BudgetResult.to_dict() plus vote counts).
    result: Mapped[Any | None] = mapped_column(JSON)

    process: Mapped[BudgetProcess] = relationship(back_populates="headings")
    district: Mapped[District | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<BudgetHeading {self.id} {self.name!r}>"


class BudgetProject(db.Model):
    __tablename__ = "budget_projects"
    __table_args__ = (CheckConstraint("estimated_cost > 0", name="estimated_cost_positive"),
                      CheckConstraint("price IS NULL OR price > 0", name="price_positive"),
                      # A successful proposal becomes a project of a given process at most once.
                      UniqueConstraint("process_id", "proposal_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("budget_processes.id", ondelete="CASCADE"), index=True)
    heading_id: Mapped[int] = mapped_column(ForeignKey("budget_headings.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    estimated_cost: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Valuation by a valuator: feasibility, explanation, official price.
    feasibility: Mapped[str] = mapped_column(String(20), default="pending")
    feasibility_explanation: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int | None] = mapped_column(BigInteger)
    valuated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    valuated_at: Mapped[datetime | None]
    supports_count: Mapped[int] = mapped_column(default=0)
    on_ballot: Mapped[bool] = mapped_column(default=False)
    # The successful proposal this project comes from, if any (see agora.proposals.services.send_to_budget).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)
    # Optional: the adopted citizens' panel goal (agora.panelwork) the project helps reach. Checked by the
    # services, like proposals.panel_goal_id (a foreign key would make SQLite rebuild the table).
    panel_goal_id: Mapped[int | None] = mapped_column(index=True)
    # An optional image from the author: type checked by content, metadata stripped, loaded only when served.
    image: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    image_type: Mapped[str | None] = mapped_column(String(20))
    image_alt: Mapped[str | None] = mapped_column(String(300))

    heading: Mapped[BudgetHeading] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    proposal: Mapped[Proposal | None] = relationship("Proposal")  # noqa: F821

    def __repr__(self) -> str:
        return f"<BudgetProject {self.id} {self.title!r}>"


class BudgetSupport(db.Model):
    """One support per resident per project (the database refuses a second)."""

    __tablename__ = "budget_supports"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetMilestone(db.Model):
    """A step in carrying out a funded project, kept up to date by clerks after the vote."""

    __tablename__ = "budget_milestones"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    percent: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[BudgetProject] = relationship()

    def __repr__(self) -> str:
        return f"<BudgetMilestone {self.id} {self.title!r} {self.status} {self.percent}%>"
