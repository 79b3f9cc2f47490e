"""Request-cycle wiring shared by all blueprints: locale, login, headers, errors, template helpers."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

from babel import support
from flask import Flask, Response, current_app, g, has_request_context, render_template, request, session, url_for
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from wtforms.i18n import messages_path

from agora.db import db
from agora.errors import AgoraError
from agora.extensions import login_manager
from agora.permissions import Permission, Role, can

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français", "es": "Español"}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def select_locale() -> str | None:
    if not has_request_context():
        return None  # CLI and background work: the default locale, or force_locale
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def form_error(form, error: AgoraError) -> None:
    """Show a service error next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """A file to save (exports: CSV, PrefLib, Pabulib, JSON), UTF-8 encoded, under ``filename``."""
    response = Response(body.encode("utf-8") if isinstance(body, str) else body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def safe_next_url(target: str | None) -> str | None:
    """Accept a ``next`` URL only if it stays on this site (no scheme, no host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@functools.cache
def _user_with_permissions():
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import defer, joinedload

    from agora.accounts.models import User
    from agora.census.models import CensusEntry
    from agora.notifications.services import unread_count_column

    # Roles, residency and a moderator's block decide every permission check, and every page's header shows the
    # unread notifications: one query with the user, not five.
    # Built once: SQLAlchemy then neither builds it nor computes its cache key again on every request. Only the
    # columns a request needs (the rest load if asked for): the psycopg and ORM work goes by the column.
    return select(User, unread_count_column(User.id)).where(User.id == bindparam("user_id")).options(
        defer(User.password_hash), joinedload(User.staff_roles),
        joinedload(User.residency).load_only(CensusEntry.user_id, CensusEntry.district_id, CensusEntry.verified_at),
        joinedload(User.block))


@login_manager.user_loader
def load_user(user_id: str):
    # Here, not at the top: notifications' services import the accounts blueprint, which imports this module.
    from agora.notifications.services import remember_unread_count

    try:
        raw_id, version = user_id.split(":", 1)
        row = db.session.execute(_user_with_permissions(), {"user_id": int(raw_id)}).unique().one_or_none()
    except (ValueError, TypeError):
        return None
    user = row[0] if row else None
    # A password change or deletion bumps the version and ends every other session.
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    remember_unread_count(user, row[1])
    return user


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _security_headers(response):
    # Added where the view did not set its own (an attachment's stricter policy): one pass over the
    # response's headers, where a setdefault for each would scan them seven times.
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    wanted = (*_SECURITY_HEADERS, _HSTS) if current_app.config["SESSION_COOKIE_SECURE"] else _SECURITY_HEADERS
    headers.extend([(key, value) for key, value in wanted if key.lower() not in present])
    return response


ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.VERIFIED: _l("Verified resident"),
    Role.CLERK: _l("Clerk"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
ERROR_TEXTS = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to see this page or do this action."),
    404: _l("We could not find the page you asked for. It may have moved or never existed."),
    405: _l("This page cannot be used that way."),
    409: _l("This action conflicts with the current state. Please reload the page."),
    413: _l("The file you sent is larger than we accept."),
    429: _l("You have made too many attempts in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
}


def render_error(status: int, message: str | None = None):
    template = f"errors/{status}.html" if status in (400, 403, 404, 429, 500) else "errors/generic.html"
    return (
        render_template(
            template,
            status=status,
            title=ERROR_TITLES.get(status, ERROR_TITLES[400]),
            text=message or ERROR_TEXTS.get(status, ERROR_TEXTS[400]),
        ),
        status,
    )


def _unread_notifications() -> int:
    from agora.notifications.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


class _WtformsTranslations:
    """WTForms' own messages ("This field is required.") in the request's language.

    Flask-WTF reads and parses WTForms' .mo file again on every request that builds a form (about
    0.5 ms); it first looks for ``request.wtforms_translations``, so each request gets this shared,
    stateless object, which parses each language once per process and follows the current locale.
    """

    _by_locale: dict[str, support.Translations] = {}

    def _translations(self) -> support.Translations:
        locale = get_locale()
        key = str(locale)
        translations = self._by_locale.get(key)
        if translations is None:
            translations = self._by_locale[key] = support.Translations.load(
                messages_path(), [locale], domain="wtforms")
        return translations

    def ugettext(self, string: str) -> str:
        return self._translations().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations().ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WtformsTranslations()


def _translations() -> support.NullTranslations:
    """The current language's translations, found once per request and language. Flask-Babel finds them
    again for every string a template translates (a listing page has sixty); a forced language (mail in
    the reader's language) is another locale object, so it finds its own."""
    locale = get_locale()
    found = g.get("_agora_translations")
    if found is None or found[0] is not locale:
        found = g._agora_translations = (locale, get_translations())
    return found[1]


def _install_fast_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    # ``_`` and ``gettext`` are the templates' commonest calls (a page makes thirty): in one step, where Jinja's
    # newstyle wrappers take three (an alias, two context calls, and a % with nothing to fill in). Same result:
    # translations are trusted markup and the values filled in are escaped.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _template_gettext


@pass_context
def _template_gettext(context, string: str, **variables) -> str:
    # Found once per rendering (its evaluation context): a page translates a hundred strings, and finding
    # the language costs more than translating.
    eval_ctx = context.eval_ctx
    translations = getattr(eval_ctx, "agora_translations", None)
    if translations is None:
        translations = eval_ctx.agora_translations = _translations()
    translated = translations.ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 (translations are ours, as with Jinja's own gettext)
    # Jinja always formats, so "%%" means "%" even with nothing to fill in: keep that.
    return translated % variables if variables or "%" in translated else translated


# Where a per-request value goes in a shared fragment; template text never holds a NUL.
_SLOT = re.compile("\x00slot:(\\w+)\x00")


def shared_fragment(name: str, caller, **values) -> Markup:
    """A piece of every page that is the same for everyone in a language (the site's links, the language
    form), rendered once per process, language and mount point. ``values`` (a CSRF token, the page's own
    address) go in per request, escaped, where the call block names them::

        {% call(csrf) shared_fragment("language-form", csrf=csrf_token()) %}...{{ csrf }}...{% endcall %}
    """
    fragments = current_app.extensions.setdefault("agora_shared_fragments", {})
    key = (name, str(get_locale()), request.script_root, tuple(values))
    pieces = fragments.get(key)
    if pieces is None:  # literal text and slot names, alternating
        slots = {slot: Markup(f"\x00slot:{slot}\x00") for slot in values}  # noqa: S704 (our markers)
        pieces = fragments[key] = _SLOT.split(str(caller(**slots)))
    # The literal pieces are the template's own output; the values are escaped here.
    return Markup("".join(piece if i % 2 == 0 else escape(values[piece])  # noqa: S704
                          for i, piece in enumerate(pieces)))


class _Texts(dict):
    """Translated texts by key, also as attributes (``texts.reply``) for templates."""

    def __getattr__(self, name: str) -> Markup:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class TranslatedOnce:
    """Lazy texts translated once per process and language. A lazy string printed in a template finds
    its language and translates again each time (on a resident's proposal page, ten times the report
    reasons and the comment form's labels); calling this gives them all, already translated."""

    def __init__(self, texts: dict[str, Any]) -> None:
        self._texts = texts
        self._by_locale: dict[str, _Texts] = {}

    def __call__(self) -> _Texts:
        locale = str(get_locale())
        texts = self._by_locale.get(locale)
        if texts is None:  # translations are ours: markup, as Jinja's gettext returns them
            texts = self._by_locale[locale] = _Texts(
                {key: Markup(str(text)) for key, text in self._texts.items()})  # noqa: S704
        return texts


_URL_ID = 987654321  # stands for the row's id while a URL pattern is built


def url_pattern(endpoint: str, id_name: str = "id", **values) -> str:
    """``url_for`` for many rows of a page: the URL built once, with ``%d`` where the row's id goes
    (``pattern % id`` in the template). A thread links each comment three or four times, and each
    url_for costs more than the rest of the comment's line."""
    url = url_for(endpoint, **{id_name: _URL_ID}, **values)
    if url.count(str(_URL_ID)) != 1:  # the stand-in must mark one place only
        raise ValueError(f"no URL pattern for {endpoint}: {url}")
    return url.replace("%", "%%").replace(str(_URL_ID), "%d")


def init_app(app: Flask) -> None:
    _install_fast_gettext(app)
    app.jinja_env.globals["shared_fragment"] = shared_fragment
    app.jinja_env.globals["url_pattern"] = url_pattern
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    app.after_request(_security_headers)

    @app.before_request
    def _wtforms_translations():
        request.wtforms_translations = _WTFORMS_TRANSLATIONS

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, _l("The form expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(AgoraError)
    def agora_error(error: AgoraError):
        db.session.rollback()
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Unhandled exceptions arrive here as 500 (outside testing, where they propagate).
        if (error.code or 500) >= 500:
            db.session.rollback()
        body, status = render_error(error.code or 500)
        # A refusal that says when to come back (429, 503) keeps saying it on the page that replaces werkzeug's.
        return body, status, [(key, value) for key, value in error.get_headers() if key == "Retry-After"]

    @app.context_processor
    def template_helpers():
        user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
        return {
            "can": lambda permission, obj=None: can(user, permission, obj),
            "Permission": Permission,
            "current_locale": str(get_locale() or "en"),
            "language_names": LANGUAGE_NAMES,
            "city_name": app.config["CITY_NAME"],
            "role_label": lambda role: ROLE_LABELS[Role(role)],
            "unread_notifications": _unread_notifications,
        }

    app.jinja_env.add_extension("jinja2.ext.do")
