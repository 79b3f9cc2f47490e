"""Visitors' copies of proposal and debate pages (agora.page_cache): served without touching the
database, each visitor with their own CSRF token, and never stale once a change has committed, in this
process (versions in memory, as in every app test) and across processes (versions in Redis)."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from helpers import Auth, make_test_app, make_user, post_form
from sqlalchemy import update
from test_page_costs_web import statements

from agora import page_cache
from agora.accounts.models import Role
from agora.comments import services as comments
from agora.db import db, unit_of_work
from agora.debates import services as debates
from agora.moderation import services as moderation
from agora.proposals import services as proposals
from agora.proposals.models import Proposal

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=100, MODERATION_FLAGS_TO_HIDE=2, DEBATES_MIN_ACCOUNT_AGE_DAYS=0)
    yield
    app.config.update(saved)


def users(app):
    with app.app_context():
        return {name: make_user(f"{name}@example.org", name=name.title(), verified=True,
                                roles=[Role.MODERATOR] if name == "mo" else ()).id
                for name in ("rita", "sam", "ann", "mo")}


def run(app, uid, fn, *args, **kw):
    """One committed user action, as a request or the command line would make it."""
    from agora.accounts.models import User

    with app.test_request_context(), unit_of_work():
        return fn(db.session.get(User, uid), *args, **kw)


def a_proposal(app, uid) -> int:
    return run(app, uid, lambda u: proposals.create_proposal(
        u, title="Benches on the square", summary="Places to rest", body="Older people need rest.",
        publish=True).id)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_visitor_gets_a_copy_without_queries_and_their_own_token(app):
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    first, second = app.test_client(), app.test_client()
    page(first, f"/proposals/{pid}")
    with statements(app) as sent:
        html = page(second, f"/proposals/{pid}")
    assert sent == [], "the second visitor's page should come from the copy"
    assert "Benches on the square" in html
    cache = app.extensions["page_cache"]
    assert cache.placeholder not in html
    tokens = {TOKEN.search(page(client, f"/proposals/{pid}")).group(1) for client in (first, second)}
    assert len(tokens) == 2, "each visitor must get the token of their own session"
    # The token in a served copy is accepted by the form it belongs to (the language switch).
    token = TOKEN.search(page(second, f"/proposals/{pid}")).group(1)
    switched = second.post("/language", data={"csrf_token": token, "locale": "nl", "next": f"/proposals/{pid}"})
    assert switched.status_code == 302
    assert "Alle voorstellen" in page(second, f"/proposals/{pid}")  # another language, another copy
    assert "All proposals" in page(first, f"/proposals/{pid}")


def test_every_change_shows_at_once(app):
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    visitor = app.test_client()
    url = f"/proposals/{pid}"

    def shows(text: str) -> bool:
        return text in page(visitor, url)

    run(app, ids["rita"], lambda u: proposals.update_proposal(  # edits end with the first support
        u, db.session.get(Proposal, pid), title="Benches and trees on the square", summary="Places to rest",
        body="Older people need rest.", tags="green"))
    assert shows("Benches and trees on the square")
    assert shows("0 of 100 supports needed")
    run(app, ids["sam"], proposals.support_proposal, pid)  # a bulk UPDATE of the count
    assert shows("1 of 100 supports needed")
    top = run(app, ids["sam"], lambda u: comments.add_comment(u, "proposals", pid, body="Yes, near the fountain.").id)
    assert shows("near the fountain")
    reply = run(app, ids["ann"], lambda u: comments.add_comment(u, "proposals", pid, body="Shade too",
                                                                parent_id=top).id)
    assert shows("Shade too")
    run(app, ids["ann"], comments.vote_comment, top, 1)
    assert shows("1 up, 0 down")
    run(app, ids["sam"], lambda u: comments.edit_comment(u, top, body="Yes, near the old fountain."))
    assert shows("near the old fountain")
    run(app, ids["mo"], moderation.moderate, "hide", "comments", [reply], reason="Off topic")
    assert not shows("Shade too")
    for flagger in ("sam", "ann"):  # enough flags hide it pending review
        run(app, ids[flagger], moderation.flag_content, "proposals", pid, reason="spam")
    assert not shows("Benches and trees on the square")


def test_a_renamed_author_and_an_unnamed_bulk_change_outdate_every_page(app):
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    visitor = app.test_client()
    assert "By Rita" in page(visitor, f"/proposals/{pid}")

    def rename(user):
        user.display_name = "Rita V."
        db.session.flush()

    run(app, ids["rita"], rename)
    assert "By Rita V." in page(visitor, f"/proposals/{pid}")
    with app.app_context(), unit_of_work():  # a bulk statement that does not say which page it changes
        db.session.execute(update(Proposal).where(Proposal.id == pid).values(summary="Shaded places to rest")
                           .execution_options(synchronize_session=False))
    assert "Shaded places to rest" in page(visitor, f"/proposals/{pid}")


def test_pages_are_outdated_when_the_action_commits_not_when_a_savepoint_is_released(app):
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    versions = app.extensions["page_cache"].versions
    before = versions.read(("proposals", pid))
    with app.test_request_context(), unit_of_work():
        db.session.get(Proposal, pid).summary = "Shaded places to rest"
        db.session.flush()
        with db.session.begin_nested():  # SQLAlchemy runs its commit hooks here too
            db.session.get(Proposal, pid).title = "Benches in the shade"
        assert versions.read(("proposals", pid)) == before, "outdated before the change is visible to others"
    assert versions.read(("proposals", pid)) != before


def test_debate_pages_are_copied_and_refreshed_too(app):
    ids = users(app)
    with app.test_request_context(), unit_of_work():
        from agora.accounts.models import User

        did = debates.create_debate(db.session.get(User, ids["rita"]), title="Car-free centre?",
                                    body="What do you think?").id
    visitor = app.test_client()
    page(visitor, f"/debates/{did}")
    with statements(app) as sent:
        page(visitor, f"/debates/{did}")
    assert sent == []
    run(app, ids["sam"], lambda u: comments.add_comment(u, "debates", did, body="Good for the shops", stance="for"))
    assert "Good for the shops" in page(visitor, f"/debates/{did}")


def test_signed_in_people_and_waiting_messages_bypass_the_copies(app, client):
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    visitor = app.test_client()
    page(visitor, f"/proposals/{pid}")
    assert Auth(client).login("sam@example.org").status_code == 302
    supported = post_form(client, f"/proposals/{pid}/support", follow_redirects=True).get_data(as_text=True)
    assert "Thank you for your support." in supported and "You support this proposal." in supported
    # A visitor with a message waiting sees it once; the copy never holds it.
    Auth(client).logout()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this visitor only")]
    assert "A message for this visitor only" in page(client, f"/proposals/{pid}")
    assert "A message for this visitor only" not in page(visitor, f"/proposals/{pid}")
    assert "A message for this visitor only" not in page(client, f"/proposals/{pid}")


def _redis_url() -> str:
    url = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # as the job tests
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no Redis at {url} ({error}); CI starts one")
    return url


def test_two_processes_share_versions_through_redis(app):
    """Two app instances stand for two gunicorn workers: a change made by one outdates the other's copy."""
    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    top = run(app, ids["sam"], lambda u: comments.add_comment(u, "proposals", pid, body="Rude words here").id)
    shared = {"PAGE_CACHE": "redis", "REDIS_URL": _redis_url(), "PAGE_CACHE_PREFIX": f"test:{uuid.uuid4().hex}:"}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    one, other = make_test_app(url, **shared), make_test_app(url, **shared)
    try:
        visitor = one.test_client()
        assert "Rude words here" in page(visitor, f"/proposals/{pid}")
        with statements(one) as sent:
            page(visitor, f"/proposals/{pid}")
        assert sent == []
        run(other, ids["mo"], moderation.moderate, "hide", "comments", [top], reason="Insults")
        assert "Rude words here" not in page(visitor, f"/proposals/{pid}")
        # The first worker's listing cache forgets a proposal another process changed, at once too. (Both apps
        # share this process's listing cache, which any flush here empties: the other process's change is
        # made behind the ORM, then announced through Redis as its commit hook would.)
        assert "Benches on the square" in page(visitor, "/proposals/")
        with statements(one) as sent:
            page(visitor, "/proposals/")
        assert sent == []
        with other.app_context(), db.engine.begin() as conn:
            conn.execute(update(Proposal).where(Proposal.id == pid).values(title="Renamed elsewhere"))
        other.extensions["page_cache"].bump([("proposals", pid), page_cache.PROPOSAL_LISTINGS])
        listing = page(visitor, "/proposals/")
        assert "Renamed elsewhere" in listing and "Benches on the square" not in listing
    finally:
        for instance in (one, other):
            with instance.app_context():
                db.engine.dispose()


