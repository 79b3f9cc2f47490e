"""Migrations build the schema from nothing on each database, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from helpers import PG_URL, make_test_app, reset_postgresql_schema
from sqlalchemy import inspect

from agora.db import db, include_name


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_head_on_empty_database_matches_models(backend, tmp_path):
    if backend == "postgresql":
        if not PG_URL:
            pytest.skip("AGORA_TEST_DATABASE_URL is not set")
        schema = "agora_migration_check"
        reset_postgresql_schema(PG_URL, schema)
        app = make_test_app(PG_URL, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}})
    else:
        app = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "census_entries", "audit", "alembic_version"} <= tables
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_name": include_name}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()
    if backend == "postgresql":
        reset_postgresql_schema(PG_URL, schema)


def test_upgrade_keeps_rows_that_refer_to_a_rebuilt_table(tmp_path):
    """SQLite alters a table by rebuilding it: the rows pointing at it (a vote's options) must survive.

    Stops before the migration that gives votes their panel column, stores a vote with options,
    upgrades to the head, and finds every row still there.
    """
    from sqlalchemy import text

    app = make_test_app(f"sqlite:///{tmp_path / 'upgrade.sqlite'}")
    with app.app_context():
        upgrade(revision="648779ba76fe")  # the head before "votes for a panel's members"
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO votes (id, title, description, method, seats, stv_rule, overvote_rule, skipped_rule,"
                " tie_break, lot_seed, eligibility, opens_at, closes_at, created_at) VALUES (1, 'Square', '', 'irv',"
                " 1, 'wigm', 'reject', 'reject', 'lot', 7, 'all', '2026-01-01', '2026-02-01', '2025-12-01')"))
            conn.execute(text("INSERT INTO vote_options (vote_id, position, label) VALUES (1, 1, 'Trees'),"
                              " (1, 2, 'Benches')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM vote_options WHERE vote_id = 1")).scalar() == 2
            assert conn.execute(text("SELECT panel_id FROM votes WHERE id = 1")).scalar() is None
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1, "foreign keys are on again"
        db.engine.dispose()
