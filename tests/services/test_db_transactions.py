"""How transactions end (agora.db.keep_prepared_statements): one that only read keeps psycopg's prepared
statements on PostgreSQL; one that wrote, locked a savepoint or failed is still rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from agora.census.models import District
from agora.db import db


def districts(conn) -> int:
    return conn.execute(select(func.count()).select_from(District)).scalar()


def prepared(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_a_rollback_still_undoes_what_the_transaction_wrote(app):
    with app.app_context(), db.engine.connect() as conn:
        for _ in range(6):
            districts(conn)
        conn.execute(insert(District).values(name="Nowhere"))
        assert districts(conn) == 1
        conn.rollback()
        assert districts(conn) == 0
        db.session.add(District(name="Elsewhere"))
        db.session.flush()
        db.session.rollback()
        assert districts(conn) == 0


def test_a_savepoint_rolled_back_inside_a_read_is_undone(app):
    with app.app_context(), db.engine.connect() as conn:
        districts(conn)
        with conn.begin_nested() as savepoint:
            conn.execute(insert(District).values(name="Nowhere"))
            savepoint.rollback()
        conn.rollback()
        assert districts(conn) == 0


def test_a_failed_statement_ends_in_a_rollback(app):
    with app.app_context(), db.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT no_such_column FROM districts"))
        conn.rollback()  # a COMMIT here would fail on PostgreSQL's aborted transaction
        assert districts(conn) == 0


def test_reading_keeps_the_prepared_statements_on_postgresql(app):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (psycopg prepares a query run five times)")
    with app.app_context(), db.engine.connect() as conn:
        for _ in range(6):
            districts(conn)
        conn.rollback()  # what ends every request that only read
        assert prepared(conn) >= 1
        conn.execute(insert(District).values(name="Nowhere"))
        conn.rollback()  # a real ROLLBACK: psycopg then forgets them, as it should after a write
        assert prepared(conn) == 0
        assert districts(conn) == 0


# --- pooled connections are pinged only after waiting (agora.db.ping_idle_connections) ------------------


@pytest.fixture
def small_engine(app):
    """An engine of its own on the test database, with one pooled connection, pinged after 2 s idle."""
    from sqlalchemy import create_engine

    from agora.db import ping_idle_connections

    with app.app_context():
        engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds=2)
    yield engine
    engine.dispose()


def count_pings(engine, monkeypatch) -> list:
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or ping(dbapi_connection))
    return pings


def one(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar()


def test_a_connection_in_steady_use_is_not_pinged_one_left_waiting_is(small_engine, monkeypatch):
    import agora.db

    pings = count_pings(small_engine, monkeypatch)
    one(small_engine)  # a new connection: nothing to check
    one(small_engine)  # back from the pool a moment later
    assert pings == []
    later = agora.db.monotonic() + 3
    monkeypatch.setattr(agora.db, "monotonic", lambda: later)
    assert one(small_engine) == 1
    assert len(pings) == 1


def test_a_connection_the_server_dropped_while_it_waited_is_replaced(app, small_engine, monkeypatch):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("a server that drops connections (pg_terminate_backend) is PostgreSQL's")
    import agora.db

    with small_engine.connect() as conn:
        dropped = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with app.app_context(), db.engine.connect() as admin:  # a restart, as far as that connection can tell
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar()
    pings = count_pings(small_engine, monkeypatch)
    later = agora.db.monotonic() + 3
    monkeypatch.setattr(agora.db, "monotonic", lambda: later)
    with small_engine.connect() as conn:  # the ping fails, the pool connects again: the caller never knows
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != dropped
    assert len(pings) == 1


# --- pages that only read (agora.db.reads_only) --------------------------------------------------------


def test_a_reads_only_page_skips_the_transaction_and_refuses_to_write(app):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("autocommit reads are for PostgreSQL (SQLite's reads cost no round trips)")
    from agora.db import reads_only

    seen = {}

    @reads_only
    def page():
        seen["autocommit"] = db.session.connection().connection.driver_connection.autocommit
        seen["districts"] = db.session.scalar(select(func.count()).select_from(District))
        db.session.add(District(name="Nowhere"))
        db.session.flush()

    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="not a SELECT"):
            page()
        db.session.rollback()
    assert seen == {"autocommit": True, "districts": 0}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(District)) == 0
        db.session.remove()
        # The pool hands the connection back in its usual mode: later requests have their transactions.
        for _ in range(3):
            with db.engine.connect() as conn:
                assert conn.connection.driver_connection.autocommit is False


def test_a_reads_only_page_keeps_the_transaction_a_signed_in_request_began(app):
    """Loading the signed-in user already began a transaction: the page then reads in it, as before."""
    from agora.db import reads_only

    seen = {}

    @reads_only
    def page():
        seen["in transaction"] = db.session().in_transaction()
        seen["districts"] = db.session.scalar(select(func.count()).select_from(District))

    with app.test_request_context("/"):
        db.session.scalar(select(func.count()).select_from(District))
        page()
        db.session.remove()
    assert seen == {"in transaction": True, "districts": 0}
