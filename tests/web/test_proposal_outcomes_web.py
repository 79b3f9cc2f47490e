"""Sending a successful proposal to a vote or a budget through the pages, and the links shown back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import Auth, make_user, post_form
from sqlalchemy import select

from agora.budgets import services as budgets
from agora.budgets.models import BudgetProject
from agora.db import db, unit_of_work, utcnow
from agora.permissions import Role
from agora.proposals import services as proposals
from agora.votes import services as votes
from agora.votes.models import Vote, VoteOption


@pytest.fixture(autouse=True)
def _threshold(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=1)
    yield
    app.config.update(saved)


@pytest.fixture
def world(app):
    """An administrator, a successful proposal, an upcoming vote and a budget accepting projects (ids)."""
    with app.app_context():
        admin = make_user("admin@example.org", roles=[Role.ADMIN])
        author = make_user("rita@example.org", name="Rita", verified=True)
        supporter = make_user("sam@example.org", name="Sam", verified=True)
        with unit_of_work():
            proposal = proposals.create_proposal(author, title="A <b>fountain</b> in the park",
                                                 summary="Cool water for everyone", body="Long enough text here.",
                                                 publish=True)
        with unit_of_work():
            proposals.support_proposal(supporter, proposal.id)
        now = utcnow()
        with unit_of_work():
            vote = votes.create_vote(admin, votes.VoteRules(
                title="Which park project?", options=["Benches", "Playground"], opens_at=now + timedelta(days=1),
                closes_at=now + timedelta(days=8), lot_seed=1))
        with unit_of_work():
            process = budgets.create_process(admin, budgets.ProcessRules(title="Parks budget", city_amount=50_000))
        with unit_of_work():
            budgets.set_phase(admin, process, "accepting")
        return {"proposal": proposal.id, "vote": vote.id, "process": process.id, "heading": process.headings[0].id}


def test_admin_sends_to_a_vote_and_both_pages_link(client, app, world):
    Auth(client).login("admin@example.org")
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "Send to a vote" in page and "Which park project?" in page and "Parks budget" in page
    response = post_form(client, f"/proposals/{world['proposal']}/send/vote", {"vote_id": world["vote"], "label": ""})
    assert response.status_code == 302
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "The proposal is now the option" in page
    assert f'href="/votes/{world["vote"]}"' in page and "This proposal is an option in the vote" in page
    vote_page = client.get(f"/votes/{world['vote']}").get_data(as_text=True)
    assert f'href="/proposals/{world["proposal"]}"' in vote_page
    assert "A &lt;b&gt;fountain&lt;/b&gt; in the park" in vote_page and "<b>fountain" not in vote_page
    # A second time: a clean message, nothing added.
    response = post_form(client, f"/proposals/{world['proposal']}/send/vote", {"vote_id": world["vote"]},
                         follow_redirects=True)
    assert response.status_code == 200 and "already an option" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(VoteOption).where(VoteOption.vote_id == world["vote"])).all()) == 3


def test_admin_sends_to_a_budget_and_the_project_links_back(client, app, world):
    Auth(client).login("admin@example.org")
    response = post_form(client, f"/proposals/{world['proposal']}/send/budget",
                         {"heading_id": world["heading"], "estimated_cost": "12000"})
    with app.app_context():
        project = db.session.scalar(select(BudgetProject))
        assert project.proposal_id == world["proposal"] and project.estimated_cost == 12_000
        project_id = project.id
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/budgets/projects/{project_id}")
    page = client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    assert "From the proposal" in page and f'href="/proposals/{world["proposal"]}"' in page
    assert "Rita" in page  # the proposal's author is credited
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert f'href="/budgets/projects/{project_id}"' in page
    response = post_form(client, f"/proposals/{world['proposal']}/send/budget",
                         {"heading_id": world["heading"], "estimated_cost": "0"}, follow_redirects=True)
    assert "give a whole, positive estimated cost" in response.get_data(as_text=True)


def test_open_vote_is_refused_with_a_message(client, app, world):
    with app.app_context():
        vote = db.session.get(Vote, world["vote"])
        vote.opens_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    Auth(client).login("admin@example.org")
    # The open vote is no longer offered; posting its id anyway is refused by the form's choices.
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "No vote is waiting to open." in page
    response = post_form(client, f"/proposals/{world['proposal']}/send/vote", {"vote_id": world["vote"]},
                         follow_redirects=True)
    assert "Choose a vote that has not opened yet." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(VoteOption).where(VoteOption.proposal_id.isnot(None))) is None


def test_new_vote_prefilled_from_the_proposal(client, app, world):
    Auth(client).login("admin@example.org")
    form = client.get(f"/votes/new?proposal={world['proposal']}").get_data(as_text=True)
    assert "A &lt;b&gt;fountain&lt;/b&gt; in the park\n" in form and "will include the successful proposal" in form
    now = utcnow() + timedelta(days=2)
    data = {"title": "Fountain or not?", "options": "A <b>fountain</b> in the park\nNo fountain", "seats": "1",
            "method": "", "stv_rule": "wigm", "overvote_rule": "reject", "skipped_rule": "reject", "tie_break": "",
            "lot_seed": "3", "eligibility": "all", "district_id": "",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}
    response = post_form(client, f"/votes/new?proposal={world['proposal']}", data)
    assert response.status_code == 302
    with app.app_context():
        vote = db.session.scalar(select(Vote).where(Vote.title == "Fountain or not?"))
        assert [(o.label, o.proposal_id) for o in vote.options] == [
            ("A <b>fountain</b> in the park", world["proposal"]), ("No fountain", None)]


@pytest.mark.parametrize("kind", ["anonymous", "resident", "verified", "moderator", "clerk"])
def test_others_cannot_send_nor_see_the_forms(client, app, world, kind):
    if kind != "anonymous":
        roles = {"moderator": [Role.MODERATOR], "clerk": [Role.CLERK]}.get(kind, [])
        with app.app_context():
            make_user(f"{kind}@example.org", roles=roles, verified=kind == "verified")
        Auth(client).login(f"{kind}@example.org")
    page = client.get(f"/proposals/{world['proposal']}").get_data(as_text=True)
    assert "Send to a vote" not in page
    for url, data in ((f"/proposals/{world['proposal']}/send/vote", {"vote_id": world["vote"]}),
                      (f"/proposals/{world['proposal']}/send/budget",
                       {"heading_id": world["heading"], "estimated_cost": "10"})):
        response = post_form(client, url, data)
        assert response.status_code == (302 if kind == "anonymous" else 403)
        if kind == "anonymous":
            assert "/account/login" in response.headers["Location"]
    assert client.get(f"/votes/new?proposal={world['proposal']}").status_code == (302 if kind == "anonymous" else 403)
    with app.app_context():
        assert proposals.proposal_outcomes(proposals.get_proposal(world["proposal"])) == ([], [])


def test_send_without_csrf_token_is_refused(client, app, world):
    Auth(client).login("admin@example.org")
    response = client.post(f"/proposals/{world['proposal']}/send/vote", data={"vote_id": world["vote"]})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(VoteOption).where(VoteOption.proposal_id.isnot(None))) is None
