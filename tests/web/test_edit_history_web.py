"""Edits keep a visible history: published proposals and debates keep each earlier text, shown on a
history page (Markdown sanitised); drafts keep none; hidden content has no public history."""

from __future__ import annotations

import pytest
from helpers import Auth, make_user, post_form
from sqlalchemy import select

from agora.db import db, unit_of_work
from agora.debates import services as debates
from agora.debates.models import DebateRevision
from agora.moderation import services as moderation
from agora.permissions import Role
from agora.proposals import services as proposals
from agora.proposals.models import ProposalRevision

XSS = 'First <script>alert(1)</script> text with <img src=x onerror=alert(2)> and [link](javascript:alert(3))'


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 0
    yield
    app.config.update(saved)


def test_debate_edits_are_kept_and_shown_sanitised(app, client):
    with app.app_context():
        rita = make_user("rita@example.org", name="Rita", verified=True)
        with unit_of_work():
            debate_id = debates.create_debate(rita, title="Cars in the centre?", body=XSS).id
    Auth(client).login("rita@example.org")
    assert "edited: see history" not in client.get(f"/debates/{debate_id}").get_data(as_text=True)
    for body in ("Second text, **bold**.", "Third text."):
        response = post_form(client, f"/debates/{debate_id}/edit", {"title": "Cars in the centre?", "body": body})
        assert response.status_code == 302
    # Saving the same text again keeps no empty revision.
    post_form(client, f"/debates/{debate_id}/edit", {"title": "Cars in the centre?", "body": "Third text."})
    with app.app_context():
        kept = db.session.scalars(select(DebateRevision.body).order_by(DebateRevision.id)).all()
        assert kept == [XSS, "Second text, **bold**."]
    page = client.get(f"/debates/{debate_id}").get_data(as_text=True)
    assert f'href="/debates/{debate_id}/history"' in page
    client.get("/")  # anyone can read the history, logged in or not
    Auth(client).logout()
    history = client.get(f"/debates/{debate_id}/history").get_data(as_text=True)
    assert history.index("Third text.") < history.index("<strong>bold</strong>") < history.index("First ")
    assert "<script>alert" not in history and "<img src=x onerror" not in history
    assert 'href="javascript:' not in history


def test_published_proposal_edits_are_kept_but_draft_edits_are_not(app, client):
    with app.app_context():
        rita = make_user("rita@example.org", name="Rita", verified=True)
        with unit_of_work():
            proposal = proposals.create_proposal(rita, title="Trees on the square", summary="Shade for everyone",
                                                 body="The first draft text.", publish=False)
        with unit_of_work():
            proposals.update_proposal(rita, proposal, title="Trees on the square", summary="Shade for everyone",
                                      body="The second draft text.")
        assert proposals.count_revisions(proposal) == 0  # nobody saw the draft
        with unit_of_work():
            proposals.publish_proposal(rita, proposal)
        proposal_id = proposal.id
    Auth(client).login("rita@example.org")
    response = post_form(client, f"/proposals/{proposal_id}/edit",
                         {"title": "Trees on the market square", "summary": "Shade for everyone, now",
                          "body": "The published text, edited.", "district_id": "", "tags": ""})
    assert response.status_code == 302
    with app.app_context():
        revision = db.session.scalars(select(ProposalRevision)).one()
        assert (revision.title, revision.summary, revision.body) == (
            "Trees on the square", "Shade for everyone", "The second draft text.")
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f'href="/proposals/{proposal_id}/history"' in page
    history = client.get(f"/proposals/{proposal_id}/history").get_data(as_text=True)
    assert "Trees on the market square" in history and "The second draft text." in history
    assert history.index("The published text, edited.") < history.index("The second draft text.")


def test_hidden_content_keeps_its_history_hidden(app, client):
    with app.app_context():
        rita = make_user("rita@example.org", name="Rita", verified=True)
        mod = make_user("mod@example.org", roles=[Role.MODERATOR])
        with unit_of_work():
            debate = debates.create_debate(rita, title="Cars in the centre?", body="Offensive first version.")
        with unit_of_work():
            debates.update_debate(rita, debate, title="Cars in the centre?", body="Milder second version.")
        with unit_of_work():
            moderation.moderate(mod, "hide", "debates", [debate.id], reason="Insults")
        debate_id = debate.id
    response = client.get(f"/debates/{debate_id}/history")
    assert response.status_code == 404 and "Offensive first version." not in response.get_data(as_text=True)
    Auth(client).login("rita@example.org")  # not even its author, through the public page
    assert client.get(f"/debates/{debate_id}/history").status_code == 404


def test_draft_history_is_only_for_its_author(app, client):
    with app.app_context():
        rita = make_user("rita@example.org", name="Rita", verified=True)
        make_user("bob@example.org", verified=True)
        with unit_of_work():
            proposal_id = proposals.create_proposal(rita, title="Secret draft", summary="Not published yet",
                                                    body="Draft text here.", publish=False).id
    assert client.get(f"/proposals/{proposal_id}/history").status_code == 404
    Auth(client).login("bob@example.org")
    assert client.get(f"/proposals/{proposal_id}/history").status_code == 404
