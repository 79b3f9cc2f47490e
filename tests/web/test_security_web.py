"""Permissions per role, CSRF on every POST, escaping of user text, security headers."""

from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, make_user, post_form

from agora.permissions import Role

STAFF_PAGES = {
    "clerk": ["/census/"],
    "admin": ["/admin/users", "/admin/users/1", "/admin/audit"],
}
STAFF_POSTS = {
    "clerk": ["/census/import"],
    "admin": ["/admin/users/{me}"],
}


def _login(client, email):
    assert post_form(client, "/account/login", {"email": email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("url", STAFF_PAGES["clerk"] + STAFF_PAGES["admin"])
def test_resident_gets_403_on_staff_pages(app, client, url):
    with app.app_context():
        make_user("rita@example.org", verified=True)
    _login(client, "rita@example.org")
    response = client.get(url)
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", STAFF_POSTS["clerk"] + STAFF_POSTS["admin"])
def test_resident_gets_403_on_staff_posts(app, client, url):
    with app.app_context():
        me = make_user("rita@example.org", verified=True).id
    _login(client, "rita@example.org")
    response = post_form(client, url.format(me=me), {"role": "admin", "action": "grant"})
    assert response.status_code == 403
    with app.app_context():
        from agora.accounts.models import User
        from agora.db import db

        assert Role.ADMIN not in db.session.get(User, me).roles


@pytest.mark.parametrize("url", STAFF_PAGES["admin"])
def test_clerk_and_moderator_get_403_on_admin_pages(app, client, url):
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK, Role.MODERATOR])
    _login(client, "clerk@example.org")
    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_admin_grants_and_revokes_roles_with_audit(app, client):
    with app.app_context():
        make_user("admin@example.org", roles=[Role.ADMIN])
        target = make_user("rita@example.org").id
    _login(client, "admin@example.org")
    assert post_form(client, f"/admin/users/{target}", {"role": "clerk", "action": "grant"}).status_code == 302
    assert post_form(client, f"/admin/users/{target}", {"role": "verified", "action": "grant"}).status_code == 400
    page = client.get(f"/admin/users/{target}").get_data(as_text=True)
    assert "Revoke<span" in page
    assert post_form(client, f"/admin/users/{target}", {"role": "clerk", "action": "revoke"}).status_code == 302
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "role.grant" in audit_page and "role.revoke" in audit_page
    verified = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain is intact: 2 entries checked." in verified
    with app.app_context():
        from sqlalchemy import select

        from agora.audit import AuditEntry
        from agora.db import db

        head = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    assert f'<code class="hash">{head}</code>' in verified  # to publish


def test_last_admin_cannot_be_revoked(app, client):
    with app.app_context():
        admin_id = make_user("admin@example.org", roles=[Role.ADMIN]).id
    _login(client, "admin@example.org")
    response = post_form(client, f"/admin/users/{admin_id}", {"role": "admin", "action": "revoke"},
                         follow_redirects=True)
    assert "at least one administrator" in response.get_data(as_text=True)
    with app.app_context():
        from agora.accounts.models import User
        from agora.db import db

        assert Role.ADMIN in db.session.get(User, admin_id).roles


def _post_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "token", rule.rule)
            rules.append(url)
    return sorted(rules)


def test_every_post_without_csrf_token_is_refused(app, client):
    with app.app_context():
        make_user("admin@example.org", roles=[Role.ADMIN, Role.CLERK], verified=True)
    _login(client, "admin@example.org")
    urls = _post_rules(app)
    assert len(urls) >= 10  # the test really walks the app's POST endpoints
    for url in urls:
        response = client.post(url, data={"email": "admin@example.org", "password": PASSWORD, "locale": "nl",
                                          "role": "clerk", "action": "grant"})
        assert response.status_code == 400, url
        assert "The form expired" in response.get_data(as_text=True), url


def test_user_text_is_escaped(app, client):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with app.app_context():
        make_user("admin@example.org", roles=[Role.ADMIN])
        make_user("evil@example.org", name=evil)
    _login(client, "evil@example.org")
    for url in ["/", "/account/settings"]:
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
    post_form(client, "/account/logout")
    _login(client, "admin@example.org")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page and "<script>alert" not in page


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)  # no inline scripts to allow


@pytest.mark.parametrize("lang", ["en", "nl", "fr", "es"])
def test_error_pages_are_translated(client, lang):
    response = client.get("/no-such-page", headers={"Accept-Language": lang})
    assert response.status_code == 404
    expected = {"en": "Page not found", "nl": "Pagina niet gevonden", "fr": "Page introuvable",
                "es": "Página no encontrada"}[lang]
    assert expected in response.get_data(as_text=True)


def test_unexpected_errors_show_a_translated_500_without_details(tmp_path):
    from helpers import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'x.sqlite'}", PROPAGATE_EXCEPTIONS=False)

    @app.get("/_explode")
    def explode():
        raise RuntimeError("internal-detail-xyz")

    response = app.test_client().get("/_explode", headers={"Accept-Language": "es"})
    assert response.status_code == 500
    assert "Algo ha fallado" in response.get_data(as_text=True)
    assert "internal-detail-xyz" not in response.get_data(as_text=True)
