"""The census register that residency is verified against, and the districts it defines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.db import db, utcnow


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<District {self.name}>"


class CensusEntry(db.Model):
    """One resident in the register. The document number is kept only as a keyed hash."""

    __tablename__ = "census_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_hash: Mapped[str] = mapped_column(String(64), unique=True)
    date_of_birth: Mapped[date]
    postal_code: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    # Optional (the register may come without them): used to address panel invitation letters.
    # Personal data: clerks only, never shown on public pages.
    full_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    language: Mapped[str | None] = mapped_column(String(5))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One account per census entry: the database refuses a second one.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    verified_at: Mapped[datetime | None]

    district: Mapped[District] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(back_populates="residency")
