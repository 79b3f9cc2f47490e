"""Flags, the moderation queue and its acts (hide, restore, dismiss, lock, block), all audited.

Moderators never act on their own content or their own account (object rules below). Every
act of a moderator, and every automatic hiding after enough flags, goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from agora import audit, page_cache
from agora.accounts.models import User
from agora.db import db, paginate, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from agora.moderation.models import CONTENT_TYPES, FLAG_REASONS, Flag, UserBlock
from agora.notifications import services as notifications
from agora.permissions import Permission, Role, can, object_rule, require

MODERATION_ACTIONS = ("hide", "restore", "dismiss")
BULK_ACTIONS = (*MODERATION_ACTIONS, "block")  # "block": block the authors of the selected items
QUEUE_STATES = ("pending", "hidden")
STAFF_ROLES = {Role.MODERATOR, Role.ADMIN}


@object_rule(Permission.CONTENT_FLAG)
def _not_own_content_flag(user: User, content: Any) -> bool:
    return content.author_id != user.id


@object_rule(Permission.MODERATION_CONTENT_HIDE)
def _not_own_content_hide(user: User, content: Any) -> bool:
    return content.author_id != user.id


@object_rule(Permission.MODERATION_DEBATE_LOCK)
def _not_own_debate(user: User, debate: Any) -> bool:
    return debate.author_id != user.id


@object_rule(Permission.MODERATION_USER_BLOCK)
def _not_self_nor_staff(user: User, target: User) -> bool:
    return target.id != user.id and not (target.roles & STAFF_ROLES)


# --- blocks ----------------------------------------------------------------------------------

def get_block(user: User | None) -> UserBlock | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    user = getattr(user, "_get_current_object", lambda: user)()  # current_user is a proxy
    if "block" not in sa_inspect(user).unloaded:  # loaded with the signed-in user
        return user.block
    return db.session.scalar(select(UserBlock).where(UserBlock.user_id == user.id))


def ensure_can_post(actor: User) -> None:
    """Verified residents who are not blocked may post. Raises :class:`PermissionDenied`."""
    require(actor, Permission.PARTICIPATE)
    ensure_not_blocked(actor)


def ensure_not_blocked(actor: User) -> None:
    block = get_block(actor)
    if block is not None:
        raise PermissionDenied(_("A moderator blocked your account, so you cannot post. Reason: %(reason)s",
                                 reason=block.reason))


def block_users(actor: User, user_ids: Iterable[int], *, reason: str) -> int:
    """Block accounts with a reason shown to them. Moderators; not themselves nor staff. Audited."""
    reason = _require_reason(reason)
    count = 0
    for user_id in _ids(user_ids):
        target = db.session.get(User, user_id)
        if target is None:
            raise NotFound(_("There is no such account."))
        require(actor, Permission.MODERATION_USER_BLOCK, target)
        if get_block(target) is not None:
            continue
        db.session.add(UserBlock(user_id=target.id, blocked_by_id=actor.id, reason=reason))
        audit.record(actor, "moderation.block_user", target, details={"reason": reason})
        notifications.notify([target], "moderation.blocked", lambda: _(
            "A moderator blocked your account: you can read but not post. Reason: %(reason)s", reason=reason))
        count += 1
    db.session.flush()
    return count


def unblock_user(actor: User, user_id: int, *, reason: str = "") -> None:
    target = db.session.get(User, user_id)
    if target is None:
        raise NotFound(_("There is no such account."))
    require(actor, Permission.MODERATION_USER_BLOCK, target)
    block = get_block(target)
    if block is None:
        raise Conflict(_("This account is not blocked."))
    db.session.delete(block)
    audit.record(actor, "moderation.unblock_user", target, details={"reason": reason.strip()})
    db.session.flush()


def list_blocks(actor: User):
    require(actor, Permission.MODERATION_USER_BLOCK)
    return db.session.execute(
        select(UserBlock, User).join(User, User.id == UserBlock.user_id).order_by(UserBlock.id.desc())).all()


# --- flags -----------------------------------------------------------------------------------

def get_content(target_type: str, target_id: int) -> Any:
    model = CONTENT_TYPES.get(target_type)
    obj = db.session.get(model, target_id) if model is not None else None
    if obj is None:
        raise NotFound(_("This content does not exist."))
    return obj


def flag_content(actor: User, target_type: str, target_id: int, *, reason: str) -> bool:
    """A resident reports content once, with a reason; not their own. Returns True if it is now hidden.

    After ``MODERATION_FLAGS_TO_HIDE`` open flags the content is hidden pending review (audited
    as a system act). Raises Conflict on a second flag by the same person.
    """
    content = get_content(target_type, target_id)
    require(actor, Permission.CONTENT_FLAG, content)
    ensure_not_blocked(actor)
    if reason not in FLAG_REASONS:
        raise InvalidInput(_("Choose a reason for the report."), field="reason")
    if content.is_hidden:
        raise Conflict(_("This content is already hidden."))
    try:
        with db.session.begin_nested():
            db.session.add(Flag(target_type=target_type, target_id=content.id, user_id=actor.id, reason=reason))
    except IntegrityError:
        raise Conflict(_("You have already reported this.")) from None
    model = type(content)
    db.session.execute(update(model).where(model.id == content.id)
                       .values(flag_count=model.flag_count + 1)
                       .execution_options(synchronize_session=False, cached_page=page_cache.page_of(content)))
    db.session.refresh(content)
    if content.flag_count >= current_app.config["MODERATION_FLAGS_TO_HIDE"] and not content.is_hidden:
        content.hidden_at = utcnow()
        audit.record(None, "moderation.auto_hide", content, details={"flags": content.flag_count})
    db.session.flush()
    return content.is_hidden


def open_flag_reasons(target_type: str, ids: list[int]) -> dict[int, dict[str, int]]:
    """For the queue: open flags per content id, counted by reason."""
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(Flag.target_id, Flag.reason, func.count()).where(
            Flag.target_type == target_type, Flag.target_id.in_(ids), Flag.resolved_at.is_(None))
        .group_by(Flag.target_id, Flag.reason))
    for target_id, reason, count in rows:
        out[target_id][reason] = count
    return out


# --- the queue and its acts -----------------------------------------------------------------

def moderation_queue(actor: User, target_type: str, *, state: str = "pending", page: int = 1,
                     per_page: int | None = None):
    """Content of one type waiting for review (flagged or hidden by flags), or hidden; most flagged first."""
    require(actor, Permission.MODERATION_QUEUE_VIEW)
    model = CONTENT_TYPES.get(target_type)
    if model is None or state not in QUEUE_STATES:
        raise NotFound(_("There is no such queue."))
    stmt = select(model)
    if state == "pending":
        stmt = stmt.where((model.flag_count > 0) | (model.hidden_at.isnot(None) & model.hidden_by_id.is_(None)))
    else:
        stmt = stmt.where(model.hidden_at.isnot(None))
    stmt = stmt.order_by(model.flag_count.desc(), model.id.desc())
    return paginate(stmt, page=page, per_page=per_page)


def queue_counts(actor: User) -> dict[str, int]:
    require(actor, Permission.MODERATION_QUEUE_VIEW)
    return {name: db.session.scalar(select(func.count()).select_from(model).where(
        (model.flag_count > 0) | (model.hidden_at.isnot(None) & model.hidden_by_id.is_(None))))
        for name, model in CONTENT_TYPES.items()}


def moderate(actor: User, action: str, target_type: str, ids: Iterable[int], *, reason: str = "") -> int:
    """Hide, restore or dismiss the flags of several items at once (all or nothing). Audited with the reason.

    Hiding needs a reason. Raises PermissionDenied if any item is the moderator's own content.
    """
    if action == "block":
        return block_authors(actor, target_type, ids, reason=reason)
    if action not in MODERATION_ACTIONS:
        raise InvalidInput(_("Choose an action."), field="action")
    require(actor, Permission.MODERATION_CONTENT_HIDE)
    if action == "hide":
        reason = _require_reason(reason)
    reason = (reason or "").strip()[:500]
    items = [get_content(target_type, i) for i in _ids(ids)]
    for item in items:
        if not can(actor, Permission.MODERATION_CONTENT_HIDE, item):
            raise PermissionDenied(_("%(item)s is your own: moderators never act on their own content. Nothing "
                                     "was changed.", item=describe(target_type, item)))
    now = utcnow()
    for item in items:
        if action == "hide":
            item.hidden_at, item.hidden_by_id, item.hidden_reason = now, actor.id, reason
        elif action == "restore" or (action == "dismiss" and item.hidden_pending_review):
            item.hidden_at, item.hidden_by_id, item.hidden_reason = None, None, None
        item.flag_count = 0
        db.session.execute(update(Flag).where(Flag.target_type == target_type, Flag.target_id == item.id,
                                              Flag.resolved_at.is_(None)).values(resolved_at=now))
        audit.record(actor, f"moderation.{action}", item, details={"reason": reason})
        if action == "hide":
            notifications.notify([item.author], "moderation.hidden", lambda: _(
                "A moderator hid something you posted. Reason: %(reason)s", reason=reason))
    db.session.flush()
    return len(items)


def describe(target_type: str, item: Any) -> str:
    """How a message names one item: its title, or "comment 12 by Name" for comments."""
    title = getattr(item, "title", None)
    if title:
        return f"“{title}”"
    return _("comment %(id)d by %(name)s", id=item.id, name=item.author.display_name)


def block_authors(actor: User, target_type: str, ids: Iterable[int], *, reason: str) -> int:
    """Block the authors of several items at once (all or nothing), with a reason shown to them.

    Moderators; never themselves nor other staff: the batch is refused with a message naming the
    item. Each block is audited with the reason and the items it came from; authors already
    blocked are left as they are. Returns the number of accounts newly blocked.
    """
    require(actor, Permission.MODERATION_USER_BLOCK)
    reason = _require_reason(reason)
    items = [get_content(target_type, i) for i in _ids(ids)]
    by_author: dict[int, list[Any]] = {}
    for item in items:
        author = item.author
        if author.id == actor.id:
            raise PermissionDenied(_("%(item)s is your own: moderators never act on their own content. Nothing "
                                     "was changed.", item=describe(target_type, item)))
        if not can(actor, Permission.MODERATION_USER_BLOCK, author):
            raise PermissionDenied(_("The author of %(item)s is a moderator or an administrator and cannot be "
                                     "blocked here. Nothing was changed.", item=describe(target_type, item)))
        by_author.setdefault(author.id, []).append(item)
    count = 0
    for authored in by_author.values():
        target = authored[0].author
        if get_block(target) is not None:
            continue
        db.session.add(UserBlock(user_id=target.id, blocked_by_id=actor.id, reason=reason))
        audit.record(actor, "moderation.block_user", target,
                     details={"reason": reason, "items": [f"{target_type}:{i.id}" for i in authored]})
        notifications.notify([target], "moderation.blocked", lambda: _(
            "A moderator blocked your account: you can read but not post. Reason: %(reason)s", reason=reason))
        count += 1
    db.session.flush()
    return count


def lock_debates(actor: User, debate_ids: Iterable[int], *, reason: str, lock: bool = True) -> int:
    """Close (or reopen) debates to new comments. Moderators; not their own debates. Audited."""
    reason = _require_reason(reason) if lock else (reason or "").strip()[:500]
    count = 0
    for debate_id in _ids(debate_ids):
        debate = get_content("debates", debate_id)
        require(actor, Permission.MODERATION_DEBATE_LOCK, debate)
        if lock:
            debate.locked_at, debate.locked_by_id, debate.lock_reason = utcnow(), actor.id, reason
        else:
            debate.locked_at, debate.locked_by_id, debate.lock_reason = None, None, None
        audit.record(actor, "moderation.lock_debate" if lock else "moderation.unlock_debate", debate,
                     details={"reason": reason})
        count += 1
    db.session.flush()
    return count


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason: it is recorded and shown."), field="reason")
    return reason[:500]


def _ids(ids: Iterable[int]) -> list[int]:
    out = sorted({int(i) for i in ids})
    if not out:
        raise InvalidInput(_("Select at least one item."), field="ids")
    return out


def is_staff(user: User | None) -> bool:
    return bool(user is not None and can(user, Permission.MODERATION_QUEUE_VIEW))
