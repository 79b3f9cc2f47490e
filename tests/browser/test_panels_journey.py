"""A clerk draws a citizens' panel in a real browser, the whole journey of issue 7 on a pool of 500:
create the panel for two districts, draw invitation letters from the census with a published seed,
two invited residents sign up with the codes on their letters, the clerk uploads the other 498
respondents as a CSV, sets quotas (live feasibility), publishes the commitment, enters the seed,
follows the background draw, opens the public result (axe), downloads the pool, quotas and result
and verifies them with the command shown on the page, then records a drop-out and sees the replacement."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_accessible
from conftest import log_in as _login
from helpers import make_user
from panels_helpers import pool_csv

pytestmark = pytest.mark.browser
REPO_ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("gender: female, male, other\nage_group (Age group): young, middle, older\n"
            "education: primary, secondary, higher")


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



DISTRICTS = {"Wijgmaal-Dorp": 36, "Wijgmaal-Brug": 24}


def _register_csv() -> str:
    """The census register of the two districts: names and addresses for the invitation letters."""
    lines = ["document_number,date_of_birth,postal_code,district,full_name,address,language"]
    n = 0
    for district, population in DISTRICTS.items():
        for i in range(population):
            n += 1
            lines.append(f"WJG{n:05d},1970-06-1{n % 9},3018,{district},Wijgmaal Resident {n},"
                         f"{district}straat {i + 1},{'nl' if n % 3 else 'en'}")
    return "\n".join(lines) + "\n"


def _sign_up(browser, base, panel_id, code, name, answers):
    """An invited resident, not logged in, signs up in a browser of their own with their letter's code."""
    context = browser.new_context(locale="en-GB")
    resident = context.new_page()
    resident.goto(f"{base}/panels/{panel_id}/signup")
    resident.get_by_label("Invitation code").fill(code)
    for label, value in answers.items():
        resident.get_by_label(label, exact=True).select_option(value)
    resident.get_by_label("Full name").fill(name)
    resident.get_by_label("E-mail address").fill(name.lower().replace(" ", ".") + "@example.org")
    resident.get_by_label("I agree").check()
    resident.get_by_role("button", name="Sign up").click()
    resident.get_by_role("heading", name="You are signed up").wait_for()
    context.close()


