"""A micro-cache for the rendered results of the proposal listing.

The listing is the busiest page of a city's platform and the same few filter combinations are
asked for over and over. Its results (count, cards, pager) are cached per process for a few
seconds (``PROPOSALS_LISTING_CACHE_SECONDS``; 0 turns it off), keyed by language, filters and
page. Any change to proposals, their tags or supports flushed in this process empties the
cache at once. Other processes see it at once when page versions are shared (Redis, see
agora.page_cache: the listings' version is part of the key), else after at most the
time-to-live, so without Redis a hidden proposal can stay in another worker's listing for a few
seconds, never on its own page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_MAX_ENTRIES = 512
_entries: dict[tuple, tuple[float, str]] = {}
_lock = threading.Lock()
_WATCHED_TABLES = frozenset({"proposals", "proposal_tags", "proposal_supports", "districts", "users"})


def get_or_render(key: tuple, ttl: float, render: Callable[[], str]) -> Markup:
    """``render()``'s HTML (from an autoescaping template), cached under ``key`` for ``ttl`` seconds."""
    if ttl <= 0:
        return Markup(render())  # noqa: S704 - rendered by an autoescaping template
    now = time.monotonic()
    hit = _entries.get(key)
    if hit and hit[0] > now:
        return Markup(hit[1])  # noqa: S704 - rendered by an autoescaping template
    html = render()
    with _lock:
        if len(_entries) >= _MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now + ttl, html)
    return Markup(html)  # noqa: S704 - rendered by an autoescaping template


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
