"""Account services: registration, e-mail confirmation, login, passwords, language, deletion, roles.

Every function takes the acting user explicitly, flushes and never commits: the calling view or
CLI command wraps it in :func:`agora.db.unit_of_work`.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from agora import audit
from agora.accounts.models import User, UserRole
from agora.db import db, paginate, utcnow
from agora.errors import Conflict, InvalidInput, NotFound
from agora.mail import send_mail
from agora.permissions import ASSIGNABLE_ROLES, Permission, Role, require

_CONFIRM_SALT = "agora.confirm-email"
_RESET_SALT = "agora.reset-password"  # noqa: S105 (a salt name, not a secret)
# Checked against when the account does not exist, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from error


def check_password_strength(password: str, email: str = "") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise InvalidInput(_("Use at least %(n)d characters.", n=minimum), field="password")
    if email and password.lower() == email.lower():
        raise InvalidInput(_("Your password must differ from your e-mail address."), field="password")


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _mail_confirmation(user: User) -> None:
    token = _serializer(_CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})
    link = url_for("accounts.confirm_email", token=token, _external=True)
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Confirm your e-mail address"),
            _("Hello %(name)s,\n\nConfirm your e-mail address for Agora by opening this link:\n%(link)s\n\n"
              "If you did not register, ignore this message.", name=user.display_name, link=link),
        )


def register_user(*, email: str, display_name: str, password: str, locale: str | None = None) -> User | None:
    """Create an unconfirmed resident account and mail a confirmation link.

    If the address is already registered, nothing is created and its owner is told by mail;
    ``None`` is returned so the caller can answer exactly as on success (the page must not
    reveal which addresses have accounts). Raises :class:`InvalidInput` for a bad address,
    name or password.
    """
    email = normalise_email(email)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 80:
        raise InvalidInput(_("Enter a name of 1 to 80 characters."), field="display_name")
    check_password_strength(password, email)
    existing = get_user_by_email(email)
    if existing is not None:
        with force_locale(existing.locale or "en"):
            send_mail(
                existing.email,
                _("Someone tried to register with your address"),
                _("Someone tried to create an Agora account with this address, which already has one. "
                  "If it was you, log in or reset your password. Otherwise, you can ignore this message."),
            )
        return None
    user = User(
        email=email,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        locale=locale if locale in current_app.config["LANGUAGES"] else None,
    )
    db.session.add(user)
    db.session.flush()
    _mail_confirmation(user)
    return user


def resend_confirmation(user: User) -> None:
    if not user.email_confirmed:
        _mail_confirmation(user)


def confirm_email(token: str) -> User:
    """Mark the address in a valid confirmation token as confirmed. Raises InvalidInput."""
    try:
        data = _serializer(_CONFIRM_SALT).loads(token, max_age=current_app.config["CONFIRM_MAX_AGE_SECONDS"])
    except (BadSignature, SignatureExpired) as error:
        raise InvalidInput(_("This confirmation link is invalid or has expired.")) from error
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or user.email != data.get("email"):
        raise InvalidInput(_("This confirmation link is invalid or has expired."))
    if not user.email_confirmed:
        user.email_confirmed_at = utcnow()
        db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or InvalidInput that names neither field."""
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidInput(_("Wrong e-mail address or password."))
    if not check_password_hash(user.password_hash, password):
        raise InvalidInput(_("Wrong e-mail address or password."))
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; silent otherwise."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        return
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = _serializer(_RESET_SALT).dumps({"uid": user.id, "v": user.session_version})
    link = url_for("accounts.reset_password", token=token, _external=True)
    hours = current_app.config["TOKEN_MAX_AGE_SECONDS"] // 3600
    with force_locale(user.locale or "en"):
        send_mail(
            user.email,
            _("Reset your password"),
            _("Hello %(name)s,\n\nTo choose a new password, open this link within %(hours)d hours:\n%(link)s\n\n"
              "If you did not ask for this, ignore this message.", name=user.display_name, hours=hours, link=link),
        )


