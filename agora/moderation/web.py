"""View helpers shared by proposals, debates, comments and moderation."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from agora.errors import AgoraError
from agora.extensions import limiter


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def posting_limits(view):
    """Posting is limited per IP address and per account (``RATELIMIT_POSTING``)."""
    per_user = limiter.limit(_posting_limit, methods=["POST"], key_func=lambda: f"user:{current_user.get_id()}",
                             scope="posting-user")
    per_ip = limiter.limit(_posting_limit, methods=["POST"], scope="posting-ip")
    return per_ip(per_user(view))


def form_error(form, error: AgoraError) -> None:
    """Show a service error next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
