"""Invitation pages, public sign-up and the confirm/decline page through the test client."""

from __future__ import annotations

import pytest
from helpers import csrf_token, make_user, post_form
from panel_invitations_helpers import codes, draw, drawn_panel, import_register, make_panel, signup_data
from sqlalchemy import func, select

from agora.db import db, unit_of_work
from agora.panels import invitation_services as services
from agora.panels.models import PanelMember, Respondent
from agora.permissions import Role


@pytest.fixture
def panel(app):
    with app.test_request_context():
        import_register({"Centrum": 20, "Heverlee": 20})
        panel = make_panel(open_to_volunteers=False)
        draw(panel, 6, seed="7-7-7")
        panel_id, panel_codes = panel.id, codes(panel)
        db.session.remove()
    return panel_id, panel_codes


def _signup(code: str = "", **overrides) -> dict:
    data = {"code": code, "feature_0": "woman", "feature_1": "30-64", "full_name": "Rita Peeters",
            "email": "rita.peeters@example.org", "phone": "", "consent": "y"}
    data.update(overrides)
    return data


CLERK_PAGES = ["/panels/{id}/invitations", "/panels/{id}/invitations/letters", "/panels/{id}/invitations/addresses.csv",
               "/panels/{id}/confirmations", "/panels/{id}/confirmations.csv"]


@pytest.mark.parametrize("url", CLERK_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, panel, url):
    response = client.get(url.format(id=panel[0]))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("url", CLERK_PAGES)
@pytest.mark.parametrize("who", ["resident", "verified", "moderator"])
def test_residents_and_moderators_cannot_see_invitations(app, client, auth, panel, url, who):
    with app.app_context():
        make_user(f"{who}@example.org", roles=[Role.MODERATOR] if who == "moderator" else [],
                  verified=who == "verified")
    auth.login(f"{who}@example.org")
    response = client.get(url.format(id=panel[0]))
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert not any(code in body for code in panel[1]) and "Centrumstraat" not in body


def test_clerk_draws_and_prints_letters(app, client, auth):
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
        import_register({"Centrum": 30, "Heverlee": 20})
        panel_id = make_panel().id
    auth.login("clerk@example.org")
    page = client.get(f"/panels/{panel_id}/invitations")
    assert page.status_code == 200 and "Draw invitations" in page.get_data(as_text=True)
    bad = post_form(client, f"/panels/{panel_id}/invitations", {"count": "0", "seed": ""})
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert 'id="count-error"' in body and 'id="seed-error"' in body
    done = post_form(client, f"/panels/{panel_id}/invitations", {"count": "10", "seed": "2-4-6"},
                     follow_redirects=True)
    body = done.get_data(as_text=True)
    assert "10 invitations drawn" in body and "2-4-6" in body
    assert done.headers["Cache-Control"] == "no-store"
    letters = client.get(f"/panels/{panel_id}/invitations/letters")
    text = letters.get_data(as_text=True)
    assert letters.status_code == 200 and text.count('class="letter"') == 10
    with app.test_request_context():
        the_panel = services.get_panel(panel_id)
        panel_codes = codes(the_panel)
        languages = [i.language or "en" for i in services.list_invitations("cli", the_panel)]
        draw_id = services.list_draws("cli", the_panel)[0].id
    assert all(code in text for code in panel_codes)
    assert f"http://localhost/panels/{panel_id}/signup" in text
    # Each letter in its resident's language (the register's, else the city's default).
    sign_up_at = {"en": "Sign up at:", "nl": "Schrijf je in op:", "fr": "Inscrivez-vous sur :", "es": "Inscríbase en:"}
    for language in set(languages):
        assert text.count(f'<article class="letter" lang="{language}">') == languages.count(language)
        assert text.count(sign_up_at[language]) == languages.count(language), language
    assert len(set(languages)) >= 2
    csv_response = client.get(f"/panels/{panel_id}/invitations/addresses.csv")
    assert csv_response.mimetype == "text/csv" and csv_response.get_data(as_text=True).count("\n") == 11
    verify = post_form(client, f"/panels/{panel_id}/invitations/{draw_id}/verify", follow_redirects=True)
    assert f"Draw {draw_id} reproduces" in verify.get_data(as_text=True)


