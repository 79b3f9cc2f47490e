"""Accounts through the test client: register, confirm, log in and out, reset, change, delete."""

from __future__ import annotations

import re

from helpers import PASSWORD, make_user, post_form
from sqlalchemy import select

from agora.accounts.models import OutboxMessage, User
from agora.db import db


def _last_mail(to: str) -> OutboxMessage:
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id.desc())
    ).first()


def _link(message: OutboxMessage) -> str:
    url = re.search(r"https?://\S+", message.body).group(0)
    return url.split("localhost", 1)[1]


def test_register_confirm_login_logout(app, client):
    response = post_form(client, "/account/register", {
        "display_name": "Rita", "email": "Rita@Example.org", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rita@example.org"))
        assert user is not None and not user.email_confirmed
        assert user.password_hash.startswith("scrypt:")  # a strong KDF
        link = _link(_last_mail("rita@example.org"))
    assert client.get(link).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "rita@example.org")).email_confirmed
    post_form(client, "/account/logout")
    assert "Log out" not in client.get("/").get_data(as_text=True)
    response = post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_register_existing_address_reveals_nothing(app, client):
    with app.app_context():
        make_user("taken@example.org")
    data = {"display_name": "Other", "email": "taken@example.org", "password": PASSWORD, "password2": PASSWORD}
    response = post_form(client, "/account/register", data)
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
        assert "tried" in _last_mail("taken@example.org").subject


def test_register_rejects_weak_password_and_bad_email(client):
    response = post_form(client, "/account/register", {
        "display_name": "X", "email": "not-an-address", "password": "short", "password2": "short"})
    page = response.get_data(as_text=True)
    assert "Enter a valid e-mail address." in page


def test_login_failure_is_the_same_for_unknown_and_wrong(app, client):
    with app.app_context():
        make_user("rita@example.org")
    wrong = post_form(client, "/account/login", {"email": "rita@example.org", "password": "wrong password"})
    unknown = post_form(client, "/account/login", {"email": "nobody@example.org", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong e-mail address or password." in wrong.get_data(as_text=True)
    assert "Wrong e-mail address or password." in unknown.get_data(as_text=True)


def test_login_is_rate_limited(app, client):
    with app.app_context():
        make_user("rita@example.org")
    responses = [post_form(client, "/account/login", {"email": "rita@example.org", "password": "nope"})
                 for _ in range(11)]
    assert [r.status_code for r in responses[:10]] == [200] * 10
    assert responses[10].status_code == 429
    assert "Too many requests" in responses[10].get_data(as_text=True)
    # Even the right password is refused until the window passes.
    right = post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    assert right.status_code == 429


def test_open_redirect_is_refused(app, client):
    with app.app_context():
        make_user("rita@example.org")
    token_page = client.get("/account/login")
    assert token_page.status_code == 200
    response = post_form(client, "/account/login?next=https://evil.example/", {
        "email": "rita@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_reset_link_works_once(app, client):
    with app.app_context():
        make_user("rita@example.org")
    post_form(client, "/account/forgot", {"email": "rita@example.org"})
    post_form(client, "/account/forgot", {"email": "nobody@example.org"})  # no error, no mail
    with app.app_context():
        link = _link(_last_mail("rita@example.org"))
        assert _last_mail("nobody@example.org") is None
    new = "a brand new passphrase"
    response = post_form(client, link, {"password": new, "password2": new})
    assert response.status_code == 302
    assert post_form(client, "/account/login", {"email": "rita@example.org", "password": new}).status_code == 302
    post_form(client, "/account/logout")
    again = client.get(link)
    assert again.status_code == 302 and "/account/forgot" in again.headers["Location"]


def test_change_password_ends_other_sessions(app, client):
    with app.app_context():
        make_user("rita@example.org")
    other = app.test_client()
    post_form(other, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    new = "another long passphrase"
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "new_password": new, "new_password2": new})
    assert response.status_code == 302
    assert client.get("/account/settings").status_code == 200  # this session continues
    assert other.get("/account/settings").status_code == 302  # the other one is logged out


def test_choose_language_is_remembered(app, client):
    with app.app_context():
        make_user("rita@example.org")
    post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    post_form(client, "/language", {"locale": "nl", "next": "/account/settings"})
    page = client.get("/account/settings").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Mijn account" in page
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.email == "rita@example.org")) == "nl"


def test_anonymous_language_from_accept_language_and_choice(client):
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "fr-BE,fr;q=0.9"}).get_data(as_text=True)
    post_form(client, "/language", {"locale": "es"})
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_delete_account_anonymises_and_keeps_census_link(app, client):
    with app.app_context():
        user = make_user("rita@example.org", verified=True)
        user_id = user.id
    post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD})
    response = post_form(client, "/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        gone = db.session.get(User, user_id)
        assert gone.deleted_at is not None
        assert "rita" not in gone.email and gone.display_name == "—"
        assert gone.residency is not None  # the census entry cannot verify a new account
    assert post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD}).status_code == 200


def test_remember_me_sets_a_secure_flagged_cookie(app, client):
    with app.app_context():
        make_user("rita@example.org")
    response = post_form(client, "/account/login", {"email": "rita@example.org", "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
