"""Debates: opened by verified residents (with a minimum account age) or by moderators; edited by their
author while open; listed without hidden ones."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from agora.accounts.models import User
from agora.comments.services import Target, register_target
from agora.db import db, paginate, utcnow
from agora.debates.models import Debate, DebateRevision
from agora.errors import InvalidInput, NotFound, PermissionDenied
from agora.moderation.services import ensure_can_post, ensure_not_blocked
from agora.notifications import services as notifications
from agora.permissions import Permission, can, object_rule, require

FOLLOW_TYPE = "debates"
SORTS = ("newest", "most_commented")

register_target(FOLLOW_TYPE, Target(load=lambda i: db.session.get(Debate, i), endpoint="debates.show",
                                    allows_stance=True))


@object_rule(Permission.DEBATE_EDIT)
def _author_edits_open_debate(user: User, debate: Debate) -> bool:
    return debate.author_id == user.id and debate.locked_at is None and debate.hidden_at is None


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not 4 <= len(title) <= 150:
        raise InvalidInput(_("The title needs 4 to 150 characters."), field="title")
    if not 10 <= len(body) <= 10000:
        raise InvalidInput(_("The text needs 10 to 10,000 characters."), field="body")
    return title, body


def ensure_can_open_debate(actor: User) -> None:
    """Moderators open debates; residents need a verified residency and an account old enough."""
    if can(actor, Permission.MODERATION_DEBATE_LOCK):
        ensure_not_blocked(actor)
        return
    ensure_can_post(actor)
    days = current_app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"]
    created = actor.created_at
    if created.tzinfo is None:  # SQLite gives naive UTC datetimes back

        created = created.replace(tzinfo=UTC)
    if days and utcnow() - created < timedelta(days=days):
        raise PermissionDenied(ngettext("New accounts can open a debate after %(num)d day. You can already comment.",
                                        "New accounts can open a debate after %(num)d days. You can already comment.",
                                        days))


def create_debate(actor: User, *, title: str, body: str) -> Debate:
    ensure_can_open_debate(actor)
    title, body = _clean(title, body)
    debate = Debate(author_id=actor.id, title=title, body=body)
    db.session.add(debate)
    db.session.flush()
    notifications.follow(actor, FOLLOW_TYPE, debate.id)
    return debate


def update_debate(actor: User, debate: Debate, *, title: str, body: str) -> Debate:
    ensure_not_blocked(actor)
    require(actor, Permission.DEBATE_EDIT, debate)
    title, body = _clean(title, body)
    if (title, body) == (debate.title, debate.body):
        return debate
    # The earlier text stays readable in the debate's history.
    db.session.add(DebateRevision(debate_id=debate.id, title=debate.title, body=debate.body,
                                  written_at=debate.updated_at or debate.created_at))
    debate.title, debate.body = title, body
    debate.updated_at = utcnow()
    db.session.flush()
    return debate


def count_revisions(debate: Debate) -> int:
    return db.session.scalar(select(func.count()).select_from(DebateRevision)
                             .where(DebateRevision.debate_id == debate.id))


def debate_history(debate_id: int) -> tuple[Debate, list[DebateRevision]]:
    """A debate and its earlier texts, oldest first. Hidden debates have no public history."""
    debate = get_debate(debate_id)
    if debate.is_hidden:
        raise NotFound(_("This debate is hidden."))
    return debate, list(db.session.scalars(
        select(DebateRevision).where(DebateRevision.debate_id == debate.id).order_by(DebateRevision.id)))


def get_debate(debate_id: int) -> Debate:
    debate = db.session.get(Debate, debate_id)
    if debate is None:
        raise NotFound(_("This debate does not exist."))
    return debate


def list_debates(*, sort: str = "newest", page: int = 1, per_page: int | None = None):
    stmt = select(Debate).where(Debate.hidden_at.is_(None))
    if sort == "most_commented":
        stmt = stmt.order_by(Debate.comment_count.desc(), Debate.id.desc())
    else:
        stmt = stmt.order_by(Debate.id.desc())
    return paginate(stmt, page=page, per_page=per_page)
