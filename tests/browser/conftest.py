"""A live Agora server on a loopback port and a headless Chromium driven by Playwright.

Browser tests skip, saying why, when Chromium or Playwright is missing; CI installs both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("AGORA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server():
    """Serve a fresh migrated SQLite database on 127.0.0.1 in a thread; yields (base_url, app)."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from agora import create_app

    folder = Path(tempfile.mkdtemp(prefix="agora-browser-"))
    app = create_app({
        "ENV": "development", "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'agora.sqlite'}",
        "SECRET_KEY": "browser-test-secret-key-long-enough-0123456789", "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set AGORA_CHROMIUM)")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
