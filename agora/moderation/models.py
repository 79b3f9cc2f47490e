"""Moderation: what every moderated piece of content carries, flags, and blocked accounts."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from agora.db import db, utcnow

FLAG_REASONS = ("spam", "offensive", "off_topic")

# Content types a resident can flag and a moderator can hide, by name ("proposals", "debates",
# "comments"). Feature models register themselves with :func:`moderated`.
CONTENT_TYPES: dict[str, type] = {}


def moderated(cls: type) -> type:
    """Class decorator: register a model (with :class:`ModeratedMixin`) as moderated content."""
    CONTENT_TYPES[cls.content_type] = cls
    return cls


class ModeratedMixin:
    """Columns shared by proposals, debates and comments.

    ``hidden_at`` set and ``hidden_by_id`` empty means "hidden pending review" (enough flags);
    with ``hidden_by_id`` a moderator hid it. Nothing is ever deleted: pages show a placeholder.
    """

    content_type: ClassVar[str]

    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    flag_count: Mapped[int] = mapped_column(default=0)  # open (unreviewed) flags

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def hidden_pending_review(self) -> bool:
        return self.hidden_at is not None and self.hidden_by_id is None


class Flag(db.Model):
    """One resident reports one piece of content once."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "user_id"),
        Index("ix_flags_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class UserBlock(db.Model):
    """A blocked account may read but not post; the reason is shown to its owner."""

    __tablename__ = "user_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # ``User.block``: loaded with the signed-in user (agora.web.load_user), so pages and posting checks
    # need no query of their own. Read-only: blocks are added and removed as rows (moderation services).
    user = relationship("User", foreign_keys=[user_id], viewonly=True,
                        backref=backref("block", uselist=False, viewonly=True))
