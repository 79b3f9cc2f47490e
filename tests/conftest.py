"""Shared fixtures.

Pure-library tests need nothing but ``refdata``. App tests use ``app`` (or ``client``), which
is parametrised over the databases: SQLite always, PostgreSQL too when
``AGORA_TEST_DATABASE_URL`` is set, so one ``pytest`` run covers both. The schema is built
once per database by running the migrations; after each test every row is deleted, so tests
commit for real.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import PG_URL, Auth, make_test_app, reset_postgresql_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
# ../shared/refdata beside the repository; AGORA_REFDATA overrides it.
REFDATA = Path(os.environ.get("AGORA_REFDATA", REPO_ROOT.parent / "shared" / "refdata"))
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

try:  # property tests: the same examples on every run (reproducible CI), no timing deadline on a busy machine
    from hypothesis import settings

    settings.register_profile("agora", derandomize=True, deadline=None, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "agora"))
except ImportError:  # pragma: no cover - hypothesis comes with the test extra
    pass


@pytest.fixture(scope="session")
def refdata() -> Path:
    """The shared reference data folder, or skip with the reason when it is absent."""
    if not REFDATA.is_dir():
        pytest.skip(f"reference data not found at {REFDATA} (set AGORA_REFDATA or place ../shared beside the repo)")
    return REFDATA


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    """The app on a migrated database of each kind (session-wide; rows cleaned per test)."""
    from flask_migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'agora-test.sqlite'}"
    else:
        url = PG_URL
        reset_postgresql_schema(url)
    application = make_test_app(url)
    with application.app_context():
        upgrade()
    application.config["TEST_BACKEND"] = request.param
    yield application
    with application.app_context():
        from agora.db import db

        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Delete every row after each app test, so the next starts from an empty database."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    from agora.db import db
    from agora.extensions import limiter
    from agora.proposals import listing_cache

    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()
        listing_cache.clear()  # rows were deleted behind the ORM's back
        from agora.proposals import services as proposals

        proposals._VERIFIED_COUNT_CACHE.clear()
        proposals._FILTER_MENUS.clear()
        if "page_cache" in application.extensions:
            application.extensions["page_cache"].clear()


@pytest.fixture
def ctx(app):
    """A request context, for calling services directly as the views do."""
    with app.test_request_context():
        yield
        from agora.db import db

        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)
