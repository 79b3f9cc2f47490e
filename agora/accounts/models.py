"""Accounts: users and the staff roles granted to them."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.db import db, utcnow
from agora.permissions import Role


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_confirmed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Bumped on password change and deletion: invalidates sessions and reset tokens.
    session_version: Mapped[int] = mapped_column(default=1)
    # Notifications also come by e-mail (when the site sends mail); on by default, off in the settings.
    email_notifications: Mapped[bool] = mapped_column(default=True, server_default=true())

    staff_roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    residency: Mapped[CensusEntry | None] = relationship(  # noqa: F821
        "CensusEntry", back_populates="user", uselist=False, lazy="selectin"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.residency is not None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def roles(self) -> frozenset[Role]:
        roles = {Role.RESIDENT, *(Role(r.role) for r in self.staff_roles)}
        if self.is_verified:
            roles.add(Role.VERIFIED)
        return frozenset(roles)

    @property
    def district(self):
        return self.residency.district if self.residency else None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="staff_roles")


class OutboxMessage(db.Model):
    """Every e-mail Agora sends, kept so development and tests can read it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # delivered by SMTP (agora.mail); empty without a mail server
