"""View helpers shared by proposals, debates, comments and moderation."""

from __future__ import annotations

import functools
import time

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from agora.extensions import limiter


@functools.lru_cache(maxsize=8)
def _limits(text: str):
    return tuple(parse_many(text))


def _hit(scope: str, key: str | None) -> None:
    """Count one post against every ``RATELIMIT_POSTING`` limit of ``key``; 429 once one is used up."""
    strategy = limiter.limiter
    for item in _limits(current_app.config["RATELIMIT_POSTING"]):
        if not strategy.hit(item, scope, str(key)):
            reset = strategy.get_window_stats(item, scope, str(key)).reset_time
            raise TooManyRequests(retry_after=max(1, int(reset - time.time())))


def posting_limits(view):
    """Posting is limited per IP address and per account (``RATELIMIT_POSTING``).

    Counted in Flask-Limiter's storage with its strategy (shared by every worker when that is Redis),
    but not through its decorators: two of them took 0.96 of the 8.6 million instructions of a support.
    These views send no X-RateLimit headers; a refusal says when to retry (Retry-After).
    """

    @functools.wraps(view)
    def limited(*args, **kwargs):
        if request.method == "POST" and limiter.enabled and limiter.initialized:
            _hit("posting-ip", get_remote_address())
            _hit("posting-user", current_user.get_id())
        return view(*args, **kwargs)

    return limited
