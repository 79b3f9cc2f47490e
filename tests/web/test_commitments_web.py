"""Commitment pages through the test client: permissions, escaping, forms, feed and exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import pytest
from helpers import PASSWORD, make_user, post_form, tiny_jpeg

from agora.commitments import services
from agora.commitments.models import Commitment, ProgressUpdate
from agora.db import db, unit_of_work
from agora.permissions import Role

SOON = date.today() + timedelta(days=90)
JPEG = tiny_jpeg()


@pytest.fixture
def city(app):
    """An administrator, a goal, a confirmed school with a teacher, and a result commitment."""
    with app.test_request_context():
        admin = make_user("admin@example.org", roles=[Role.ADMIN])
        teacher = make_user("teacher@example.org", name="Tess <i>", verified=True)
        make_user("clerk@example.org", roles=[Role.CLERK])
        make_user("rita@example.org", verified=True)
        with unit_of_work():
            goal = services.create_goal(admin, title="Safe <script>alert(1)</script> routes", unit="%",
                                        indicator_name="Trips by bike", baseline=40, target=70, deadline=SOON)
            school = services.register_organisation(admin, name="=HYPERLINK(\"x\") school", kind="school")
            services.add_member(admin, school, "teacher@example.org")
            commitment = services.make_commitment(
                teacher, goal, organisation=school, kind="result", title="70 % <b>by bike</b>", target_value=70,
                target_unit="%", deadline=SOON, baseline_value=40)
        return {"goal": goal.id, "school": school.id, "commitment": commitment.id}


def login(client, email):
    response = post_form(client, "/account/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_goal_page_escapes_user_text_and_draws_charts(client, city):
    page = client.get(f"/commitments/goals/{city['goal']}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>by bike</b>" not in page and "70 % &lt;b&gt;by bike&lt;/b&gt;" in page
    assert page.count("<svg") == 2 and "<script" not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert "No progress updates yet." in page
    assert client.get("/commitments/").status_code == 200
    assert client.get("/commitments/goals/999").status_code == 404


def test_admin_creates_a_goal_and_others_cannot(client, city):
    data = {"title": "Greener schoolyards", "indicator_name": "Green area", "unit": "m²", "baseline": "0",
            "target": "500", "deadline": SOON.isoformat(), "district_id": ""}
    login(client, "rita@example.org")
    assert post_form(client, "/commitments/goals/new", data).status_code == 403
    post_form(client, "/account/logout")
    login(client, "admin@example.org")
    response = post_form(client, "/commitments/goals/new", {**data, "target": "0"})
    assert response.status_code == 400
    assert "The target must differ from the baseline." in response.get_data(as_text=True)
    response = post_form(client, "/commitments/goals/new", data)
    assert response.status_code == 302 and "/commitments/goals/" in response.location


def test_a_member_posts_updates_and_an_outsider_is_refused(app, client, city):
    url = f"/commitments/{city['commitment']}/updates"
    login(client, "rita@example.org")
    assert post_form(client, url, {"happened_on": date.today().isoformat(), "value": "50"}).status_code == 403
    assert "Post a progress update" not in client.get(f"/commitments/{city['commitment']}").get_data(as_text=True)
    post_form(client, "/account/logout")
    login(client, "teacher@example.org")
    response = post_form(client, url, {"happened_on": date.today().isoformat(), "value": "55", "text": "Bike day",
                                       "photo": (io.BytesIO(JPEG), "bikes.jpg"), "photo_alt": "Bikes at the gate"})
    assert response.status_code == 302
    bad = post_form(client, url, {"happened_on": date.today().isoformat(), "text": "x",
                                  "photo": (io.BytesIO(b"<svg/>"), "evil.jpg"), "photo_alt": "x"})
    assert bad.status_code == 400 and "The photo must be a JPEG, PNG or WebP image." in bad.get_data(as_text=True)
    with app.app_context():
        update = db.session.query(ProgressUpdate).one()
        update_id = update.id
    photo = client.get(f"/commitments/updates/{update_id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data == JPEG
    assert photo.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]  # its own, alone
    page = client.get(f"/commitments/goals/{city['goal']}").get_data(as_text=True)
    assert "Bike day" in page and 'alt="Bikes at the gate"' in page and "50 %" in page


def test_result_commitment_form_requires_target_and_deadline(client, city):
    login(client, "rita@example.org")
    url = f"/commitments/goals/{city['goal']}/commit"
    response = post_form(client, url, {"actor": "self", "kind": "result", "title": "More bikes",
                                       "visibility": "public"})
    assert response.status_code == 400 and 'id="target_value-error">Enter a number.' in response.get_data(as_text=True)
    response = post_form(client, url, {"actor": "self", "kind": "result", "title": "More bikes", "target_value": "10",
                                       "target_unit": "bikes", "visibility": "public"})
    assert "A result commitment needs a deadline." in response.get_data(as_text=True)
    # Rita may not act for a school she is not in.
    response = post_form(client, url, {"actor": str(city["school"]), "kind": "pledge", "title": "x",
                                       "visibility": "public"})
    assert response.status_code == 400
    response = post_form(client, url, {"actor": "self", "kind": "pledge", "title": "I walk", "visibility": "public"})
    assert response.status_code == 302


def test_withdrawn_commitment_shows_its_reason(app, client, city):
    login(client, "teacher@example.org")
    url = f"/commitments/{city['commitment']}/withdraw"
    assert post_form(client, url, {"reason": "short"}).status_code == 400
    assert post_form(client, url, {"reason": "The school building closes for renovation."}).status_code == 302
    post_form(client, "/account/logout")
    for page in (f"/commitments/{city['commitment']}", f"/commitments/goals/{city['goal']}"):
        html = client.get(page).get_data(as_text=True)
        assert "The school building closes for renovation." in html and "Withdrawn" in html


def test_clerk_comments_and_endorses(client, city):
    login(client, "clerk@example.org")
    url = f"/commitments/{city['commitment']}"
    assert post_form(client, url + "/comments", {"body": "We lend bike racks."}).status_code == 302
    assert post_form(client, url + "/endorse", {"action": "endorse"}).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "We lend bike racks." in html and "Withdraw my endorsement" in html
    post_form(client, "/account/logout")
    login(client, "rita@example.org")
    assert post_form(client, url + "/comments", {"body": "me too"}).status_code == 403


def test_post_without_csrf_is_refused(client, city):
    login(client, "teacher@example.org")
    response = client.post(f"/commitments/{city['commitment']}/updates",
                           data={"happened_on": date.today().isoformat(), "value": "60"})
    assert response.status_code == 400


def test_feed_is_valid_escaped_atom_and_exports_are_safe(app, client, city):
    with app.test_request_context():
        teacher = db.session.query(services.User).filter_by(email="teacher@example.org").one()
        commitment = db.session.get(Commitment, city["commitment"])
        with unit_of_work():
            services.post_update(teacher, commitment, happened_on=date.today(), value=61,
                                 text="Fun & games <b>\x07 with a bell")
            services.make_commitment(teacher, commitment.goal, kind="pledge", title="Secret", visibility="residents")
    feed = client.get("/commitments/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)  # parses: well-formed XML
    ns = {"a": "http://www.w3.org/2005/Atom"}
    summary = root.find("a:entry/a:summary", ns).text
    assert "Fun & games <b> with a bell" in summary and "\x07" not in summary
    assert b"<b>" not in feed.data
    rows = list(csv.DictReader(io.StringIO(client.get("/commitments/export/commitments.csv").get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["70 % <b>by bike</b>"]  # the residents-only one is left out
    assert rows[0]["actor"].startswith("'=")  # no formula in a spreadsheet
    data = json.loads(client.get("/commitments/export/updates.json").data)
    assert data[0]["value"] == 61 and data[0]["goal_id"] == city["goal"]
    goals = json.loads(client.get("/commitments/export/goals.json").data)
    assert goals[0]["target"] == 70 and goals[0]["status"] == "active"
    assert client.get("/commitments/export/users.csv").status_code == 404
    goal_feed = ET.fromstring(client.get(f"/commitments/goals/{city['goal']}/feed.atom").data)
    assert len(goal_feed.findall("a:entry", ns)) == 1
    assert goal_feed.find("a:title", ns).text == "Progress towards “Safe <script>alert(1)</script> routes”"
    assert client.get("/commitments/goals/999/feed.atom").status_code == 404


def test_organisation_request_and_confirmation(client, city):
    login(client, "rita@example.org")
    response = post_form(client, "/commitments/organisations/new", {"name": "Fietsbib", "kind": "association"})
    assert response.status_code == 302
    org_url = response.location
    assert "Waiting for confirmation" in client.get(org_url).get_data(as_text=True)
    assert post_form(client, org_url + "/confirm").status_code == 403
    post_form(client, "/account/logout")
    assert client.get(org_url).status_code == 404  # not public until confirmed
    login(client, "admin@example.org")
    post_form(client, org_url + "/confirm")
    post_form(client, "/account/logout")
    assert "Confirmed by the city" in client.get(org_url).get_data(as_text=True)


def test_following_a_goal_brings_news_of_new_commitments(client, city):
    login(client, "clerk@example.org")
    post_form(client, f"/commitments/goals/{city['goal']}/follow")
    assert "Stop following this goal" in client.get(f"/commitments/goals/{city['goal']}").get_data(as_text=True)
    post_form(client, "/account/logout")
    login(client, "rita@example.org")
    post_form(client, f"/commitments/goals/{city['goal']}/commit",
              {"actor": "self", "kind": "effort", "title": "I fix my neighbours' bikes", "visibility": "anonymous"})
    post_form(client, "/account/logout")
    login(client, "clerk@example.org")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "A resident made a commitment towards" in page and "Rita made" not in page


def test_the_wording_of_a_commitment_and_a_goal_can_be_edited_not_the_promise(app, client, city):
    url = f"/commitments/{city['commitment']}/edit"
    login(client, "rita@example.org")  # not a member of the school
    assert client.get(url).status_code == 403
    assert post_form(client, url, {"title": "Taken over", "description": ""}).status_code == 403
    post_form(client, "/account/logout")
    login(client, "teacher@example.org")
    form = client.get(url).get_data(as_text=True)
    assert "withdraw this commitment and make a new one" in form and "70 % &lt;b&gt;by bike&lt;/b&gt;" in form
    assert post_form(client, url, {"title": "", "description": "x"}).status_code == 400
    done = post_form(client, url, {"title": "70 % of pupils by bike", "description": "With **bike buses**."},
                     follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Your changes are saved." in page and "70 % of pupils by bike" in page
    assert "<strong>bike buses</strong>" in page and "Edited" in page
    with app.app_context():
        from agora.audit import AuditEntry

        commitment = db.session.get(Commitment, city["commitment"])
        assert (commitment.target_value, commitment.deadline) == (70, SOON)  # the promise is unchanged
        entry = db.session.query(AuditEntry).filter_by(action="commitments.commitment.edit").one()
        assert entry.details_dict["earlier_title"] == "70 % <b>by bike</b>"
    assert post_form(client, f"/commitments/{city['commitment']}/withdraw",
                     {"reason": "The school building closes for renovation."}).status_code == 302
    refused = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "it can no longer be edited" in refused
    # The goal: administrators only.
    goal_url = f"/commitments/goals/{city['goal']}/edit"
    assert client.get(goal_url).status_code == 403
    post_form(client, "/account/logout")
    login(client, "admin@example.org")
    assert "Edit the wording" in client.get(f"/commitments/goals/{city['goal']}").get_data(as_text=True)
    done = post_form(client, goal_url, {"title": "Safe routes to school", "description": ""}, follow_redirects=True)
    assert "Safe routes to school" in done.get_data(as_text=True)
