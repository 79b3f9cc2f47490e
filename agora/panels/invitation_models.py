"""Panel invitations: the published invitation lottery and the letters it produced.

An :class:`InvitationDraw` records one run of the lottery (seed, frame hash, per-district
allocation); each :class:`Invitation` is one letter to one household, with a personal code.
The name and address are copied from the census at draw time, so the printed letters and the
list stay what was drawn even if the register changes later. Personal data: clerks only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agora.accounts.models import User
from agora.db import db, utcnow
from agora.panels.models import Panel, Respondent


class InvitationDraw(db.Model):
    __tablename__ = "panel_invitation_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(200))
    count: Mapped[int]
    # SHA-256 of the sampling frame (see agora.panels.invitation_lottery): same frame + seed → same list.
    frame_hash: Mapped[str] = mapped_column(String(64))
    # [{"district", "population", "households", "exact_quota", "allocated"}, ...]
    allocation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Households left out because an earlier draw for this panel already invited them.
    excluded_households: Mapped[int] = mapped_column(default=0)
    # Eligible residents left out of the frame because the register has no address for them.
    without_address: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    panel: Mapped[Panel] = relationship()
    created_by: Mapped[User | None] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(back_populates="draw", cascade="all, delete-orphan",
                                                         order_by="Invitation.position")


class Invitation(db.Model):
    """One letter to one household; its code can be used once to sign up."""

    __tablename__ = "panel_invitations"
    __table_args__ = (
        # At most one invitation per household and panel, whatever the number of draws.
        UniqueConstraint("panel_id", "household"),
        CheckConstraint("respondent_id IS NULL OR used_at IS NOT NULL", name="used_when_linked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("panel_invitation_draws.id", ondelete="CASCADE"), index=True)
    # Order in the published list (district by district, in draw order).
    position: Mapped[int]
    census_entry_id: Mapped[int | None] = mapped_column(ForeignKey("census_entries.id", ondelete="SET NULL"))
    district_name: Mapped[str] = mapped_column(String(120))
    household: Mapped[str] = mapped_column(String(32))
    # Personal data copied from the register at draw time: clerks only.
    full_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str | None] = mapped_column(String(5))
    # The code itself is not stored: it is derived from this nonce with a server key, and found by
    # a keyed hash (see agora.panels.invitation_services.derive_code).
    code_nonce: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Single use: set together, once, by a conditional UPDATE; the unique respondent link means a
    # respondent can come from one invitation only.
    used_at: Mapped[datetime | None]
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_respondents.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draw: Mapped[InvitationDraw] = relationship(back_populates="invitations")
    respondent: Mapped[Respondent | None] = relationship()