def test_sign_up_with_a_code_then_the_thanks_page(client, panel):
    panel_id, panel_codes = panel
    page = client.get(f"/panels/{panel_id}/signup")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="code"' in body and "Gender" in body and "Age band" in body and 'name="consent"' in body
    response = post_form(client, f"/panels/{panel_id}/signup", _signup(panel_codes[0].lower()))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/panels/{panel_id}/signup/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    with client.application.app_context():
        number = db.session.scalars(select(Respondent.number)).one()
    assert "You are signed up" in thanks and f"anonymous number in the pool: {number}." in thanks
    # The same code a second time.
    again = post_form(client, f"/panels/{panel_id}/signup", _signup(panel_codes[0], email="x@example.org"))
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


@pytest.mark.parametrize(("field", "overrides", "message"), [
    ("code", {"code": ""}, "Enter the invitation code"),
    ("code", {"code": "AAAAA-BBBBB"}, "not valid for this panel"),
    ("feature_0", {"feature_0": ""}, "Answer this question"),
    ("feature_1", {"feature_1": "200+"}, "Not a valid choice"),
    ("full_name", {"full_name": ""}, "This field is required"),
    ("email", {"email": "nope"}, "valid e-mail"),
    ("phone", {"phone": "call me"}, "phone number"),
    ("consent", {"consent": ""}, "Agree to the processing"),
])
def test_sign_up_errors_are_shown_at_their_field(client, panel, field, overrides, message):
    panel_id, panel_codes = panel
    response = post_form(client, f"/panels/{panel_id}/signup", _signup(**{"code": panel_codes[1], **overrides}))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    start = body.index(f'id="{field}-error"')
    assert message.lower() in body[start:start + 300].lower()
    assert 'aria-invalid="true"' in body
    # The rest of what was typed is kept.
    if field != "full_name":
        assert 'value="Rita Peeters"' in body


def test_wrong_codes_are_rate_limited_but_form_mistakes_are_not(client, panel):
    panel_id, panel_codes = panel
    for _ in range(6):  # mistakes other than the code do not count
        assert post_form(client, f"/panels/{panel_id}/signup", _signup(panel_codes[2], consent="")).status_code == 400
    for i in range(5):
        response = post_form(client, f"/panels/{panel_id}/signup", _signup(f"AAAAA-BBBB{'CDEFG'[i]}"))
        assert response.status_code == 400
    blocked = post_form(client, f"/panels/{panel_id}/signup", _signup(panel_codes[2]))
    assert blocked.status_code == 429
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


def test_sign_up_refuses_a_post_without_csrf_token(client, panel):
    panel_id, panel_codes = panel
    client.get(f"/panels/{panel_id}/signup")
    response = client.post(f"/panels/{panel_id}/signup", data=_signup(panel_codes[0]))
    assert response.status_code == 400
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


def test_verified_residents_volunteer_when_the_panel_is_open(app, client, auth):
    with app.app_context():
        make_user("vera@example.org", name="Vera", verified=True, district="Centrum")
        panel_id = make_panel(status="signup", open_to_volunteers=True).id
    auth.login("vera@example.org")
    page = client.get(f"/panels/{panel_id}/signup").get_data(as_text=True)
    assert "open to volunteers" in page and 'value="vera@example.org"' in page
    response = post_form(client, f"/panels/{panel_id}/signup", _signup("", email="vera@example.org"))
    assert response.status_code == 303
    with app.app_context():
        respondent = db.session.scalars(select(Respondent)).one()
        assert respondent.source == "volunteer" and respondent.email == "vera@example.org"


def test_sign_up_page_of_a_closed_panel(app, client):
    with app.app_context():
        panel_id = make_panel(status="drawn").id
    body = client.get(f"/panels/{panel_id}/signup").get_data(as_text=True)
    assert "Sign-up for this panel is not open" in body and 'name="code"' not in body
    assert client.get("/panels/9999/signup").status_code == 404


def _selected(app, panel_id: int) -> str:
    with app.test_request_context():
        panel = services.get_panel(panel_id)
        with unit_of_work():
            respondent = services.sign_up(None, panel, signup_data(codes(panel)[3]))
        respondent.status = "selected"
        panel.status = "drawn"
        db.session.commit()
        return services.seat_token(respondent)


def test_selected_person_confirms_after_logging_in(app, client, auth, panel):
    token = _selected(app, panel[0])
    url = f"/panels/{panel[0]}/seat/{token}"
    page = client.get(url).get_data(as_text=True)
    assert "r***@example.org" in page and "Log in" in page
    # Confirming needs a login: the form posts back through the login page.
    assert client.post(f"{url}/confirm", data={"csrf_token": csrf_token(client, url)}).status_code == 302
    with app.app_context():
        make_user("rita.peeters@example.org", name="Rita")
    auth.login("rita.peeters@example.org")
    done = post_form(client, f"{url}/confirm", follow_redirects=True)
    assert "your seat on the panel is confirmed" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 1
        assert db.session.scalars(select(Respondent)).one().status == "confirmed"


def test_someone_else_cannot_confirm_but_the_person_can_decline_without_an_account(app, client, auth, monkeypatch):
    with app.test_request_context():
        panel, selected = drawn_panel(app, monkeypatch)
        panel_id, selected_id, token = panel.id, selected.id, services.seat_token(selected)
        make_user("other@example.org")
        db.session.remove()
    url = f"/panels/{panel_id}/seat/{token}"
    auth.login("other@example.org")
    refused = post_form(client, f"{url}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "Log in with the e-mail address you signed up with" in refused
    auth.logout()
    declined = post_form(client, f"{url}/decline", {"reason": "Abroad"}, follow_redirects=True)
    assert "You have declined your seat" in declined.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Respondent, selected_id).status == "declined"
        assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 0
        # A replacement was drawn from the alternates by the panels services.
        replaced = db.session.scalars(select(Respondent).where(
            Respondent.panel_id == panel_id, Respondent.status_reason.like("Replaces%"))).all()
        assert len(replaced) == 1 and replaced[0].status == "selected"
    assert client.get(f"/panels/{panel_id}/seat/forged-token").status_code == 400


def test_clerk_lists_and_exports_confirmation_links(app, client, auth, panel):
    token = _selected(app, panel[0])
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
    auth.login("clerk@example.org")
    # Links are signed with a timestamp: compare the person's part, which the second does not change.
    person = token.split(".")[0]
    page = client.get(f"/panels/{panel[0]}/confirmations").get_data(as_text=True)
    assert f"/seat/{person}." in page and "Rita Peeters" in page
    exported = client.get(f"/panels/{panel[0]}/confirmations.csv")
    assert exported.mimetype == "text/csv" and f"/seat/{person}." in exported.get_data(as_text=True)
    mailed = post_form(client, f"/panels/{panel[0]}/confirmations/mail", follow_redirects=True)
    assert "1 confirmation links sent" in mailed.get_data(as_text=True)


def test_the_panel_links_partial_shows_clerk_tools_to_clerks_only(app, client, auth):
    from flask import render_template_string

    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
        panel_id = make_panel(status="inviting").id
    template = '{% include "panels/invitations/_panel_links.html" %}'
    with app.test_request_context():
        html = render_template_string(template, panel=services.get_panel(panel_id))
    assert f"/panels/{panel_id}/signup" in html and "/invitations" not in html
    auth.login("clerk@example.org")
    with client:
        client.get("/")
        html = render_template_string(template, panel=services.get_panel(panel_id))
    assert f"/panels/{panel_id}/invitations" in html and f"/panels/{panel_id}/confirmations" in html
