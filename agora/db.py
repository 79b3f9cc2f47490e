"""Database base class, constraint naming convention and the unit of work."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from time import monotonic
from typing import Any

from flask import current_app, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Select, bindparam, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, lazyload, registry

# The same constraint names on SQLite and PostgreSQL, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Timestamps are aware and UTC: "timestamp with time zone" on PostgreSQL.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as UTC on both databases)."""
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    # SQLite leaves foreign keys off unless asked on every connection.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# psycopg forgets its prepared statements at every ROLLBACK, and SQLAlchemy ends with a ROLLBACK each
# transaction it does not commit: every request that only read. Such a transaction ends with a COMMIT
# instead (there is nothing to keep or to undo), so the pages' queries stay prepared and PostgreSQL does
# not plan them again on every request (planning the proposal page's query takes longer than running it).
_ONLY_READ = "agora_only_read"


def keep_prepared_statements(engine: Engine) -> None:
    if engine.dialect.driver != "psycopg":
        return
    from psycopg.pq import TransactionStatus

    rollback = engine.dialect.do_rollback

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.info[_ONLY_READ] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
        if statement.lstrip()[:6].upper() != "SELECT":  # a write, a savepoint, DDL: a real rollback
            conn.info[_ONLY_READ] = False

    @event.listens_for(engine, "handle_error")
    def _error(context) -> None:
        if context.connection is not None:
            context.connection.info[_ONLY_READ] = False

    def do_rollback(dbapi_connection) -> None:
        try:
            only_read = dbapi_connection.info.pop(_ONLY_READ, False)  # the pool's dict for this connection
        except (AttributeError, NotImplementedError):  # not a pooled connection (the engine's first connect)
            only_read = False
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if only_read and driver.info.transaction_status == TransactionStatus.INTRANS:
            driver.commit()
        else:
            rollback(dbapi_connection)

    engine.dialect.do_rollback = do_rollback


_READS_ONLY = "agora_reads_only"


def reads_only(view: Callable) -> Callable:
    """For a page that only reads: on PostgreSQL its statements run in autocommit, without the BEGIN and the
    COMMIT, two round trips of the four or five a page makes. The page sees the same data: at PostgreSQL's
    READ COMMITTED each statement reads its own snapshot, in a transaction or not. Only when the request
    has not read yet (a signed-in user's page has, to load the user); a write in such a page is refused."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method in ("GET", "HEAD") and not db.session().in_transaction() and is_postgresql():
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT", _READS_ONLY: True})
        return view(*args, **kwargs)

    return wrapper


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes_in_reads_only(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
    if conn.get_execution_options().get(_READS_ONLY) and statement.lstrip()[:6].upper() != "SELECT":
        raise RuntimeError(f"a page marked @reads_only sent a statement that is not a SELECT: {statement}")


# A connection that waited in the pool longer than this is pinged before use, so a restarted database costs
# no request once it is back. SQLAlchemy's pool_pre_ping pinged at every checkout: a round trip on every
# request. A connection in steady use is not pinged; should the server go away within these seconds, the
# request that meets the broken connection fails, and SQLAlchemy then drops every older pooled connection.
_IDLE_SINCE = "agora_idle_since"


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record) -> None:  # noqa: ARG001
        record.info[_IDLE_SINCE] = monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy) -> None:  # noqa: ARG001
        since = record.info.get(_IDLE_SINCE)  # none yet: a new connection
        if since is not None and monotonic() - since > idle_seconds:
            try:
                dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as error:
                raise DisconnectionError(f"pooled connection failed its ping: {error}") from error


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One transaction per user action: commit on success, roll back on any exception.

    Services only flush; the web view or CLI command that calls them wraps the call in this.
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


class Page:
    """One page of a list: its items, and what the pager links need (the pages before and after)."""

    def __init__(self, items: list, *, page: int, per_page: int, total: int) -> None:
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self):
        return iter(self.items)


MAX_PER_PAGE = 100


def paginate(statement: Select, *, page: int | None, per_page: int | None, params: dict | None = None) -> Page:
    """A page of ``statement``'s rows (``params`` binds its parameters; ``per_page`` defaults to PAGE_SIZE;
    a page past the end is empty, not a 404). It counts only when the page does not show the total itself:
    a first page that is not full, or a last page, already says how many there are. Most searches and
    filtered lists fit on their first page, and the count ran their whole query again."""
    page = max(page or 1, 1)
    per_page = min(max(per_page or current_app.config["PAGE_SIZE"], 1), MAX_PER_PAGE)
    items = list(db.session.execute(statement.limit(per_page).offset((page - 1) * per_page), params)
                 .unique().scalars())
    shown = len(items)
    if 0 < shown < per_page or (shown == 0 and page == 1):
        total = (page - 1) * per_page + shown
    else:
        rows = statement.options(lazyload("*")).order_by(None).subquery()
        total = db.session.scalar(select(func.count()).select_from(rows), params)
    return Page(items, page=page, per_page=per_page, total=total)


def insert_unless_present(model: type, values: dict[str, Any], **execution_options: Any) -> bool:
    """Add a row unless a unique constraint already holds one like it (``ON CONFLICT DO NOTHING``, on
    both databases); True if it was added. One statement where a savepoint, the INSERT and its release
    or rollback were three, and safe under concurrency: of simultaneous inserts exactly one adds the row."""
    statement = _insert_unless_present(model, tuple(sorted(values)), is_postgresql())
    # RETURNING gives no row when nothing was added
    return db.session.execute(statement, values, execution_options=execution_options).first() is not None


@functools.cache
def _insert_unless_present(model: type, columns: tuple[str, ...], postgresql: bool):
    # Built once per table and columns: these INSERTs are on the busiest writes (supports, follows).
    if postgresql:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # On the table, not the mapped class: a Core INSERT skips the ORM's bulk-insert machinery (a third of its cost).
    return (insert(model.__table__).values({column: bindparam(column) for column in columns}).on_conflict_do_nothing()
            .returning(*model.__table__.primary_key.columns))


# Full-text search objects written by hand in migrations (SQLite's FTS5 tables with their shadow tables,
# PostgreSQL's proposals_search table with its GIN index): autogenerate cannot compare them, so env.py and
# the migration check leave them out.
UNCOMPARED_SCHEMA_PREFIXES = ("proposals_fts", "proposals_search", "ix_proposals_search")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:  # noqa: ARG001
    """Alembic ``include_name`` hook: skip the hand-written full-text search objects."""
    return not (name and name.startswith(UNCOMPARED_SCHEMA_PREFIXES))


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"
