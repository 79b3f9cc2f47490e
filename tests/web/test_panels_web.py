"""Panels pages: the clerk's pipeline through forms (no JavaScript), the public pages, and who sees what."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from helpers import make_user, post_form
from panels_helpers import feature_text, pool_csv, proportional_quotas

from agora.db import db
from agora.panels import services
from agora.panels.models import Panel
from agora.permissions import Role

NAMES = ["gender", "age_band", "education"]


def _login(client, email):
    assert post_form(client, "/account/login", {"email": email, "password": "correct horse battery"}).status_code == 302


def _logout(client):
    post_form(client, "/account/logout")


def _create_through_form(client) -> int:
    response = post_form(client, "/panels/new", {
        "title": "Kessel-Lo citizens' panel", "description": "Goals for **Kessel-Lo**.", "size": "12",
        "features": feature_text(NAMES), "signup_closes_at": "2030-01-01T18:00", "draw_at": "2030-01-10T19:00",
        "work_ends_at": "2030-06-30T18:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _drawn_panel(app, monkeypatch) -> int:
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    from agora.db import unit_of_work

    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    panel = services.create_panel(clerk, services.PanelData(title="Wilsele panel", size=12,
                                                           features=feature_text(NAMES)))
    services.import_respondents(clerk, panel, pool_csv(120, names=NAMES))
    db.session.commit()
    services.set_quotas(clerk, panel, proportional_quotas(panel))
    services.open_signup(clerk, panel)
    services.publish_commitment(clerk, panel, alternates=6)
    db.session.commit()
    with unit_of_work():
        services.enter_seed(clerk, panel, "6-6-2")
    return panel.id


def test_clerk_runs_the_pipeline_without_javascript(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
    _login(client, "clerk@example.org")
    assert client.get("/panels/new").status_code == 200
    bad = post_form(client, "/panels/new", {"title": "x", "size": "12", "features": "gender female"})
    assert bad.status_code == 400 and "line 1" in bad.get_data(as_text=True)
    panel_id = _create_through_form(client)
    page = client.get(f"/panels/{panel_id}").get_data(as_text=True)
    assert "Kessel-Lo citizens" in page and "<strong>Kessel-Lo</strong>" in page and "Publish the panel" in page

    # Upload: a bad file names row, column and value; a good one is stored.
    bad_csv = "gender,age_band,education\nfemale,16-29,higher\nfemale,teen,higher\n"
    response = post_form(client, f"/panels/{panel_id}/respondents",
                         {"file": (io.BytesIO(bad_csv.encode()), "pool.csv")}, content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "pool.csv has 1 problem(s)" in text
    assert "Row 3, column age_band, value “teen”" in text
    response = post_form(client, f"/panels/{panel_id}/respondents",
                         {"file": (io.BytesIO(pool_csv(120, names=NAMES).encode()), "pool.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/panels/{panel_id}/respondents").get_data(as_text=True)
    assert "120 respondents added" in page and "@example.org" in page and "Page 1 of 2" in page

    # Quotas: propose, check (no JavaScript), save.
    proposal = post_form(client, f"/panels/{panel_id}/quotas", {"propose": "1"})
    assert proposal.status_code == 200 and "Proposed quotas" in proposal.get_data(as_text=True)
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        quotas = proportional_quotas(panel)
        rows = services.quota_rows(panel)
    form = {}
    for i, row in enumerate(rows):
        q = next(q for q in quotas if (q["feature"], q["value"]) == (row.feature, row.value))
        form[f"min-{i}"], form[f"max-{i}"] = str(q["min"]), str(q["max"])
    checked = post_form(client, f"/panels/{panel_id}/quotas", {**form, "check": "1"})
    assert checked.status_code == 200 and "These quotas can be met" in checked.get_data(as_text=True)
    impossible = {**form, "min-0": "12", "max-0": "12", "min-1": "12", "max-1": "12"}
    checked = post_form(client, f"/panels/{panel_id}/quotas", {**impossible, "check": "1"})
    text = checked.get_data(as_text=True)
    assert "Not feasible" in text and "Suggested relaxation" in text and "For gender = " in text
    live = post_form(client, f"/panels/{panel_id}/quotas/check.json", impossible)
    assert live.status_code == 200 and live.json["feasible"] is False and live.json["suggestions"]
    assert post_form(client, f"/panels/{panel_id}/quotas/check.json", {**form, "min-0": "x"}).status_code == 400
    saved = post_form(client, f"/panels/{panel_id}/quotas", {**form, "save": "1"})
    assert saved.status_code == 302

    # Commitment, then the seed; the draw runs as a job and the progress page leads to the result.
    assert post_form(client, f"/panels/{panel_id}/publish").status_code == 302
    response = post_form(client, f"/panels/{panel_id}/commit", {"method": "leximin", "alternates": "6"})
    assert response.status_code == 302
    page = client.get(f"/panels/{panel_id}/draw").get_data(as_text=True)
    assert "Enter the seed" in page and "Anonymised pool (SHA-256)" in page
    response = post_form(client, f"/panels/{panel_id}/seed", {"seed": "4-2-6"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/panels/{panel_id}/draw/progress")
    status = client.get(f"/panels/{panel_id}/draw/status.json").json
    assert status["status"] == "done" and status["progress"] == 1.0 and status["result_url"]
    progress = client.get(f"/panels/{panel_id}/draw/progress")
    assert progress.status_code == 302 and progress.headers["Location"].endswith("/result")
    stay = client.get(f"/panels/{panel_id}/draw/progress?stay=1").get_data(as_text=True)
    assert 'value="100"' in stay and "http-equiv" not in stay  # finished: no more self-refresh

    people = client.get(f"/panels/{panel_id}/people").get_data(as_text=True)
    assert "Record drop-out" in people and "@example.org" in people
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        leaving = next(r for r in panel.respondents if r.status == "selected")
        leaving_id, leaving_number = leaving.id, leaving.number
    response = post_form(client, f"/panels/{panel_id}/respondents/{leaving_id}/dropout", {"reason": "moved"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The drop-out is recorded. Replacement:" in page and f"Round 1: {leaving_number} left (moved)" in page


def test_public_result_page_downloads_and_privacy(app, client, monkeypatch):
    with app.app_context():
        panel_id = _drawn_panel(app, monkeypatch)
        panel = db.session.get(Panel, panel_id)
        pool_sha, quotas_sha = panel.draw.pool_sha256, panel.draw.quotas_sha256
        make_user("rita@example.org", verified=True)
        make_user("mo@example.org", roles=[Role.MODERATOR])
    page = client.get(f"/panels/{panel_id}/result")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert pool_sha in text and quotas_sha in text and "6-6-2" in text
    assert (f"python -m sortition verify panel-{panel_id}-result.json --pool panel-{panel_id}-pool.csv "
            f"--quotas panel-{panel_id}-quotas.csv") in text
    assert "<svg" in text and "Composition against the quotas" in text and "uniform k/n" in text
    assert "@example.org" not in text and "Person " not in text  # no personal data in public
    pool = client.get(f"/panels/{panel_id}/pool.csv")
    assert hashlib.sha256(pool.data).hexdigest() == pool_sha
    assert pool.headers["Content-Disposition"] == f'attachment; filename="panel-{panel_id}-pool.csv"'
    assert b"@" not in pool.data
    assert hashlib.sha256(client.get(f"/panels/{panel_id}/quotas.csv").data).hexdigest() == quotas_sha
    result = json.loads(client.get(f"/panels/{panel_id}/result.json").data)
    assert result["pool_sha256"] == pool_sha and result["seed"] == "6-6-2"

    # Anonymous visitors: public pages only.
    assert client.get(f"/panels/{panel_id}").status_code == 200
    for url in (f"/panels/{panel_id}/respondents", f"/panels/{panel_id}/people", f"/panels/{panel_id}/quotas",
                f"/panels/{panel_id}/draw", "/panels/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url
    # Residents and moderators: 403 on personal data and on every clerk action.
    for email in ("rita@example.org", "mo@example.org"):
        _login(client, email)
        for url in (f"/panels/{panel_id}/respondents", f"/panels/{panel_id}/people", f"/panels/{panel_id}/quotas",
                    f"/panels/{panel_id}/draw", "/panels/new"):
            assert client.get(url).status_code == 403, (email, url)
        for url, data in ((f"/panels/{panel_id}/seed", {"seed": "1"}), (f"/panels/{panel_id}/commit", {}),
                          (f"/panels/{panel_id}/quotas/check.json", {}),
                          (f"/panels/{panel_id}/respondents/1/dropout", {"reason": "x"})):
            assert post_form(client, url, data).status_code == 403, (email, url)
        page = client.get(f"/panels/{panel_id}/result").get_data(as_text=True)
        assert "@example.org" not in page.replace(email, "") and "Selected people" not in page
        _logout(client)


def test_drafts_are_hidden_from_everyone_but_clerks(app, client):
    with app.app_context():
        clerk = make_user("clerk@example.org", roles=[Role.CLERK])
        make_user("rita@example.org", verified=True)
        panel = services.create_panel(clerk, services.PanelData(title="Secret draft", size=5,
                                                                features="gender: female, male"))
        db.session.commit()
        panel_id = panel.id
    assert client.get(f"/panels/{panel_id}").status_code == 404
    assert "Secret draft" not in client.get("/panels/").get_data(as_text=True)
    _login(client, "rita@example.org")
    assert client.get(f"/panels/{panel_id}").status_code == 404
    _logout(client)
    _login(client, "clerk@example.org")
    assert "Secret draft" in client.get("/panels/").get_data(as_text=True)
    assert client.get(f"/panels/{panel_id}/pool.csv").status_code == 404  # no commitment yet


@pytest.mark.parametrize("url", ["/panels/999", "/panels/999/result", "/panels/999/pool.csv"])
def test_unknown_panels_are_404(client, url):
    assert client.get(url).status_code == 404
