"""A clerk draws a citizens' panel in a real browser: create the panel, upload a generated pool of 500,
set quotas (live feasibility), publish the commitment, enter the seed, follow the background draw, open
the public result (axe), download the pool, quotas and result and verify them with the command shown on
the page, then record a drop-out and see the replacement."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_accessible
from helpers import PASSWORD, make_user
from panels_helpers import pool_csv

pytestmark = pytest.mark.browser
REPO_ROOT = Path(__file__).resolve().parents[2]
FEATURES = "gender: female, male, other\nage_group (Age group): young, middle, older\neducation: primary, secondary, higher"


def _generated_pool(path: Path, n: int = 500) -> Path:
    """500 respondents answering the three questions above (no census needed for these values)."""
    text = pool_csv(n, names=["gender", "age_band", "education"], seed=500)
    rename = {"16-29": "young", "30-44": "middle", "45-64": "middle", "65+": "older"}
    lines = text.splitlines()
    out = [lines[0].replace("age_band", "age_group")]
    for line in lines[1:]:
        cells = line.split(",")
        cells[1] = rename[cells[1]]
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _login(page, base, email):
    page.goto(base + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    page.wait_for_url(lambda url: "/account/login" not in url)


def test_clerk_draws_a_panel_in_public_and_anyone_can_verify_it(live_server, page, tmp_path):
    base, app = live_server
    from agora.permissions import Role

    with app.app_context():
        make_user("panels-clerk@example.org", roles=[Role.CLERK])
    _login(page, base, "panels-clerk@example.org")

    # 1. The panel.
    page.goto(base + "/panels/new")
    page.get_by_label("Title").fill("Journey panel for Wijgmaal")
    page.get_by_label("Description (Markdown)").fill("Twenty residents set **goals** for the district.")
    page.get_by_label("Panel size").fill("20")
    page.get_by_label("Feature questions").fill(FEATURES)
    page.get_by_role("button", name="Save the panel").click()
    page.get_by_role("heading", name="Journey panel for Wijgmaal").wait_for()
    panel_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Publish the panel").click()
    page.get_by_text("The panel is published").wait_for()

    # 2. The pool: a generated CSV of 500 people.
    page.get_by_role("link", name="Respondents").first.click()
    page.get_by_label("Respondents file (CSV)").set_input_files(str(_generated_pool(tmp_path / "respondents.csv")))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("respondents.csv: 500 respondents added").wait_for()

    # 3. Quotas: proposed, then edited with the live feasibility check (JavaScript), then saved.
    page.get_by_role("link", name="Quotas").first.click()
    page.get_by_role("button", name="Propose quotas").click()
    page.get_by_text("Proposed quotas are filled in below").wait_for()
    minimum, maximum = page.get_by_label("Minimum for Gender = female"), page.get_by_label("Maximum for Gender = female")
    original = minimum.input_value(), maximum.input_value()
    maximum.fill("20")
    minimum.fill("20")  # twenty women, but men and others have minimums too
    page.get_by_text("Suggested relaxation").wait_for()
    assert "cannot be met" in page.locator("#feasibility .infeasible").inner_text()
    assert "For gender = female" in page.locator("#feasibility .suggestions").inner_text()
    minimum.fill(original[0])
    maximum.fill(original[1])
    page.locator("#feasibility .feasible").wait_for()
    assert "These quotas can be met" in page.locator("#feasibility").inner_text()
    page.get_by_role("button", name="Save the quotas").click()
    page.get_by_text("The quotas are saved.").wait_for()

    # 4. Commitment, then the seed; the draw runs in the background and the page follows it.
    page.get_by_role("link", name="Commitment and draw").first.click()
    page.get_by_label("Alternates").fill("10")
    page.get_by_role("button", name="Publish the commitment").click()
    page.get_by_text("The commitment is published").wait_for()
    pool_sha = page.locator("#pool-sha256").inner_text()
    quotas_sha = page.locator("#quotas-sha256").inner_text()
    page.get_by_role("textbox", name="Seed").fill("5-3-6-1")
    page.get_by_role("button", name="Enter the seed and draw").click()
    page.wait_for_url(f"**/panels/{panel_id}/result", timeout=120_000)

    # 5. The public result, checked by axe-core, with the downloads and the verify command.
    page.get_by_role("heading", name="Result of the draw: Journey panel for Wijgmaal").wait_for()
    assert page.locator("#pool-sha256").inner_text() == pool_sha
    assert page.locator("#draw-seed").inner_text() == "5-3-6-1"
    assert page.locator("svg.panel-chart").count() == 2
    assert_accessible(page, "panel result page")
    for link in ("#download-pool", "#download-quotas", "#download-result"):
        with page.expect_download() as info:
            page.locator(link).click()
        download = info.value
        download.save_as(tmp_path / download.suggested_filename)
    assert hashlib.sha256((tmp_path / f"panel-{panel_id}-pool.csv").read_bytes()).hexdigest() == pool_sha
    assert hashlib.sha256((tmp_path / f"panel-{panel_id}-quotas.csv").read_bytes()).hexdigest() == quotas_sha
    command = shlex.split(page.locator("#verify-command").inner_text())
    assert command[:4] == ["python", "-m", "sortition", "verify"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # this checkout's library, as a citizen would install it
    run = subprocess.run([sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True, env=env,
                         timeout=300, check=False)
    assert run.returncode == 0 and "verified" in run.stdout, run.stdout + run.stderr

    # Anonymous visitors see the same public page, and no one's name.
    anonymous = page.context.browser.new_context(locale="en-GB").new_page()
    anonymous.goto(f"{base}/panels/{panel_id}/result")
    assert "@example.org" not in anonymous.content()
    assert anonymous.goto(f"{base}/panels/{panel_id}/people").url.startswith(base + "/account/login")
    anonymous.context.close()

    # 6. A drop-out, replaced from the alternates.
    page.get_by_role("link", name="Selected people").first.click()
    first_row = page.locator("table").first.locator("tbody tr").first
    leaving = first_row.locator("th").inner_text()
    first_row.get_by_label(f"Reason for {leaving}").fill("moved abroad")
    first_row.get_by_role("button", name="Record drop-out").click()
    page.get_by_text("The drop-out is recorded. Replacement:").wait_for()
    log = page.locator("#replacement-log").inner_text()
    assert f"{leaving} left (moved abroad); replaced by " in log
    assert page.get_by_role("heading", name="On the panel (20)").is_visible()
    assert page.get_by_role("heading", name="Left the panel (1)").is_visible()