def test_listings_rendered_by_one_process_are_served_to_the_others_through_redis(app):
    """A filter combination is rendered once for all workers: the other finds it in Redis, with no query,
    until a change moves the shared version on."""
    from agora.proposals import listing_cache

    ids = users(app)
    pid = a_proposal(app, ids["rita"])
    shared = {"PAGE_CACHE": "redis", "REDIS_URL": _redis_url(), "PAGE_CACHE_PREFIX": f"test:{uuid.uuid4().hex}:"}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    one, other = make_test_app(url, **shared), make_test_app(url, **shared)
    try:
        assert "Benches on the square" in page(one.test_client(), "/proposals/?q=benches")
        listing_cache.clear()  # the other worker's own cache is empty: it is another process
        with statements(other) as sent:
            served = page(other.test_client(), "/proposals/?q=benches")
        assert sent == [] and "Benches on the square" in served and 'value="benches"' in served
        with other.app_context(), db.engine.begin() as conn:
            conn.execute(update(Proposal).where(Proposal.id == pid).values(title="Benches renamed"))
        one.extensions["page_cache"].bump([("proposals", pid), page_cache.PROPOSAL_LISTINGS])
        listing_cache.clear()
        assert "Benches renamed" in page(other.test_client(), "/proposals/?q=benches")
    finally:
        for instance in (one, other):
            with instance.app_context():
                db.engine.dispose()
