"""A resident's first visit in a real browser: register, confirm, verify residency, Dutch, log out."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import assert_accessible
from sqlalchemy import select

pytestmark = pytest.mark.browser


def test_register_verify_switch_to_dutch_and_log_out(live_server, page):
    base, app = live_server
    from agora.accounts.models import OutboxMessage
    from agora.census.models import CensusEntry, District
    from agora.census.services import hash_document
    from agora.db import db

    with app.app_context():
        # The live database is shared by every journey: reuse the district if another created it.
        district = db.session.scalar(select(District).where(District.name == "Kessel-Lo")) or District(name="Kessel-Lo")
        db.session.add(CensusEntry(document_hash=hash_document("BE1234567"), date_of_birth=date(1988, 4, 9),
                                   postal_code="3010", district=district))
        db.session.commit()

    page.goto(base + "/")
    assert_accessible(page, "home page")
    page.get_by_role("link", name="Register").first.click()
    assert_accessible(page, "registration form")
    page.get_by_label("Name shown to others").fill("Lotte")
    page.get_by_label("E-mail address").fill("lotte@example.org")
    page.get_by_label("Password", exact=True).fill("a good long passphrase")
    page.get_by_label("Repeat the password").fill("a good long passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    with app.app_context():
        body = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.recipient == "lotte@example.org")).one()
    link = re.search(r"https?://\S+", body).group(0)
    assert link.startswith(base)  # links in mail point at the site that sent them
    page.goto(link)
    page.get_by_role("heading", name="Verify my residency").wait_for()
    assert_accessible(page, "verification form")

    page.get_by_label("Identity document number").fill("BE 1234567")
    page.get_by_label("Date of birth").fill("1988-04-09")
    page.get_by_label("Postal code").fill("3010")
    page.get_by_role("button", name="Verify my residency").click()
    page.get_by_text("Your residency is verified").first.wait_for()

    # The language menu switches on change with JavaScript (the button is there without it).
    page.wait_for_load_state("load")  # the script that switches on change is loaded (defer)
    page.get_by_label("Language").first.select_option("nl")
    page.wait_for_selector('html[lang="nl"]')
    assert_accessible(page, "home page in Dutch")
    assert page.get_by_role("button", name="Uitloggen").is_visible()
    page.get_by_role("button", name="Uitloggen").click()
    page.get_by_text("Je bent uitgelogd.").wait_for()
    assert page.get_by_role("link", name="Inloggen").first.is_visible()
