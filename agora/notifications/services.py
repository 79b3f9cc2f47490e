"""Follow things and notify people, in their own language.

Features call :func:`notify_followers` (or :func:`notify`) inside the same unit of work as the
change they announce, so a rolled-back change notifies nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from agora.accounts.models import User
from agora.db import db, utcnow
from agora.notifications.models import Follow, Notification


def follow(user: User, target_type: str, target_id: int) -> bool:
    """Start following; returns False if already following (the database keeps one row)."""
    try:
        with db.session.begin_nested():
            db.session.add(Follow(user_id=user.id, target_type=target_type, target_id=target_id))
    except IntegrityError:
        return False
    return True


def unfollow(user: User, target_type: str, target_id: int) -> bool:
    row = db.session.scalar(select(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_id == target_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def is_following(user: User, target_type: str, target_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(func.count()).select_from(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_id == target_id)) > 0


def followers(target_type: str, target_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Follow, Follow.user_id == User.id)
        .where(Follow.target_type == target_type, Follow.target_id == target_id, User.deleted_at.is_(None))))


def notify(users: Iterable[User], kind: str, message: Callable[[], str], link: str | None = None,
           *, exclude: User | None = None) -> int:
    """Give each user a notification; ``message`` is called under each user's locale to translate it."""
    count = 0
    for user in {u.id: u for u in users}.values():
        if exclude is not None and user.id == exclude.id:
            continue
        with force_locale(user.locale or "en"):
            text = str(message())
        db.session.add(Notification(user_id=user.id, kind=kind, message=text[:500], link=link))
        count += 1
    db.session.flush()
    return count


def notify_followers(target_type: str, target_id: int, kind: str, message: Callable[[], str],
                     link: str | None = None, *, exclude: User | None = None) -> int:
    return notify(followers(target_type, target_id), kind, message, link, exclude=exclude)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def list_notifications(user: User, *, page: int = 1, per_page: int = 25):
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount
