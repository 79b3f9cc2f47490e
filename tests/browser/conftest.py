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
RATE_LIMIT_SETTINGS = [
    "RATELIMIT_LOGIN", "RATELIMIT_REGISTER", "RATELIMIT_SENSITIVE", "RATELIMIT_POSTING", "RATELIMIT_BALLOT",
    "RATELIMIT_COMMITMENTS", "RATELIMIT_BUDGETS",
]
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
        # Every journey logs in from 127.0.0.1 on this one server: raise the per-address limits
        # (they are tested through the test client) so journeys do not throttle each other.
        **{key: "10000 per minute" for key in RATE_LIMIT_SETTINGS},
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


def assert_accessible(page, where: str = "") -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; fail on serious or critical violations."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
    results = axe_module.Axe().run(page, options=options)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in serious)
    assert not serious, f"accessibility violations on {where or page.url}:\n{report}"


def log_in(page, base: str, email: str, password: str | None = None) -> None:
    """Log in through the form as a person would, and wait until the login page is left."""
    from helpers import PASSWORD

    page.goto(base + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password or PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    page.wait_for_url(lambda url: "/account/login" not in url)
