"""Visitors' copies of the busiest pages: a proposal or a debate with its comments.

Most people who open a proposal are not signed in, and they all see the same page. It is rendered
once per change and language, then served from memory (``PAGE_CACHE``; bench: a proposal page with
its comments goes from about 7 ms of CPU to well under 1 ms).

Never stale after a commit: every cached page has a version in a store all processes share (Redis
at ``REDIS_URL``). A request reads the version *before* it reads the database, and a change bumps
the version *after* its transaction commits, so a copy rendered from data older than a commit is
stored under a version nobody asks for once that commit's bump is done. Changes are found by the
ORM: flushed rows of the tables in ``_PAGES_OF``, and bulk statements on them, which name their page
with ``execution_options(cached_page=(type, id))`` (one that does not outdates every page). What a
page shows from elsewhere (the title of the vote a proposal became) is refreshed after
``PAGE_CACHE_SECONDS`` at most.

Forms on the page carry each visitor's own CSRF token: a copy holds a placeholder, filled per request.
Signed-in users, visitors with a message waiting (flash) and every method but GET bypass the cache.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import wraps

from flask import Flask, current_app, g, has_app_context, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)

Page = tuple[str, int]
EVERY_PAGE: Page = ("*", 0)
# The proposal listings (agora.proposals.listing_cache) key their results on this version too, so with
# Redis a hidden proposal leaves every worker's listing at once. Any proposal's change outdates it.
PROPOSAL_LISTINGS: Page = ("proposals", 0)


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


# Table -> the cached pages a changed row of it appears on. Comment votes are left out: a page shows the
# counts the vote service then writes on the comment (with cached_page). Users appear by name on every page.
_PAGES_OF: dict[str, Callable[[object], Iterable[Page]]] = {
    "proposals": lambda o: [("proposals", o.id)],
    "debates": lambda o: [("debates", o.id)],
    "comments": lambda o: [(o.target_type, o.target_id)],
    "comment_votes": lambda o: [],
    "proposal_tags": lambda o: [("proposals", o.proposal_id)],
    "proposal_supports": lambda o: [("proposals", o.proposal_id)],
    "proposal_attachments": lambda o: [("proposals", o.proposal_id)],
    "proposal_revisions": lambda o: [("proposals", o.proposal_id)],
    "debate_revisions": lambda o: [("debates", o.debate_id)],
    "vote_options": lambda o: [("proposals", o.proposal_id)] if o.proposal_id else [],
    "budget_projects": lambda o: [("proposals", o.proposal_id)] if o.proposal_id else [],
    "users": lambda o: [EVERY_PAGE] if _changed(o, "display_name", "deleted_at") else [],
    "districts": lambda o: [EVERY_PAGE],
}


def page_of(obj) -> Page:
    """The one cached page a row appears on (every page when it is not one), for ``cached_page``."""
    pages = list(_PAGES_OF[obj.__tablename__](obj))
    return pages[0] if len(pages) == 1 else EVERY_PAGE


class _MemoryVersions:
    """Versions in this process: right for one process only (the development server, tests)."""

    def __init__(self) -> None:
        self._versions: dict[Page, int] = {}
        self._lock = threading.Lock()

    def read(self, page: Page) -> tuple[int, int]:
        return self._versions.get(EVERY_PAGE, 0), self._versions.get(page, 0)

    def bump(self, pages: Iterable[Page]) -> None:
        with self._lock:
            for page in pages:
                self._versions[page] = self._versions.get(page, 0) + 1


class _RedisVersions:
    """Versions shared by every process and server of the site."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix

    def _key(self, page: Page) -> str:
        return f"{self._prefix}{page[0]}:{page[1]}"

    def read(self, page: Page) -> tuple[int, int]:
        every, this = self._redis.mget(self._key(EVERY_PAGE), self._key(page))
        return int(every or 0), int(this or 0)

    @property
    def redis(self):
        return self._redis

    def bump(self, pages: Iterable[Page]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for page in pages:
            pipe.incr(self._key(page))  # never expires: a version must not go back to a value used before
        pipe.execute()


class PageCache:
    def __init__(self, versions: _MemoryVersions | _RedisVersions, *, seconds: float, entries: int) -> None:
        self.versions = versions
        self.seconds = seconds
        self.max_entries = entries
        self._copies: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        # Stands for the visitor's CSRF token in a copy; random per process, so no text can forge it.
        self.placeholder = f"csrf-{secrets.token_hex(16)}"

    def serve(self, page: Page, render: Callable[[], object]):
        version = self.version(page)  # before the database is read: see the module's docstring
        if version is None:
            return render()
        key = (page, request.full_path, str(get_locale()), version)
        now = time.monotonic()
        with self._lock:
            hit = self._copies.get(key)
            if hit and hit[0] > now:
                self._copies.move_to_end(key)
        if hit and hit[0] > now:
            html = hit[1]
        else:
            field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            own_token = g.pop(field, None)
            setattr(g, field, self.placeholder)  # flask-wtf hands out the token cached in g
            try:
                result = render()
            finally:
                g.pop(field, None)
                if own_token is not None:
                    setattr(g, field, own_token)
            if not isinstance(result, str):  # a redirect or a response made by the view: not kept
                return result
            html = result
            with self._lock:
                self._copies[key] = (now + self.seconds, html)
                while len(self._copies) > self.max_entries:
                    self._copies.popitem(last=False)
        return make_response(html.replace(self.placeholder, generate_csrf()))

    def version(self, page: Page) -> tuple[int, int] | None:
        """The page's current version, or None when the store cannot say (then do not cache)."""
        try:
            return self.versions.read(page)
        except Exception:  # noqa: BLE001 - a cache outage must not take the page down
            log.warning("page cache: versions unavailable", exc_info=True)
            return None

    @property
    def shared_store(self):
        """The Redis client the versions live in, for other shared caches; None for process-local versions."""
        return getattr(self.versions, "redis", None)

    def bump(self, pages: Iterable[Page]) -> None:
        try:
            self.versions.bump(pages)
        except Exception:  # noqa: BLE001 - the change is committed; its pages refresh after PAGE_CACHE_SECONDS
            log.exception("page cache: could not outdate %s", pages)

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()


def init_app(app: Flask) -> None:
    mode = app.config["PAGE_CACHE"]
    if mode == "auto":
        mode = "redis" if app.config.get("REDIS_URL") else "off"
    if mode == "off":
        return
    if mode == "redis":
        versions = _RedisVersions(app.config["REDIS_URL"], app.config["PAGE_CACHE_PREFIX"])
    elif mode == "memory":
        versions = _MemoryVersions()
    else:
        raise ValueError(f"PAGE_CACHE must be auto, redis, memory or off, not {mode!r}")
    app.extensions["page_cache"] = PageCache(versions, seconds=app.config["PAGE_CACHE_SECONDS"],
                                             entries=app.config["PAGE_CACHE_ENTRIES"])


def for_visitors(page_type: str):
    """Serve a view's page (``id`` in its URL) from the cache to visitors who are not signed in."""

    def decorate(view):
        @wraps(view)
        def wrapper(id: int, **kwargs):
            cache = current_app.extensions.get("page_cache")
            if (cache is None or request.method != "GET" or current_user.is_authenticated
                    or "_flashes" in session):
                return view(id, **kwargs)
            return cache.serve((page_type, id), lambda: view(id, **kwargs))

        return wrapper

    return decorate


# --- what changed --------------------------------------------------------------------------------

def _note(session: Session, pages: Iterable[Page]) -> None:
    noted = session.info.setdefault("changed_pages", set())
    for page in pages:
        noted.add(page)
        if page[0] == "proposals":
            noted.add(PROPOSAL_LISTINGS)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, flush_context) -> None:  # noqa: ARG001
    for obj in (*session.new, *session.dirty, *session.deleted):
        pages_of = _PAGES_OF.get(getattr(obj, "__tablename__", ""))
        if pages_of is not None:
            _note(session, pages_of(obj))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _PAGES_OF:
        _note(state.session, [state.execution_options.get("cached_page", EVERY_PAGE)])


@event.listens_for(Session, "after_commit")
def _outdate_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the change is not committed yet
        return
    pages = session.info.pop("changed_pages", None)
    if pages and has_app_context():
        cache = current_app.extensions.get("page_cache")
        if cache is not None:
            cache.bump(pages)
