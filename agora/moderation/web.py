"""View helpers shared by proposals, debates, comments and moderation."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from agora.extensions import limiter


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def posting_limits(view):
    """Posting is limited per IP address and per account (``RATELIMIT_POSTING``)."""
    per_user = limiter.limit(_posting_limit, methods=["POST"], key_func=lambda: f"user:{current_user.get_id()}",
                             scope="posting-user")
    per_ip = limiter.limit(_posting_limit, methods=["POST"], scope="posting-ip")
    return per_ip(per_user(view))


