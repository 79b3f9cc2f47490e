"""Proposals, their tags and their supports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.census.models import District
from agora.db import db, utcnow
from agora.moderation.models import ModeratedMixin, moderated


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # collecting supports
    SUCCESSFUL = "successful"  # reached the threshold
    RETIRED = "retired"  # withdrawn by its author, with a reason
    ARCHIVED = "archived"  # not successful within the configured period


RETIRE_REASONS = ("duplicate", "started", "unfeasible", "done", "other")


@moderated
class Proposal(ModeratedMixin, db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        # Listings walk these backwards and stop after one page (filters are cheap row checks).
        Index("ix_proposals_published_at", "published_at"),
        Index("ix_proposals_support_count", "support_count"),
        # A district's visible proposals, filtered by status and sorted by supports, from the index alone
        # (bench: a district + tag listing's count 12.8 ms -> 0.8 ms on 10,000 proposals).
        Index("ix_proposals_district_listing", "district_id", "status", "support_count", "id",
              postgresql_where=text("hidden_at IS NULL"), sqlite_where=text("hidden_at IS NULL")),
        # PostgreSQL full-text search uses a stored tsvector column and GIN index created in the migration
        # (left out of the models: SQLite has no tsvector); SQLite gets an FTS5 table there instead.
    )
    content_type = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)  # None: city-wide
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.DRAFT)
    support_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    successful_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(String(20))
    retired_explanation: Mapped[str | None] = mapped_column(String(500))
    archived_at: Mapped[datetime | None]
    # Optional: the adopted citizens' panel goal (agora.panelwork) this proposal responds to. Checked by
    # the services, like commitment_goals.source_panel_goal_id: a foreign key would rebuild this table
    # on SQLite (its full-text triggers and the rows that cascade from it).
    panel_goal_id: Mapped[int | None] = mapped_column(index=True)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    district: Mapped[District | None] = relationship(lazy="joined")
    tag_rows: Mapped[list[ProposalTag]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", lazy="selectin", order_by="ProposalTag.tag")

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def is_public(self) -> bool:
        return self.status != ProposalStatus.DRAFT and self.hidden_at is None

    @property
    def collects_supports(self) -> bool:
        return self.status in (ProposalStatus.PUBLISHED, ProposalStatus.SUCCESSFUL) and self.hidden_at is None

    @property
    def comments_open(self) -> bool:
        return self.collects_supports

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status}>"


class ProposalTag(db.Model):
    __tablename__ = "proposal_tags"
    __table_args__ = (UniqueConstraint("proposal_id", "tag"), Index("ix_proposal_tags_tag", "tag"))

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))

    proposal: Mapped[Proposal] = relationship(back_populates="tag_rows")


class ProposalSupport(db.Model):
    """One verified resident supports one proposal once: the database refuses a second row."""

    __tablename__ = "proposal_supports"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_proposal_supports_recent", "created_at", "proposal_id"),  # "hot": supports since a date
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProposalAttachment(db.Model):
    """An image or PDF attached to a proposal, type checked by its first bytes and stored in the database."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ProposalRevision(db.Model):
    """An earlier text of a published proposal, kept when its author edits it and shown as its history."""

    __tablename__ = "proposal_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]  # when this text was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