def _user_from_reset_token(token: str) -> User:
    try:
        data = _serializer(_RESET_SALT).loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except (BadSignature, SignatureExpired) as error:
        raise InvalidInput(_("This reset link is invalid or has expired.")) from error
    user = db.session.get(User, data.get("uid"))
    # The version changes with every password change, so a link works once.
    if user is None or not user.is_active or user.session_version != data.get("v"):
        raise InvalidInput(_("This reset link is invalid or has expired."))
    return user


def check_reset_token(token: str) -> User:
    return _user_from_reset_token(token)


def reset_password(token: str, new_password: str) -> User:
    user = _user_from_reset_token(token)
    _set_password(user, new_password)
    if not user.email_confirmed:
        user.email_confirmed_at = utcnow()  # the link proved the address
    db.session.flush()
    return user


def _set_password(user: User, new_password: str) -> None:
    check_password_strength(new_password, user.email)
    user.password_hash = generate_password_hash(new_password)
    user.session_version += 1  # logs out other sessions and spends reset links


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current_password):
        raise InvalidInput(_("Your current password is not correct."), field="current_password")
    _set_password(user, new_password)
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("This language is not available."), field="locale")
    user.locale = locale
    db.session.flush()


def set_email_notifications(user: User, enabled: bool) -> None:
    """The account holder turns e-mailed notifications on or off (in-app notifications stay)."""
    user.email_notifications = bool(enabled)
    db.session.flush()


def delete_account(user: User, *, password: str) -> None:
    """Delete the account: personal data is erased, content stays, shown as by a deleted user.

    The census entry stays linked, so the same resident cannot verify a second account and
    take part twice in an ongoing vote.
    """
    if not check_password_hash(user.password_hash, password):
        raise InvalidInput(_("Your password is not correct."), field="password")
    if Role.ADMIN in user.roles and _count_admins() <= 1:
        raise Conflict(_("You are the last administrator: appoint another one before deleting your account."))
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid"
    user.display_name = "—"
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    user.locale = None
    user.deleted_at = utcnow()
    user.session_version += 1
    user.staff_roles.clear()
    db.session.flush()


def _count_admins() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(UserRole)
        .join(User)
        .where(UserRole.role == Role.ADMIN, User.deleted_at.is_(None))
    )


def grant_role(actor: User | str, user: User, role: Role) -> bool:
    """Give ``user`` a staff role. Returns False if they already had it. Audited."""
    if not isinstance(actor, str):
        require(actor, Permission.ADMIN_ROLES_MANAGE)
    if role not in ASSIGNABLE_ROLES:
        raise InvalidInput(_("This role cannot be assigned."), field="role")
    if not user.is_active:
        raise InvalidInput(_("This account has been deleted."))
    if role in user.roles:
        return False
    user.staff_roles.append(UserRole(role=role.value))
    db.session.flush()
    audit.record(actor, "role.grant", user, details={"role": role.value, "user": user.email})
    return True


def revoke_role(actor: User, user: User, role: Role) -> bool:
    """Take a staff role away. Refuses to remove the last administrator. Audited."""
    require(actor, Permission.ADMIN_ROLES_MANAGE)
    link = next((r for r in user.staff_roles if r.role == role.value), None)
    if link is None:
        return False
    if role is Role.ADMIN and _count_admins() <= 1:
        raise Conflict(_("There must always be at least one administrator."))
    user.staff_roles.remove(link)
    db.session.flush()
    audit.record(actor, "role.revoke", user, details={"role": role.value, "user": user.email})
    return True


def create_admin(*, email: str, display_name: str, password: str) -> User:
    """CLI: create a confirmed administrator account, or promote an existing one. Audited."""
    email = normalise_email(email)
    user = get_user_by_email(email)
    if user is None:
        check_password_strength(password, email)
        user = User(email=email, display_name=display_name.strip() or email,
                    password_hash=generate_password_hash(password), email_confirmed_at=utcnow())
        db.session.add(user)
        db.session.flush()
    grant_role("cli", user, Role.ADMIN)
    return user


def list_users(actor: User, *, query: str = "", page: int = 1, per_page: int = 25):
    require(actor, Permission.ADMIN_USERS_VIEW)
    stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.id)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.display_name).like(like)))
    return paginate(stmt, page=page, per_page=per_page)


def get_user(actor: User, user_id: int) -> User:
    require(actor, Permission.ADMIN_USERS_VIEW)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(_("No such user."))
    return user
