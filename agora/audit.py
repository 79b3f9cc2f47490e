"""Append-only, hash-chained audit log of every administrative, clerk and moderator act.

Each entry stores the SHA-256 of its own content together with the previous entry's hash,
so changing, removing or reordering any row breaks the chain from that row on;
:func:`verify_chain` (``agora audit verify``) finds the first broken link. Removing the *last*
rows leaves a shorter chain that still holds: publish the head hash from time to time (in the
minutes of a council meeting, on the website), and ``agora audit verify --head HASH`` checks that
the published entry is still in the log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, event, select, text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import db, is_postgresql, utcnow

GENESIS_HASH = "0" * 64
_AUDIT_LOCK_KEY = 0x41474F5241  # "AGORA": serialises chain appends on PostgreSQL


class AuditEntry(db.Model):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254))  # kept even if the account is deleted
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def details_dict(self) -> dict[str, Any]:
        return json.loads(self.details)

    def compute_hash(self) -> str:
        created = self.created_at
        if created.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
            created = created.replace(tzinfo=UTC)
        payload = json.dumps(
            [
                self.prev_hash,
                created.astimezone(UTC).isoformat(timespec="microseconds"),
                self.actor_label,
                self.action,
                self.target_type,
                self.target_id,
                self.details,
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # noqa: ARG001
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ARG001
    raise RuntimeError("audit entries are append-only")


def _actor_label(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.email


def record(
    actor: Any,
    action: str,
    target: Any = None,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry for ``actor`` (a User, a label such as ``"cli"``, or None for the system).

    ``target`` may be a model instance (its table name and id are used). Flushes; the caller's
    unit of work commits it together with the act it records.
    """
    if target is not None:
        target_type = target_type or target.__tablename__
        target_id = target_id if target_id is not None else target.id
    if is_postgresql():
        # Two concurrent appends must not both chain onto the same previous entry.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK_KEY})
    last = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    actor_id, label = _actor_label(actor)
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor_id,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=last or GENESIS_HASH,
    )
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_bad_id: int | None = None
    reason: str = ""
    head: str = GENESIS_HASH  # the last entry's hash: publish it to detect later removals


def verify_chain(published_head: str | None = None) -> ChainReport:
    """Walk the log in order and check every entry's hash and its link to the previous one; with
    ``published_head`` (a head hash published earlier), also that this entry is still in the chain."""
    prev = GENESIS_HASH
    count = 0
    seen_published = published_head in (None, GENESIS_HASH)
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(count, False, entry.id, "link to the previous entry is broken")
        if entry.compute_hash() != entry.hash:
            return ChainReport(count, False, entry.id, "content does not match its hash")
        prev = entry.hash
        seen_published = seen_published or entry.hash == published_head
    if not seen_published:
        return ChainReport(count, False, None, f"the published head {published_head} is not in the log: entries "
                                               "up to it were removed or rewritten", head=prev)
    return ChainReport(count, True, head=prev)
