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
