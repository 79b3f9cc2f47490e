"""Agora: participatory democracy for cities. ``create_app`` builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent
__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance ``config.py``, environment, then ``config`` (tests)."""
    from agora import (
        accounts,
        admin,
        budgets,
        census,
        comments,
        commitments,
        debates,
        main,
        moderation,
        notifications,
        page_cache,
        panels,
        panelwork,
        proposals,
        votes,
        web,
    )
    from agora.config import load_config
    from agora.db import keep_prepared_statements, ping_idle_connections
    from agora.extensions import babel, csrf, db, limiter, login_manager, migrate

    # The instance folder holds config.py and the SQLite file; AGORA_INSTANCE_PATH moves it.
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("AGORA_INSTANCE_PATH") or None
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PACKAGE_DIR.parent / "templates"),
        static_folder="static",
    )
    load_config(app, config)

    db.init_app(app)
    with app.app_context():
        keep_prepared_statements(db.engine)
        ping_idle_connections(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    # Every limit of Agora decorates its view, and the decorator checks it. Flask-Limiter's before_request
    # hook would look for application-wide and default limits, of which Agora has none, on every request:
    # a fifth of the smallest request's work (0.41 of 2.13 million instructions, bench/web_profile.py --instructions).
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks and not (app.config.get("RATELIMIT_DEFAULT")
                                                      or app.config.get("RATELIMIT_APPLICATION")):
        hooks.remove(limiter._check_request_limit)
    login_manager.init_app(app)

    if app.config.get("PROXY_FIX"):
        # Behind a reverse proxy: trust one hop of X-Forwarded-For/Proto, so rate limits see the client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    web.init_app(app)
    page_cache.init_app(app)
    for feature in (main, accounts, census, admin, notifications, proposals, debates, comments, moderation, votes,
                    commitments, budgets, panels, panelwork):
        app.register_blueprint(feature.bp)
    from agora.panels import signup_views  # invitations, sign-up, confirm/decline: a second panels blueprint

    app.register_blueprint(signup_views.bp)

    from agora import cli

    cli.init_app(app)
    return app
