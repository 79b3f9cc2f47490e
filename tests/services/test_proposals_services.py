"""Proposals: submit, publish, edit until supported, support once, threshold, retire, archive, list, search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import make_user
from sqlalchemy import func, select

from agora.audit import AuditEntry
from agora.db import db, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.notifications.models import Notification
from agora.permissions import Role
from agora.proposals import services as proposals
from agora.proposals.models import Proposal, ProposalStatus, ProposalSupport

BODY = "A longer text explaining the proposal in some detail."


@pytest.fixture(autouse=True)
def _restore_config(app):
    saved = dict(app.config)
    yield
    app.config.update(saved)


def submit(author, title="More trees on the market square", publish=True, **kw):
    kw.setdefault("summary", "Plant twenty trees for shade")
    kw.setdefault("body", BODY)
    with unit_of_work():
        return proposals.create_proposal(author, title=title, publish=publish, **kw)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_submit_draft_then_publish_and_only_author_sees_draft(ctx):
    rita = make_user(verified=True)
    other = make_user("other@example.org", verified=True)
    draft = submit(rita, publish=False, tags="Green, trees, green")
    assert draft.status == ProposalStatus.DRAFT and draft.tags == ["green", "trees"]
    with pytest.raises(NotFound):
        proposals.get_proposal(draft.id, other)
    assert proposals.list_proposals().total == 0
    with unit_of_work():
        proposals.publish_proposal(rita, draft)
    assert draft.status == ProposalStatus.PUBLISHED and draft.published_at is not None
    assert proposals.get_proposal(draft.id, other) is draft
    assert proposals.list_proposals().total == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"title": "ab"}, "title"), ({"summary": "short"}, "summary"), ({"body": "tiny"}, "body"),
    ({"tags": "ok, <script>"}, "tags"), ({"tags": "a,b,c,d,e,f"}, "tags"), ({"district_id": 999}, "district_id"),
])
def test_submit_rejects_bad_input_naming_the_field(ctx, kwargs, field):
    rita = make_user(verified=True)
    with pytest.raises(InvalidInput) as caught:
        submit(rita, **kwargs)
    assert caught.value.field == field
    assert count(Proposal) == 0


def test_unverified_and_blocked_residents_cannot_submit(ctx):
    from agora.moderation import services as moderation

    with pytest.raises(PermissionDenied):
        submit(make_user("new@example.org"))
    rita = make_user(verified=True)
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    with unit_of_work():
        moderation.block_users(mod, [rita.id], reason="Spam links")
    with pytest.raises(PermissionDenied, match="Spam links"):
        submit(rita)
    assert count(Proposal) == 0


def test_edit_until_supported_only_by_author(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    rita = make_user(verified=True)
    bob = make_user("bob@example.org", verified=True)
    proposal = submit(rita)
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            proposals.update_proposal(bob, proposal, title="Hijacked title", summary="x" * 20, body=BODY)
    with unit_of_work():
        proposals.update_proposal(rita, proposal, title="Even more trees", summary="Plant thirty trees",
                                  body=BODY, tags="trees")
    assert proposal.title == "Even more trees" and proposal.tags == ["trees"]
    with unit_of_work():
        proposals.support_proposal(bob, proposal.id)
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            proposals.update_proposal(rita, proposal, title="Changed after support", summary="x" * 20, body=BODY)


def test_second_support_is_a_conflict_and_one_row(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    proposal = submit(make_user(verified=True))
    bob = make_user("bob@example.org", verified=True)
    with unit_of_work():
        proposals.support_proposal(bob, proposal.id)
    with pytest.raises(Conflict, match="already supported"):
        with unit_of_work():
            proposals.support_proposal(bob, proposal.id)
    db.session.refresh(proposal)
    assert proposal.support_count == 1 == count(ProposalSupport)
    assert proposals.has_supported(bob, proposal)


def test_refused_supports_leave_no_row_and_say_why(ctx, app):
    """A support is written before the proposal's state is checked (one statement fewer): every refusal
    rolls it back, and says what a resident needs to hear."""
    from agora.moderation import services as moderation

    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    rita, bob = make_user(verified=True), make_user("bob@example.org", verified=True)
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    draft = submit(rita, title="A draft", publish=False)
    hidden, retired = submit(rita, title="Hidden one"), submit(rita, title="Retired one")
    with unit_of_work():
        moderation.moderate(mod, "hide", "proposals", [hidden.id], reason="Spam")
        proposals.retire_proposal(rita, retired, reason="done")
    for proposal_id, error in [(draft.id, NotFound), (hidden.id, NotFound), (retired.id, PhaseClosed),
                               (10**9, NotFound)]:
        with pytest.raises(error):
            with unit_of_work():
                proposals.support_proposal(bob, proposal_id)
    assert count(ProposalSupport) == 0
    assert [p.support_count for p in (draft, hidden, retired)] == [0, 0, 0]


def test_threshold_absolute_makes_successful_and_notifies_followers(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 2
    rita = make_user(verified=True, locale="nl")
    proposal = submit(rita)
    a, b, c = (make_user(f"s{i}@example.org", verified=True) for i in range(3))
    with unit_of_work():
        proposals.support_proposal(a, proposal.id)
    assert proposal.status == ProposalStatus.PUBLISHED
    with unit_of_work():
        proposals.support_proposal(b, proposal.id)
    assert proposal.status == ProposalStatus.SUCCESSFUL and proposal.successful_at
    # The author (following since submitting) and both supporters were told, each in their language.
    told = db.session.scalars(select(Notification).where(Notification.kind == "proposal.successful")).all()
    assert {n.user_id for n in told} == {rita.id, a.id, b.id}
    assert any("drempel" in n.message or "steun" in n.message for n in told if n.user_id == rita.id)
    with unit_of_work():  # still collects supports, without a second notification
        proposals.support_proposal(c, proposal.id)
    assert count(Notification, Notification.kind == "proposal.successful") == 3


def test_threshold_as_a_share_of_verified_residents(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = "1%"
    for i in range(3):
        make_user(f"v{i}@example.org", verified=True)
    assert proposals.support_threshold() == 1  # at least one
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = "50%"
    assert proposals.support_threshold() == 2


def test_pages_count_verified_residents_once_a_minute_but_success_uses_the_exact_count(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = "50%"
    author, backer = make_user("rita@example.org", verified=True), make_user("sam@example.org", verified=True)
    proposal = submit(author)
    assert proposals.support_threshold() == 1  # 50 % of 2, now cached for the pages
    for i in range(2):
        make_user(f"v{i}@example.org", verified=True)
    assert proposals.support_threshold() == 1, "pages read the count of a minute ago"
    assert proposals.support_threshold(exact=True) == 2
    with unit_of_work():
        proposals.support_proposal(backer, proposal.id)
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.PUBLISHED  # 1 of 2, not successful
    app.config["PROPOSALS_THRESHOLD_CACHE_SECONDS"] = 0
    assert proposals.support_threshold() == 2


def test_supports_far_below_a_share_threshold_do_not_count_the_census(ctx, app):
    from sqlalchemy import event

    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = "50%"
    residents = [make_user(f"v{i}@example.org", verified=True) for i in range(20)]
    proposal = submit(residents[0])
    assert proposals.support_threshold() == 10  # counted now, cached for the pages
    sent = []

    def record(conn, cursor, statement, *args):  # noqa: ARG001
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for backer in residents[1:10]:
            with unit_of_work():
                proposals.support_proposal(backer, proposal.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    census_counts = [s for s in sent if "count(" in s.lower() and "census_entries" in s]
    assert len(census_counts) == 1, "only the ninth support, within a tenth of the threshold, counts exactly"
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.PUBLISHED  # 9 of 10
    with unit_of_work():
        proposals.support_proposal(residents[10], proposal.id)
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.SUCCESSFUL


def test_retire_with_reason_stops_supports(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    rita = make_user(verified=True)
    proposal = submit(rita)
    with pytest.raises(InvalidInput):
        with unit_of_work():
            proposals.retire_proposal(rita, proposal, reason="bored")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            proposals.retire_proposal(make_user("x@example.org", verified=True), proposal, reason="duplicate")
    with unit_of_work():
        proposals.retire_proposal(rita, proposal, reason="duplicate", explanation="See proposal 12")
    assert proposal.status == ProposalStatus.RETIRED and proposal.retired_reason == "duplicate"
    with pytest.raises(PhaseClosed):
        with unit_of_work():
            proposals.support_proposal(make_user("late@example.org", verified=True), proposal.id)
    assert proposals.list_proposals().total == 0
    assert proposals.list_proposals(status="retired").total == 1


def test_archive_after_the_configured_period_is_audited(ctx, app, runner):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    rita = make_user(verified=True)
    old, fresh = submit(rita, title="An old proposal"), submit(rita, title="A fresh proposal")
    old.published_at = utcnow() - timedelta(days=400)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        proposals.archive_stale_proposals(rita)
    result = runner.invoke(args=["proposals", "archive"])
    assert result.exit_code == 0, result.output
    assert "1 proposal" in result.output
    db.session.expire_all()
    assert db.session.get(Proposal, old.id).status == ProposalStatus.ARCHIVED
    assert db.session.get(Proposal, fresh.id).status == ProposalStatus.PUBLISHED
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "proposals.archive")).one()
    assert entry.details_dict["ids"] == [old.id]
    assert count(Notification, Notification.kind == "proposal.archived") == 1


def test_listing_filters_sorts_and_paginates(ctx, app):
    app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 100
    from agora.census.models import District

    rita = make_user(verified=True, district="Kessel-Lo")
    kessel = db.session.scalar(select(District).where(District.name == "Kessel-Lo"))
    a = submit(rita, title="Bike lanes everywhere", tags="mobility", district_id=kessel.id)
    b = submit(rita, title="A new library", tags="culture")
    c = submit(rita, title="Late night buses", tags="mobility")
    supporters = [make_user(f"s{i}@example.org", verified=True) for i in range(3)]
    for user in supporters:
        with unit_of_work():
            proposals.support_proposal(user, b.id)
    with unit_of_work():
        proposals.support_proposal(supporters[0], c.id)
    # An old support on a counts for "most supported" but not for "hot".
    with unit_of_work():
        for user in supporters[:2]:
            proposals.support_proposal(user, a.id)
    db.session.execute(ProposalSupport.__table__.update().where(ProposalSupport.proposal_id == a.id)
                       .values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()

    def ids(**kw):
        return [p.id for p in proposals.list_proposals(**kw).items]

    assert ids() == [c.id, b.id, a.id]
    assert ids(sort="most_supported") == [b.id, a.id, c.id]
    assert ids(sort="hot") == [b.id, c.id, a.id]
    assert ids(tag="mobility") == [c.id, a.id]
    assert ids(district=str(kessel.id)) == [a.id]
    assert ids(district="city") == [c.id, b.id]
    assert ids(sort="'; DROP TABLE proposals; --", status="nonsense") == [c.id, b.id, a.id]
    page = proposals.list_proposals(per_page=2, page=2)
    assert (page.total, page.pages, [p.id for p in page.items]) == (3, 2, [a.id])
    page = proposals.list_proposals(per_page=2, page=1, tag="mobility", sort="hot")
    assert (page.total, page.pages, page.has_next, page.next_num) == (2, 1, False, None)
    past_the_end = proposals.list_proposals(per_page=2, page=5)  # the total still counted, for the pager
    assert (past_the_end.total, past_the_end.items, past_the_end.prev_num) == (3, [], 4)
    assert proposals.list_proposals(q="nothing matches this").total == 0


def test_full_text_search_finds_words_and_never_hidden_or_drafts(ctx, app):
    from agora.moderation import services as moderation

    rita = make_user(verified=True)
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    trees = submit(rita, title="More trees on the market square", body="Shade for the summer heat waves.")
    bikes = submit(rita, title="Secure bicycle parking", summary="Parking for bicycles",
                   body="Covered racks near the station.")
    spam = submit(rita, title="Buy cheap trees here", body="Visit my shop for trees.")
    submit(rita, title="Draft about trees", publish=False)

    def found(q):
        return {p.id for p in proposals.list_proposals(q=q).items}

    assert found("trees") == {trees.id, spam.id}
    assert found("summer heat") == {trees.id}
    assert found("bicycle OR trees") in ({trees.id, spam.id, bikes.id}, set())  # OR is PostgreSQL syntax
    assert found('"; DROP TABLE proposals; -- * NEAR(') == set()  # never an error
    with unit_of_work():
        moderation.moderate(mod, "hide", "proposals", [spam.id], reason="Advertising")
    assert found("trees") == {trees.id}
    # An edit is searchable at once (triggers on both databases).
    with unit_of_work():
        proposals.update_proposal(rita, bikes, title="Secure bicycle parking", summary="Parking for bicycles",
                                  body="Covered racks near the station, with tulips.")
    assert found("tulips") == {bikes.id}


def test_feed_and_listings_exclude_hidden(ctx):
    from agora.moderation import services as moderation

    rita = make_user(verified=True)
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    shown, hidden = submit(rita, title="Visible proposal"), submit(rita, title="Hidden proposal")
    with unit_of_work():
        moderation.moderate(mod, "hide", "proposals", [hidden.id], reason="Offensive")
    assert [p.id for p in proposals.recent_for_feed()] == [shown.id]
    assert [p.id for p in proposals.list_proposals(status="active").items] == [shown.id]


def test_fifty_concurrent_supports_by_one_user_record_exactly_one(app):
    """Fifty simultaneous support requests by the same person (double clicks, a script): one support."""
    import threading

    from helpers import post_form

    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite serialises writers)")
    app.config["RATELIMIT_POSTING"] = "1000 per minute"
    if True:
        with app.app_context():
            app.config["PROPOSALS_SUPPORT_THRESHOLD"] = 1000
            rita = make_user(verified=True)
            proposal = submit(rita)
            proposal_id = proposal.id
        client = app.test_client()
        post_form(client, "/account/login", {"email": "rita@example.org", "password": "correct horse battery"})
        from helpers import csrf_token

        token = csrf_token(client, "/proposals/")
        cookie = client.get_cookie("session").value
        barrier = threading.Barrier(50)
        statuses: list[int] = []

        def one():
            c = app.test_client()
            c.set_cookie("session", cookie, domain="localhost")
            barrier.wait()
            statuses.append(c.post(f"/proposals/{proposal_id}/support", data={"csrf_token": token}).status_code)

        threads = [threading.Thread(target=one) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [302] * 50  # every click answered with a redirect and a message, never an error
        with app.app_context():
            assert count(ProposalSupport, ProposalSupport.proposal_id == proposal_id) == 1
            assert db.session.get(Proposal, proposal_id).support_count == 1


def test_postgresql_search_index_takes_new_proposals_directly(app):
    """No GIN pending list that every search would scan until vacuum (see migration 9d3e2a61c0f4)."""
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("an option of PostgreSQL's GIN index; SQLite searches its FTS5 table")
    from sqlalchemy import text

    with app.app_context():
        options = db.session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'ix_proposals_search'"))
    assert "fastupdate=off" in options


def test_postgresql_supports_leave_the_search_index_alone(ctx, app):
    """A support rewrites the proposal's row, not its words (see migration b5e81c4f2a70): the row of the
    search table keeps its version; an edit of the text writes a new one."""
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("PostgreSQL's search table; SQLite's FTS5 triggers fire on the text columns only")
    from sqlalchemy import text

    rita, bob = make_user(verified=True), make_user("bob@example.org", verified=True)
    proposal = submit(rita, title="Benches in the park", body="Older people need to rest.")

    def words_version():
        return db.session.scalar(text("SELECT xmin::text FROM proposals_search WHERE proposal_id = :id"),
                                 {"id": proposal.id})

    first = words_version()
    with unit_of_work():  # editing is allowed until the first support
        proposals.update_proposal(rita, db.session.get(Proposal, proposal.id), title="Benches in the park",
                                  summary=proposal.summary, body="Older people need to rest in the shade.")
    edited = words_version()
    assert edited != first
    assert [p.id for p in proposals.list_proposals(q="shade").items] == [proposal.id]
    with unit_of_work():
        proposals.support_proposal(bob, proposal.id)
    assert words_version() == edited
    assert db.session.get(Proposal, proposal.id).support_count == 1
