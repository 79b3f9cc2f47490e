"""Configuration: built-in defaults, then instance ``config.py``, then the environment, then a mapping.

Environment: ``DATABASE_URL``, ``SECRET_KEY`` and every ``AGORA_<NAME>`` (read as ``<NAME>``,
JSON-decoded where possible, so ``AGORA_MIN_AGE=18`` is the number 18).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 (refused outside development)

DEFAULTS: dict[str, Any] = {
    "ENV": "production",  # "development" relaxes the secret and cookie rules; AGORA_ENV sets it
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # default: sqlite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "DATABASE_PING_AFTER_IDLE_SECONDS": 2,  # a pooled connection unused this long is pinged before use
    "LANGUAGES": ["en", "nl", "fr", "es"],
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
    "CITY_NAME": "Agora City",
    "MIN_AGE": 16,
    "CENSUS_HASH_KEY": None,  # key for document-number hashes; defaults to one derived from SECRET_KEY
    "CENSUS_MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    "PASSWORD_MIN_LENGTH": 10,
    "TOKEN_MAX_AGE_SECONDS": 2 * 3600,  # password reset
    "CONFIRM_MAX_AGE_SECONDS": 7 * 24 * 3600,  # e-mail confirmation
    "MAIL_SERVER": None,  # SMTP host; without it mail goes to the log and the outbox table
    "MAIL_PORT": 587,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": True,
    "MAIL_SENDER": "agora@localhost",
    # Notifications by e-mail too (to confirmed addresses of people who keep the setting on):
    # None = when MAIL_SERVER is set; True/False forces it (True without a server fills the outbox table).
    "MAIL_NOTIFICATIONS": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_LOGIN": "10 per minute;50 per hour",
    "RATELIMIT_REGISTER": "5 per minute;20 per hour",
    "RATELIMIT_SENSITIVE": "5 per minute;30 per hour",  # verification, password reset
    "RATELIMIT_BUDGETS": "20 per minute;200 per hour",  # budget projects, supports and ballots
    "BUDGETS_MAX_IMAGE_BYTES": 1024 * 1024,  # a budget project's image (PNG, JPEG, WebP)
    "RATELIMIT_BALLOT": "20 per minute;100 per hour",  # ranked-vote ballots (invalid ones retried)
    "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": None,  # None: True in production, False in development
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
    "PAGE_SIZE": 25,
    "PROXY_FIX": False,  # True behind one reverse proxy (X-Forwarded-For/Proto/Host)
    "RATELIMIT_COMMITMENTS": "20 per minute;200 per hour",  # making commitments, posting progress
    "COMMITMENTS_PHOTO_MAX_BYTES": 2 * 1024 * 1024,
    # Proposals, debates, moderation
    "PROPOSALS_SUPPORT_THRESHOLD": "1%",  # a number of supports, or a share of verified residents ("1%")
    "PROPOSALS_ARCHIVE_MONTHS": 12,  # published proposals not successful by then are archived
    "PROPOSALS_HOT_DAYS": 7,  # "hot" sorts by supports received in this many days
    "PROPOSALS_TAGS_CACHE_SECONDS": 60,  # the tag filter menu is recomputed at most this often per process
    "PROPOSALS_THRESHOLD_CACHE_SECONDS": 60,  # pages count verified residents for a "1%" threshold this often
    "PROPOSALS_LISTING_CACHE_SECONDS": 5,  # listing results cached per process (see proposals/listing_cache.py)
    "PROPOSALS_MAX_ATTACHMENTS": 3,
    "PROPOSALS_MAX_IMAGE_BYTES": 1024 * 1024,  # PNG, JPEG, WebP
    "PROPOSALS_MAX_PDF_BYTES": 3 * 1024 * 1024,
    "DEBATES_MIN_ACCOUNT_AGE_DAYS": 1,  # residents need an account this old to open a debate
    "MODERATION_FLAGS_TO_HIDE": 3,  # content is hidden pending review after this many flags
    "RATELIMIT_POSTING": "10 per minute;100 per hour",  # per IP address and per account
    # Background jobs (agora.jobs): "auto" = RQ on Redis when REDIS_URL is set and rq is installed,
    # else a worker thread in the web process; "thread", "rq", or "inline" (run at commit, for tests).
    "JOBS_BACKEND": "auto",
    "VOTES_BACKGROUND_TALLY_BALLOTS": 10_000,  # a closed vote with more ballots is counted by a background job
    "BUDGETS_BACKGROUND_TALLY_BALLOTS": 10_000,  # likewise for closing a budget's balloting (all headings)
    "REDIS_URL": None,
    # Visitors' copies of proposal and debate pages (agora/page_cache.py): "auto" = on when REDIS_URL is set
    # (versions shared by every process), "redis", "memory" (one process only: development, tests) or "off".
    "PAGE_CACHE": "auto",
    "PAGE_CACHE_SECONDS": 60,  # longest life of a copy (what a page shows from other pages refreshes by then)
    "PAGE_CACHE_ENTRIES": 500,  # copies kept per process (a proposal page with comments is 20-60 kB)
    "PAGE_CACHE_PREFIX": "agora:page:",  # Redis keys of the page versions
    "JOBS_QUEUE": "agora",
    "JOBS_TIMEOUT": 6 * 3600,  # seconds an RQ job may run
    "JOBS_STALE_SECONDS": 6 * 3600,  # a job "running" longer than this had its worker die: marked failed
    "RATELIMIT_PANELS_CHECK": "60 per minute",  # live quota feasibility checks
    "PANELS_ALTERNATES_FACTOR": 1,  # default alternates = panel size × this
    # Panel invitations and sign-up (issue 7)
    "PUBLIC_URL": None,  # e.g. "https://agora.example.org": printed on letters and links made by the CLI
    "INVITATION_CODE_KEY": None,  # key deriving invitation codes; defaults to one derived from SECRET_KEY
    "RATELIMIT_PANEL_CODE": "5 per minute;20 per hour",  # wrong or used invitation codes, per IP address
    "RATELIMIT_PANEL_SIGNUP": "20 per minute;200 per hour",  # every sign-up attempt, per IP address
    "PANEL_SEAT_LINK_MAX_AGE_SECONDS": 60 * 24 * 3600,  # confirm/decline links after the draw
}


def normalise_database_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    app.config.from_prefixed_env("AGORA")
    if overrides:
        app.config.from_mapping(overrides)
        if "DATABASE_URL" in overrides:
            app.config["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = "sqlite:///" + os.path.join(app.instance_path, "agora.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)

    development = app.config["ENV"] == "development" or app.debug or app.testing
    if not app.config["SECRET_KEY"] and development:
        app.config["SECRET_KEY"] = DEV_SECRET
    _check_secret(app, development)
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[key] is None:
            app.config[key] = not development


def _check_secret(app: Flask, development: bool) -> None:
    secret = app.config["SECRET_KEY"]
    if development:
        return
    if not secret or secret == DEV_SECRET or len(str(secret)) < 32:
        raise RuntimeError(
            "Agora refuses to start in production without a strong SECRET_KEY (32+ characters, "
            "not the development one). Set SECRET_KEY in the environment, or run `agora init` "
            "to write a random one into the instance folder's config.py."
        )
