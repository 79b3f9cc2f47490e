"""Debates: open discussions with a threaded comment section and a stance balance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.db import db, utcnow
from agora.moderation.models import ModeratedMixin, moderated


@moderated
class Debate(ModeratedMixin, db.Model):
    __tablename__ = "debates"
    content_type = "debates"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime | None]
    comment_count: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lock_reason: Mapped[str | None] = mapped_column(String(500))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")

    @property
    def is_public(self) -> bool:
        return self.hidden_at is None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def comments_open(self) -> bool:
        return self.locked_at is None and self.hidden_at is None


class DebateRevision(db.Model):
    """An earlier text of an edited debate, kept and shown as its history."""

    __tablename__ = "debate_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    debate_id: Mapped[int] = mapped_column(ForeignKey("debates.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]  # when this text was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
