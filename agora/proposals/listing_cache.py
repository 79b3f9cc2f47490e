"""A micro-cache for the rendered results of the proposal listing.

The listing is the busiest page of a city's platform and the same few filter combinations are
asked for over and over. Its results (count, cards, pager) are cached per process for a few
seconds (``PROPOSALS_LISTING_CACHE_SECONDS``; 0 turns it off), keyed by language, filters and
page. Any change to proposals, their tags or supports flushed in this process empties the
cache at once. Other processes see it at once when page versions are shared (Redis, see
agora.page_cache: the listings' version is part of the key), else after at most the
time-to-live, so without Redis a hidden proposal can stay in another worker's listing for a few
seconds, never on its own page.

With Redis, a rendering is also shared with the other processes for the same few seconds (the key
holds the shared version, so a change is never served from there either): each filter combination
is then rendered once for all workers, not once in each.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)
_MAX_ENTRIES = 512
_entries: dict[tuple, tuple[float, str]] = {}
_lock = threading.Lock()
_WATCHED_TABLES = frozenset({"proposals", "proposal_tags", "proposal_supports", "districts", "users"})


def get_or_render(key: tuple, ttl: float, render: Callable[[], str], shared: SharedStore | None = None) -> Markup:
    """``render()``'s HTML (from an autoescaping template), cached under ``key`` for ``ttl`` seconds, in
    this process and, with ``shared``, for every process."""
    if ttl <= 0:
        return Markup(render())  # noqa: S704 - rendered by an autoescaping template
    now = time.monotonic()
    hit = _entries.get(key)
    if hit and hit[0] > now:
        return Markup(hit[1])  # noqa: S704 - rendered by an autoescaping template
    html = _shared_get(shared, key)
    if html is None:
        html = render()
        _shared_set(shared, key, html, ttl)
    with _lock:
        if len(_entries) >= _MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now + ttl, html)
    return Markup(html)  # noqa: S704 - rendered by an autoescaping template


class RedisLike(Protocol):
    def get(self, name: str) -> bytes | None: ...
    def set(self, name: str, value: str, ex: int) -> object: ...


@dataclass(frozen=True)
class SharedStore:
    """Where renderings are shared by every process: a Redis client and the site's key prefix."""

    redis: RedisLike
    prefix: str

    def name(self, key: tuple) -> str:
        return f"{self.prefix}listing:{hashlib.sha256(repr(key).encode()).hexdigest()}"


def _shared_get(shared: SharedStore | None, key: tuple) -> str | None:
    if shared is None:
        return None
    try:
        value = shared.redis.get(shared.name(key))
    except Exception:  # noqa: BLE001 - an outage of the shared cache must not take the listing down
        log.warning("listing cache: shared store unavailable", exc_info=True)
        return None
    return value.decode() if value is not None else None


def _shared_set(shared: SharedStore | None, key: tuple, html: str, ttl: float) -> None:
    if shared is None:
        return
    try:
        shared.redis.set(shared.name(key), html, ex=max(1, round(ttl)))
    except Exception:  # noqa: BLE001 - as above
        log.warning("listing cache: shared store unavailable", exc_info=True)


def clear() -> None:
    with _lock:
        _entries.clear()


@event.listens_for(Session, "after_flush")
def _clear_on_change(session: Session, flush_context) -> None:  # noqa: ARG001
    if not _entries:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__tablename__", None) in _WATCHED_TABLES:
            clear()
            return


@event.listens_for(Session, "do_orm_execute")
def _clear_on_bulk_change(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE statements (archiving, hiding by moderators) bypass the flush.
    if _entries and (state.is_update or state.is_delete):
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES:
            clear()
