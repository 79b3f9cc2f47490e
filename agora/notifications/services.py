"""Follow things and notify people, in their own language.

Features call :func:`notify_followers` (or :func:`notify`) inside the same unit of work as the
change they announce, so a rolled-back change notifies nobody (and mails nobody: mail leaves
after the commit, see :mod:`agora.mail`). When the site sends mail (``MAIL_NOTIFICATIONS``, by
default whenever ``MAIL_SERVER`` is set), each notification is also e-mailed, as plain text in
the recipient's language, to confirmed addresses whose owners keep the setting on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urljoin

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from agora.accounts.models import User
from agora.db import db, insert_unless_present, paginate, utcnow
from agora.mail import send_mail
from agora.notifications.models import Follow, Notification


def follow(user: User, target_type: str, target_id: int) -> bool:
    """Start following; returns False if already following (the database keeps one row)."""
    return insert_unless_present(Follow, {"user_id": user.id, "target_type": target_type, "target_id": target_id})


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
        .where(Follow.target_type == target_type, Follow.target_id == target_id, User.deleted_at.is_(None))
        .order_by(User.id)))  # a stable order: notifications and e-mails go out in the same order every time


def notify(users: Iterable[User], kind: str, message: Callable[[], str], link: str | None = None,
           *, exclude: User | None = None) -> int:
    """Give each user a notification; ``message`` is called under each user's locale to translate it."""
    count = 0
    mailing = mail_enabled()
    for user in {u.id: u for u in users}.values():
        if exclude is not None and user.id == exclude.id:
            continue
        with force_locale(user.locale or "en"):
            text = str(message())
            if mailing and wants_mail(user):
                _mail(user, text, link)
        db.session.add(Notification(user_id=user.id, kind=kind, message=text[:500], link=link))
        remember_unread_count(user, None)  # the count read with the user is now one short
        count += 1
    db.session.flush()
    return count


def mail_enabled() -> bool:
    """Whether notifications are e-mailed on this site (``MAIL_NOTIFICATIONS``, else when mail is set up)."""
    setting = current_app.config.get("MAIL_NOTIFICATIONS")
    return bool(current_app.config.get("MAIL_SERVER")) if setting is None else bool(setting)


def wants_mail(user: User) -> bool:
    return bool(user.email_notifications and user.email_confirmed_at is not None and user.deleted_at is None)


def _absolute(path: str | None) -> str | None:
    if not path or "://" in path:
        return path
    if has_request_context():
        return urljoin(request.host_url, path)
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}{path}"
    return None


def _mail(user: User, text: str, link: str | None) -> None:
    """One plain-text e-mail for one notification, in the locale already forced by the caller."""
    try:
        settings = _absolute(url_for("accounts.settings"))
    except RuntimeError:  # outside a request and without SERVER_NAME
        settings = None
    where = _absolute(link)
    city = current_app.config.get("CITY_NAME", "Agora")
    lines = [_("Hello %(name)s,", name=user.display_name), "", text]
    if where:
        lines += ["", _("See it here: %(link)s", link=where)]
    lines += ["", "-- ", _("You receive this e-mail because you follow this on Agora (%(city)s) or because it "
                           "concerns you. To stop these e-mails, turn them off in your account settings.", city=city)]
    if settings:
        lines.append(settings)
    subject = _("Agora %(city)s: %(message)s", city=city, message=text)
    if len(subject) > 150:
        subject = subject[:149].rstrip() + "…"
    send_mail(user.email, " ".join(subject.split()), "\n".join(lines))


def notify_followers(target_type: str, target_id: int, kind: str, message: Callable[[], str],
                     link: str | None = None, *, exclude: User | None = None) -> int:
    return notify(followers(target_type, target_id), kind, message, link, exclude=exclude)


def unread_count_column(user_id):
    """The count of a user's unread notifications, as a column of a query that reads the user."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


# Where the signed-in user's count read with the user waits: every page's header shows it, and reading it
# with the user saves a query per page. Valid for the request that loaded it (the user object's lifetime).
_UNREAD_AT_LOAD = "_unread_notifications_at_load"


def remember_unread_count(user: User, count: int | None) -> None:
    """Keep the count read with the user for this request; None forgets it (it changed)."""
    setattr(user, _UNREAD_AT_LOAD, count)


def unread_count(user: User) -> int:
    known = getattr(user, _UNREAD_AT_LOAD, None)
    if known is not None:
        return known
    return db.session.scalar(select(unread_count_column(user.id)))


def list_notifications(user: User, *, page: int = 1, per_page: int = 25):
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    return paginate(stmt, page=page, per_page=per_page)


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    remember_unread_count(user, None)
    return result.rowcount
