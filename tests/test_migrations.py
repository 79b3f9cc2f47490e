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
