"""Panel invitations in a real browser: a clerk draws the invitation list with a published seed,
opens the printable letters, and a resident signs up with the code printed on one of them."""

from __future__ import annotations

import pytest
from conftest import assert_accessible
from conftest import log_in as _login
from helpers import make_user

pytestmark = pytest.mark.browser

DISTRICTS = {"Invitatie-Noord": 30, "Invitatie-Zuid": 20}



def _register_csv() -> str:
    lines = ["document_number,date_of_birth,postal_code,district,full_name,address,language"]
    n = 0
    for district, population in DISTRICTS.items():
        for i in range(population):
            n += 1
            lines.append(f"INVJ{n:05d},1975-04-0{1 + n % 9},3020,{district},Journey Resident {n},"
                         f"{district}laan {i // 2 + 1},{'en' if n % 2 else ''}")
    return "\n".join(lines) + "\n"


def test_clerk_draws_invitations_and_a_resident_signs_up_with_a_letter_code(live_server, page, browser):
    base, app = live_server
    from sqlalchemy import select

    from agora.census.models import District
    from agora.census.services import import_census
    from agora.db import db, unit_of_work
    from agora.panels.models import Panel, Respondent
    from agora.permissions import Role

    with app.app_context():
        make_user("invitations-clerk@example.org", roles=[Role.CLERK])
        with unit_of_work():
            import_census("journey", _register_csv(), filename="journey-register.csv")
        panel = Panel(title="Noord-Zuid mobility panel", description="How do we cross the ring road?", size=12,
                      open_to_volunteers=False, features=[
                          {"name": "gender", "label": "Gender", "values": ["woman", "man", "other"]},
                          {"name": "age", "label": "Age band", "values": ["16-29", "30-64", "65+"]}])
        panel.districts = list(db.session.scalars(select(District).where(District.name.in_(DISTRICTS))))
        db.session.add(panel)
        db.session.commit()
        panel_id = panel.id

    # The clerk draws 10 invitations with the seed rolled in public.
    _login(page, base, "invitations-clerk@example.org")
    page.goto(f"{base}/panels/{panel_id}/invitations")
    page.get_by_label("Number of invitations").fill("10")
    page.get_by_label("Published seed").fill("3-1-4-1-5")
    page.get_by_role("button", name="Draw the invitations").click()
    page.get_by_text("10 invitations drawn").wait_for()
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").last.inner_text() == "6"  # 30 of 50 residents: 6 letters
    assert rows.nth(1).locator("td").last.inner_text() == "4"
    assert_accessible(page, "invitations page")

    # The letters: one per page when printed, each with a code and the sign-up address.
    page.get_by_role("link", name="Print the letters").first.click()
    letters = page.locator("article.letter")
    letters.first.wait_for()
    assert letters.count() == 10
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert letters.first.evaluate("el => getComputedStyle(el).breakAfter") == "page"
    page.emulate_media(media="screen")
    code = letters.first.locator(".code").inner_text()
    assert len(code) == 11 and code[5] == "-"
    assert f"/panels/{panel_id}/signup" in letters.first.inner_text()

    # A resident, not logged in, opens the sign-up page in another browser and uses the code.
    context = browser.new_context(locale="en-GB")
    resident = context.new_page()
    resident.goto(f"{base}/panels/{panel_id}/signup")
    resident.get_by_role("heading", name="Sign up for the citizens' panel").wait_for()
    assert_accessible(resident, "sign-up page")
    resident.get_by_label("Invitation code").fill("AAAAA-BBBBB")
    resident.get_by_label("Gender").select_option("woman")
    resident.get_by_label("Age band").select_option("30-64")
    resident.get_by_label("Full name").fill("Journey Resident")
    resident.get_by_label("E-mail address").fill("journey.resident@example.org")
    resident.get_by_label("I agree").check()
    resident.get_by_role("button", name="Sign up").click()
    resident.get_by_text("not valid for this panel").wait_for()
    assert_accessible(resident, "sign-up page with an error")
    # What was typed is kept; only the code needs correcting.
    assert resident.get_by_label("Full name").input_value() == "Journey Resident"
    resident.get_by_label("Invitation code").fill(code.lower())
    resident.get_by_label("I agree").check()
    resident.get_by_role("button", name="Sign up").click()
    resident.get_by_role("heading", name="You are signed up").wait_for()
    thanks = resident.content()
    context.close()

    # The clerk sees the sign-up; the letter with the used code is no longer printed.
    page.goto(f"{base}/panels/{panel_id}/invitations")
    assert "journey.resident@example.org" in page.content()
    page.goto(f"{base}/panels/{panel_id}/invitations/letters")
    assert page.locator("article.letter").count() == 9
    with app.app_context():
        respondent = db.session.scalars(select(Respondent).where(Respondent.panel_id == panel_id)).one()
        assert respondent.source == "invitation" and respondent.features == {"gender": "woman", "age": "30-64"}
        assert f"anonymous number in the pool: {respondent.number}." in thanks
