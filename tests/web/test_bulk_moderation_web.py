"""The moderation queue's bulk form: checkboxes and one action on the selection, in one transaction."""

from __future__ import annotations

import pytest
from helpers import Auth, make_user, post_form
from sqlalchemy import func, select

from agora.comments import services as comments
from agora.comments.models import Comment
from agora.db import db, unit_of_work
from agora.debates import services as debates
from agora.moderation import services as moderation
from agora.moderation.models import UserBlock
from agora.permissions import Role


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 0
    yield
    app.config.update(saved)


@pytest.fixture
def flagged(app):
    """Ids of three flagged comments: by Bob, by Carl and by the moderator Vera."""
    with app.app_context():
        rita = make_user("rita@example.org", name="Rita", verified=True)
        vera = make_user("vera@example.org", name="Vera", roles=[Role.MODERATOR], verified=True)
        flagger = make_user("flagger@example.org")
        with unit_of_work():
            debate = debates.create_debate(rita, title="Cars in the centre?", body="Let us talk about cars here.")
        ids = []
        authors = [make_user("bob@example.org", name="Bob", verified=True),
                   make_user("carl@example.org", name="Carl", verified=True), vera]
        for author in authors:
            with unit_of_work():
                ids.append(comments.add_comment(author, "debates", debate.id, body=f"Rude words {len(ids)}").id)
            with unit_of_work():
                moderation.flag_content(flagger, "comments", ids[-1], reason="spam")
        return ids


def blocks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserBlock))


def test_queue_offers_checkboxes_and_block_authors(app, client, flagged):
    Auth(client).login("vera@example.org")
    page = client.get("/moderation/?type=comments").get_data(as_text=True)
    assert all(f'name="ids" value="{i}"' in page for i in flagged)
    assert '<option value="block">Block the authors</option>' in page
    done = post_form(client, "/moderation/bulk/comments",
                     {"action": "block", "reason": "Spam wave", "ids": [str(i) for i in flagged[:2]]},
                     follow_redirects=True)
    assert "Authors blocked: 2." in done.get_data(as_text=True)
    assert blocks(app) == 2


def test_batch_including_own_content_changes_nothing_and_names_it(app, client, flagged):
    Auth(client).login("vera@example.org")
    response = post_form(client, "/moderation/bulk/comments",
                         {"action": "hide", "reason": "Clean-up", "ids": [str(i) for i in flagged]},
                         follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f"comment {flagged[2]} by Vera is your own" in text
    assert "Nothing was changed." in text
    with app.app_context():
        assert not any(db.session.get(Comment, i).is_hidden for i in flagged)


def test_bulk_needs_a_moderator_and_a_csrf_token(app, client, flagged):
    Auth(client).login("bob@example.org")
    assert post_form(client, "/moderation/bulk/comments",
                     {"action": "block", "reason": "x", "ids": [str(flagged[1])]}).status_code == 403
    Auth(client).logout()
    Auth(client).login("vera@example.org")
    assert client.post("/moderation/bulk/comments",
                       data={"action": "block", "reason": "x", "ids": [str(flagged[1])]}).status_code == 400
    assert blocks(app) == 0
