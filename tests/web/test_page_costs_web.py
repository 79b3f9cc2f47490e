"""What the busiest pages cost: SQL statements per request (ceilings, so a change that adds a query per
comment or reloads rows after a commit is noticed), and the per-process caches that keep them cheap."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_wtf import FlaskForm
from helpers import Auth, csrf_token, make_user
from sqlalchemy import event
from wtforms import StringField
from wtforms.validators import InputRequired

from agora.comments import services as comments
from agora.db import db, unit_of_work
from agora.proposals import services as proposals
from agora.proposals.models import Proposal, ProposalSupport
from agora.text import render_markdown


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=100)
    yield
    app.config.update(saved)


@contextmanager
def statements(app):
    """The SQL statements the app sends meanwhile."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):  # noqa: ARG001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def proposal_with_thread(app) -> int:
    """A published proposal with a comment, a reply and a reply to the reply, by three people."""
    with app.test_request_context():
        rita = make_user("rita@example.org", verified=True)
        sam = make_user("sam@example.org", name="Sam", verified=True)
        ann = make_user("ann@example.org", name="Ann", verified=True)
        with unit_of_work():
            proposal = proposals.create_proposal(rita, title="More trees on the square", summary="Plant twenty trees",
                                                 body="Shade for the market.", tags="green, trees", publish=True)
        with unit_of_work():
            top = comments.add_comment(sam, "proposals", proposal.id, body="Yes, **please**.")
        with unit_of_work():
            reply = comments.add_comment(ann, "proposals", proposal.id, body="Which trees?", parent_id=top.id)
        with unit_of_work():
            comments.add_comment(sam, "proposals", proposal.id, body="Lindens.", parent_id=reply.id)
        return proposal.id


def test_proposal_page_statements_anonymous_and_signed_in(app, client):
    pid = proposal_with_thread(app)
    client.get("/")  # the session cookie a visitor has after a first page
    with statements(app) as seen:
        page = client.get(f"/proposals/{pid}")
    assert page.status_code == 200 and "Lindens." in page.text and "<strong>please</strong>" in page.text
    # The proposal with its author, tags and page facts; the whole thread with its authors.
    assert len(seen) == 2, seen

    with app.app_context():
        make_user("visitor@example.org", verified=True)
    assert Auth(client).login("visitor@example.org").status_code == 302
    with statements(app) as seen:
        page = client.get(f"/proposals/{pid}")
    assert page.status_code == 200 and "Support this proposal" in page.text
    # Plus the user with roles, residency, block and unread notifications (one query); the thread brings their
    # comment votes along.
    assert len(seen) == 3, seen
    assert not [s for s in seen if "FROM notifications" in s and "FROM users" not in s], seen


def test_a_search_that_fits_on_one_page_is_not_counted_again(app, client):
    """The page shows its own total when it is not full: no second run of the search to count it."""
    pid = proposal_with_thread(app)
    with app.app_context():
        title = db.session.get(Proposal, pid).title
    word = title.split()[-1]
    client.get("/proposals/")  # the filter menu's tags and districts are then cached
    with statements(app) as seen:
        page = client.get(f"/proposals/?q={word}")
    assert page.status_code == 200 and title in page.text and "Proposals found: 1" in page.text
    assert not [s for s in seen if "count(" in s.lower()], seen
    assert len(seen) <= 2, seen  # the page of proposals, their tags


def test_thread_without_replies_asks_for_none(app, client):
    """The thread's count says when every comment is already loaded: no query for replies then."""
    with app.test_request_context():
        rita = make_user("rita@example.org", verified=True)
        sam = make_user("sam@example.org", name="Sam", verified=True)
        with unit_of_work():
            proposal = proposals.create_proposal(rita, title="A bench by the river", summary="Somewhere to sit",
                                                 body="Near the bridge.", publish=True)
        for text in ("First thought.", "Second thought."):
            with unit_of_work():
                comments.add_comment(sam, "proposals", proposal.id, body=text)
        pid = proposal.id
    client.get("/")
    with statements(app) as seen:
        page = client.get(f"/proposals/{pid}")
    assert "First thought." in page.text and "Second thought." in page.text
    assert not [s for s in seen if "comments.parent_id IN" in s], seen
    assert len(seen) <= 4, seen


def test_support_post_statements_and_result(app, client):
    pid = proposal_with_thread(app)
    with app.app_context():
        make_user("backer@example.org", verified=True)
    assert Auth(client).login("backer@example.org").status_code == 302
    token = csrf_token(client, f"/proposals/{pid}")
    with statements(app) as seen:
        response = client.post(f"/proposals/{pid}/support", data={"csrf_token": token})
    assert response.status_code == 302
    # User (with roles, residency and any block), proposal, the support, the count, the follow (both inserts
    # ON CONFLICT DO NOTHING, no savepoints), commit: nothing is read again after the commit.
    assert not [s for s in seen if s.startswith(("SAVEPOINT", "RELEASE"))], seen
    assert not [s for s in seen if "FROM user_blocks" in s and "users" not in s], seen
    assert len(seen) <= 6, seen
    with app.app_context():
        assert db.session.get(Proposal, pid).support_count == 1
        assert db.session.query(ProposalSupport).filter_by(proposal_id=pid).count() == 1
    page = client.get(f"/proposals/{pid}")
    assert "Thank you for your support." in page.text and "You support this proposal." in page.text


def test_wtforms_messages_follow_the_request_language(app):
    class Named(FlaskForm):
        name = StringField("Name", validators=[InputRequired()])

    for language, message in [("fr", "Ce champ est requis."), ("nl", "Dit veld is vereist."),
                              ("en", "This field is required."), ("es", "Este campo es obligatorio."),
                              ("fr", "Ce champ est requis.")]:
        with app.test_request_context("/", method="POST", data={"name": ""},
                                      headers={"Accept-Language": language}):
            app.preprocess_request()
            form = Named(meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [message]


def test_markdown_cache_returns_the_same_sanitised_html():
    nasty = 'Hi <script>alert(1)</script> [x](javascript:alert(2)) **bold**'
    first, second = render_markdown(nasty), render_markdown(nasty)
    assert first == second and "<script" not in first and 'href="javascript' not in first
    assert "<strong>bold</strong>" in first
    long = "word " * 2000  # over the cached length: rendered each time, the same way
    assert render_markdown(long) == render_markdown(long)


@pytest.mark.parametrize("root", ["", "/city", "/100%25-city"])
def test_url_patterns_build_what_url_for_builds(app, root):
    """A thread fills one URL pattern per kind of link instead of calling url_for for every comment."""
    from flask import url_for

    from agora.web import url_pattern

    with app.test_request_context("/", base_url=f"http://localhost{root}/"):
        for comment_id in (1, 42, 987654321):
            assert url_pattern("comments.vote") % comment_id == url_for("comments.vote", id=comment_id)
            assert (url_pattern("moderation.flag", "target_id", target_type="comments") % comment_id
                    == url_for("moderation.flag", target_type="comments", target_id=comment_id))


def test_thread_texts_are_translated_once_per_language(app):
    from agora.comments.views import thread_texts

    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        dutch = thread_texts()
        assert thread_texts() is dutch  # kept for the process
        assert str(dutch.reply) == "Antwoorden" and str(dutch.score % {"up": 2, "down": 1}) == "2 voor, 1 tegen"
        # Names filled in are escaped, as Jinja's own gettext does.
        assert "&lt;b&gt;" in str(dutch.comment_by % {"name": "<b>Rita</b>"})
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert thread_texts() is not dutch