def test_clerk_draws_a_panel_in_public_and_anyone_can_verify_it(live_server, page, browser, tmp_path):
    base, app = live_server
    from agora.census.services import import_census
    from agora.db import unit_of_work
    from agora.permissions import Role

    with app.app_context():
        make_user("panels-clerk@example.org", roles=[Role.CLERK])
        with unit_of_work():
            import_census("panels-journey", _register_csv(), filename="wijgmaal-register.csv")
    _login(page, base, "panels-clerk@example.org")

    # 1. The panel.
    page.goto(base + "/panels/new")
    page.get_by_label("Title").fill("Journey panel for Wijgmaal")
    page.get_by_label("Description (Markdown)").fill("Twenty residents set **goals** for the district.")
    page.get_by_label("Panel size").fill("20")
    page.get_by_label("Feature questions").fill(FEATURES)
    page.get_by_label("Districts").select_option(list(DISTRICTS))
    page.get_by_role("button", name="Save the panel").click()
    page.get_by_role("heading", name="Journey panel for Wijgmaal").wait_for()
    panel_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Publish the panel").click()
    page.get_by_text("The panel is published").wait_for()

    # 2. Invitations: letters drawn from the census with a published seed, in proportion to each district.
    page.get_by_role("link", name="Invitations and sign-ups").click()
    page.get_by_label("Number of invitations").fill("10")
    page.get_by_label("Published seed").fill("2-7-1-8")
    page.get_by_role("button", name="Draw the invitations").click()
    page.get_by_text("10 invitations drawn").wait_for()
    page.get_by_role("link", name="Print the letters").first.click()
    letters = page.locator("article.letter")
    letters.first.wait_for()
    assert letters.count() == 10
    codes = [letters.nth(i).locator(".code").inner_text() for i in range(2)]

    # 3. Two invited residents sign up with the codes on their letters.
    _sign_up(browser, base, panel_id, codes[0], "Lotte Wijgmaal",
             {"Gender": "female", "Age group": "young", "Education": "higher"})
    _sign_up(browser, base, panel_id, codes[1], "Bram Wijgmaal",
             {"Gender": "male", "Age group": "older", "Education": "secondary"})
    page.goto(f"{base}/panels/{panel_id}/invitations")
    assert "lotte.wijgmaal@example.org" in page.content() and "bram.wijgmaal@example.org" in page.content()

    # 4. The rest of the pool: the clerk uploads the other 498 respondents as a CSV.
    page.goto(f"{base}/panels/{panel_id}")
    page.get_by_role("link", name="Respondents").first.click()
    page.get_by_label("Respondents file (CSV)").set_input_files(
        str(_generated_pool(tmp_path / "respondents.csv", n=498)))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("respondents.csv: 498 respondents added").wait_for()
    with app.app_context():
        from sqlalchemy import func, select

        from agora.db import db
        from agora.panels.models import Respondent

        sources = dict(db.session.execute(select(Respondent.source, func.count()).where(
            Respondent.panel_id == panel_id).group_by(Respondent.source)).all())
        assert sources == {"invitation": 2, "upload": 498}

    # 5. Quotas: proposed, then edited with the live feasibility check (JavaScript), then saved.
    page.get_by_role("link", name="Quotas").first.click()
    page.get_by_role("button", name="Propose quotas").click()
    page.get_by_text("Proposed quotas are filled in below").wait_for()
    assert_accessible(page, "quotas page")
    minimum = page.get_by_label("Minimum for Gender = female")
    maximum = page.get_by_label("Maximum for Gender = female")
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

    # 6. Commitment, then the seed; the draw runs in the background and the page follows it.
    page.get_by_role("link", name="Commitment and draw").first.click()
    page.get_by_label("Alternates").fill("10")
    page.get_by_role("button", name="Publish the commitment").click()
    page.get_by_text("The commitment is published").wait_for()
    assert_accessible(page, "draw page after the commitment")
    pool_sha = page.locator("#pool-sha256").inner_text()
    quotas_sha = page.locator("#quotas-sha256").inner_text()
    page.get_by_role("textbox", name="Seed").fill("5-3-6-1")
    page.get_by_role("button", name="Enter the seed and draw").click()
    page.wait_for_url(f"**/panels/{panel_id}/result", timeout=120_000)

    # 7. The public result, checked by axe-core, with the downloads and the verify command.
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
    anonymous.goto(f"{base}/panels/{panel_id}")
    assert_accessible(anonymous, "public panel page")
    anonymous.goto(f"{base}/panels/{panel_id}/result")
    assert "@example.org" not in anonymous.content()
    assert anonymous.goto(f"{base}/panels/{panel_id}/people").url.startswith(base + "/account/login")
    anonymous.context.close()

    # 8. A drop-out, replaced from the alternates.
    page.get_by_role("link", name="Selected people").first.click()
    first_row = page.locator("table").first.locator("tbody tr").first
    leaving = first_row.locator("th").inner_text()
    first_row.get_by_label(f"Reason for {leaving}").fill("moved abroad")
    first_row.get_by_role("button", name="Record drop-out").click()
    page.get_by_text("The drop-out is recorded. Replacement:").wait_for()
    assert_accessible(page, "selected people page")
    log = page.locator("#replacement-log").inner_text()
    assert f"{leaving} left (moved abroad); replaced by " in log
    assert page.get_by_role("heading", name="On the panel (20)").is_visible()
    assert page.get_by_role("heading", name="Left the panel (1)").is_visible()
