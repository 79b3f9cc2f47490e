"""Budget pages through the test client: the whole cycle with forms, refusals, results and exports."""

from __future__ import annotations

import re

import sqlalchemy as sa
from helpers import make_user, post_form

from agora.budgets.models import BudgetHeading, BudgetProcess, BudgetProject
from agora.census.models import District
from agora.db import db
from agora.permissions import Role

_CLIENTS: dict = {}


def _login(client, email):
    """A logged-in client per person (logging in and out again would hit the login rate limit)."""
    from helpers import Auth

    key = (id(client.application), email)
    if key not in _CLIENTS:
        _CLIENTS[key] = client.application.test_client()
        assert Auth(_CLIENTS[key]).login(email).status_code == 302
    return _CLIENTS[key]


def _phase(client, process_id, phase):
    response = post_form(client, f"/budgets/{process_id}/phase", {"phase": phase}, follow_redirects=True)
    assert response.status_code == 200


def test_full_cycle_through_the_pages(app, client):
    _CLIENTS.clear()
    anonymous = client
    with app.app_context():
        make_user("pbw-admin@example.org", roles=[Role.ADMIN])
        make_user("pbw-clerk@example.org", roles=[Role.CLERK])
        make_user("pbw-rita@example.org", verified=True, district="Heverlee")
        make_user("pbw-kim@example.org", verified=True, district="Wilsele")
        heverlee = db.session.scalar(sa.select(District.id).where(District.name == "Heverlee"))
    assert client.get("/budgets/").status_code == 200
    client = _login(anonymous, "pbw-admin@example.org")
    assert client.get("/budgets/new").status_code == 200
    refused = post_form(client, "/budgets/new", {"title": "Leuven decides", "city_amount": "1000", "rule": "mes",
                                                 "ballot_type": "knapsack", "ballot_size": "5",
                                                 f"district-{heverlee}": "many"})
    assert refused.status_code == 400 and "whole euros" in refused.get_data(as_text=True)
    created = post_form(client, "/budgets/new", {"title": "Leuven decides", "city_amount": "1000", "rule": "mes",
                                                 "ballot_type": "knapsack", "ballot_size": "5",
                                                 f"district-{heverlee}": "400", "date_accepting": "2026-03-01",
                                                 "date_balloting": "2026-05-01"})
    assert created.status_code == 302
    with app.app_context():
        process_id = db.session.scalar(sa.select(BudgetProcess.id))
        city_id, district_heading_id = db.session.execute(
            sa.select(BudgetHeading.id).order_by(BudgetHeading.position)).scalars().all()
    _phase(client, process_id, "accepting")

    client = _login(anonymous, "pbw-rita@example.org")
    form = client.get(f"/budgets/{process_id}/projects/new").get_data(as_text=True)
    assert "Whole city" in form
    over = post_form(client, f"/budgets/{process_id}/projects/new", {
        "title": "A bridge", "description": "Big", "heading_id": city_id, "estimated_cost": "5000"})
    assert over.status_code == 400 and "at most the heading" in over.get_data(as_text=True)
    for title, cost in (("<b>Benches</b> on the square", 600), ("Trees", 500), ("Lights", 300)):
        assert post_form(client, f"/budgets/{process_id}/projects/new", {
            "title": title, "description": "Nice *idea*", "heading_id": city_id, "estimated_cost": str(cost),
            "location": "Ladeuzeplein"}).status_code == 302
    with app.app_context():
        ids = dict(db.session.execute(sa.select(BudgetProject.title, BudgetProject.id)).all())
    page = client.get(f"/budgets/projects/{ids['<b>Benches</b> on the square']}").get_data(as_text=True)
    assert "&lt;b&gt;Benches" in page and "<em>idea</em>" in page

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "reviewing")
    client = _login(anonymous, "pbw-clerk@example.org")
    for title, pid in ids.items():
        cost = {"Trees": 500, "Lights": 300}.get(title, 600)
        assert post_form(client, f"/budgets/projects/{pid}/valuate",
                         {"feasibility": "feasible", "price": str(cost)}).status_code == 302
    missing = post_form(client, f"/budgets/projects/{ids['Lights']}/valuate", {"feasibility": "unfeasible"})
    assert missing.status_code == 400 and "Explain why" in missing.get_data(as_text=True)
    client = _login(anonymous, "pbw-rita@example.org")
    assert post_form(client, f"/budgets/projects/{ids['Trees']}/valuate",
                     {"feasibility": "feasible", "price": "1"}).status_code == 403

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "selecting")
    client = _login(anonymous, "pbw-rita@example.org")
    supported = post_form(client, f"/budgets/projects/{ids['Trees']}/support", follow_redirects=True)
    assert "You support this project." in supported.get_data(as_text=True)
    again = post_form(client, f"/budgets/projects/{ids['Trees']}/support", follow_redirects=True)
    assert "already support" in again.get_data(as_text=True)
    assert client.post(f"/budgets/projects/{ids['Lights']}/support").status_code == 400  # no CSRF token

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "balloting")
    assert client.get(f"/budgets/{process_id}/edit").status_code == 409  # rules locked
    client = _login(anonymous, "pbw-kim@example.org")
    assert client.get(f"/budgets/headings/{district_heading_id}/ballot").status_code == 403
    client = _login(anonymous, "pbw-rita@example.org")
    ballot_page = client.get(f"/budgets/headings/{city_id}/ballot").get_data(as_text=True)
    assert 'data-cost="600"' in ballot_page and "budget-ballot.js" in ballot_page
    over = post_form(client, f"/budgets/headings/{city_id}/ballot",
                     {"project": [ids["<b>Benches</b> on the square"], ids["Trees"]]})
    text = over.get_data(as_text=True)
    assert over.status_code == 400 and "100\u00a0EUR over this heading" in text and 'role="alert"' in text
    cast = post_form(client, f"/budgets/headings/{city_id}/ballot", {"project": [ids["Trees"], ids["Lights"]]})
    text = cast.get_data(as_text=True)
    assert cast.status_code == 200 and cast.headers["Cache-Control"] == "no-store"
    receipt = re.search(r'id="receipt-code">([^<]+)<', text).group(1)
    key = re.search(r'id="change-key">([^<]+)<', text).group(1)
    no_key = post_form(client, f"/budgets/headings/{city_id}/ballot", {"project": [ids["Trees"]]})
    assert no_key.status_code == 400 and "change key" in no_key.get_data(as_text=True)
    changed = post_form(client, f"/budgets/headings/{city_id}/ballot",
                        {"project": [ids["<b>Benches</b> on the square"]], "change_key": key})
    assert changed.status_code == 200 and receipt in changed.get_data(as_text=True)
    assert client.get(f"/budgets/{process_id}/results").status_code == 403
    assert client.get(f"/budgets/headings/{city_id}/votes.pb").status_code == 403

    client = _login(anonymous, "pbw-admin@example.org")
    assert post_form(client, f"/budgets/{process_id}/close").status_code == 302
    results = client.get(f"/budgets/{process_id}/results").get_data(as_text=True)
    assert "svg" in results and "&lt;b&gt;Benches" in results and "Funded at step 1" in results
    assert "Left over: 400\u00a0EUR" in results
    one = client.get(f"/budgets/{process_id}/results?heading={district_heading_id}").get_data(as_text=True)
    assert "No project was funded in this heading." in one and 'aria-current="page"' in one
    checked = client.get(f"/budgets/{process_id}/results?receipt={receipt.lower()}").get_data(as_text=True)
    assert "This ballot is in the count of Whole city" in checked
    pb = client.get(f"/budgets/headings/{city_id}/votes.pb")
    assert pb.status_code == 200 and "attachment" in pb.headers["Content-Disposition"]
    assert "equalshares/add1" in pb.get_data(as_text=True)
    csv_text = client.get(f"/budgets/headings/{city_id}/results.csv").get_data(as_text=True)
    assert csv_text.startswith("project_id,title") and "Trees" in csv_text
    assert receipt in client.get(f"/budgets/headings/{city_id}/ballots.csv").get_data(as_text=True)


def test_only_administrators_manage(app, client):
    _CLIENTS.clear()
    with app.app_context():
        make_user("pbw-rita@example.org", verified=True)
    client = _login(client, "pbw-rita@example.org")
    assert client.get("/budgets/new").status_code == 403
    assert client.get("/budgets/99").status_code == 404
