"""Comments (threads, depth, votes, history, mentions), debates, and moderation (flags, queue, acts, blocks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from helpers import make_user
from sqlalchemy import func, select

from agora.audit import AuditEntry
from agora.comments import services as comments
from agora.comments.models import CommentRevision, CommentVote
from agora.db import db, unit_of_work, utcnow
from agora.debates import services as debates
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.moderation import services as moderation
from agora.moderation.models import Flag
from agora.notifications.models import Notification
from agora.permissions import Role
from agora.proposals import services as proposals


@pytest.fixture(autouse=True)
def _restore_config(app):
    saved = dict(app.config)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 0
    yield
    app.config.update(saved)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def a_debate(author, title="Should the centre be car-free?"):
    with unit_of_work():
        return debates.create_debate(author, title=title, body="Let us talk about cars in the centre.")


def say(user, target_type, target_id, body="I agree with this idea.", **kw):
    with unit_of_work():
        return comments.add_comment(user, target_type, target_id, body=body, **kw)


def test_threaded_replies_go_three_levels_deep_and_notify(ctx):
    rita = make_user(verified=True, name="Rita")
    bob = make_user("bob@example.org", verified=True, name="Bob Builder")
    debate = a_debate(rita)
    top = say(bob, "debates", debate.id, stance="for")
    reply = say(rita, "debates", debate.id, body="Why, @BobBuilder?", parent_id=top.id)
    deeper = say(bob, "debates", debate.id, body="Because of the air.", parent_id=reply.id)
    assert (top.depth, reply.depth, deeper.depth) == (0, 1, 2)
    with pytest.raises(InvalidInput, match="three levels"):
        say(rita, "debates", debate.id, parent_id=deeper.id)
    with pytest.raises(InvalidInput):  # stance only on top-level debate comments
        say(rita, "debates", debate.id, parent_id=top.id, stance="against")
    kinds = dict(db.session.execute(select(Notification.kind, func.count()).where(Notification.user_id == bob.id)
                                    .group_by(Notification.kind)).all())
    assert kinds.get("comment.mention") == 1  # the mention, not a second "new comment" for the same reply
    assert db.session.get(type(debate), debate.id).comment_count == 3
    thread = comments.get_thread("debates", debate.id, viewer=rita)
    assert [c.id for c in thread.page.items] == [top.id]
    assert [c.id for c in thread.replies[top.id]] == [reply.id]
    assert [c.id for c in thread.replies[reply.id]] == [deeper.id]
    assert comments.stance_balance("debates", debate.id) == {"for": 1, "neutral": 0, "against": 0}


def test_a_thread_says_what_its_viewer_may_do_with_each_comment(ctx):
    rita = make_user(verified=True, name="Rita")
    bob = make_user("bob@example.org", verified=True, name="Bob")
    mona = make_user("mona@example.org", verified=True, name="Mona", roles=[Role.MODERATOR])
    debate = a_debate(rita)
    ritas, bobs = say(rita, "debates", debate.id), say(bob, "debates", debate.id)
    may = comments.get_thread("debates", debate.id, viewer=rita).may
    assert may[ritas.id] == comments.CommentActions(vote=False, edit=True, flag=False, hide=False)
    assert may[bobs.id] == comments.CommentActions(vote=True, edit=False, flag=True, hide=False)
    may = comments.get_thread("debates", debate.id, viewer=mona).may
    assert may[bobs.id] == comments.CommentActions(vote=True, edit=False, flag=True, hide=True)
    assert comments.get_thread("debates", debate.id).may == {}  # a visitor
    with unit_of_work():
        moderation.moderate(mona, "hide", "comments", [ritas.id], reason="Rude")
    assert comments.get_thread("debates", debate.id, viewer=rita).may[ritas.id].edit is False  # hidden: no edits


@pytest.mark.parametrize("order", ["newest", "best"])
def test_a_long_thread_is_paged_by_queries_as_a_short_one_is_paged_in_memory(ctx, monkeypatch, order):
    rita = make_user(verified=True, name="Rita")
    bob = make_user("bob@example.org", verified=True, name="Bob")
    debate = a_debate(rita)
    tops = [say(bob, "debates", debate.id, body=f"Point {i}") for i in range(5)]
    reply = say(rita, "debates", debate.id, body="Why?", parent_id=tops[1].id)
    say(bob, "debates", debate.id, body="Air.", parent_id=reply.id)
    say(rita, "debates", debate.id, body="Also.", parent_id=tops[3].id)
    with unit_of_work():
        comments.vote_comment(rita, tops[2].id, 1)
        comments.vote_comment(rita, tops[0].id, -1)

    def shape(page, known_long=False):
        thread = comments.get_thread("debates", debate.id, viewer=rita, page=page, per_page=2, order=order,
                                     known_long=known_long)
        items = [c.id for c in thread.page.items]
        shown = comments._with_replies(thread.page.items, thread.replies)
        nested = {c.id: [r.id for r in thread.replies.get(c.id, [])] for c in shown}
        pager = (thread.page.total, thread.page.pages, thread.page.prev_num, thread.page.next_num)
        return items, nested, pager, thread.total, thread.my_votes

    in_memory = [shape(page) for page in (1, 2, 3, 4)]
    assert [shape(page, known_long=True) for page in (1, 2, 3, 4)] == in_memory  # the caller's hint, paged
    monkeypatch.setattr(comments, "SMALL_THREAD", 3)  # now the thread is "long"
    assert [shape(page) for page in (1, 2, 3, 4)] == in_memory
    t = [c.id for c in tops]
    pages = [[t[2], t[4]], [t[3], t[1]], [t[0]]] if order == "best" else [[t[4], t[3]], [t[2], t[1]], [t[0]]]
    assert [shape[0] for shape in in_memory] == [*pages, []]
    assert [shape[2] for shape in in_memory] == [(5, 3, None, 2), (5, 3, 1, 3), (5, 3, 2, None), (5, 3, 3, None)]
    assert {shape[3] for shape in in_memory} == {8}
    on_page_with_t1 = in_memory[1]
    assert on_page_with_t1[1][t[1]] == [reply.id] and len(on_page_with_t1[1][reply.id]) == 1
    votes = [shape[4] for shape in in_memory]
    assert votes == ([{t[2]: 1}, {}, {t[0]: -1}, {}] if order == "best" else [{}, {t[2]: 1}, {t[0]: -1}, {}])


def test_proposals_have_the_same_threads_without_stance(ctx):
    rita = make_user(verified=True)
    with unit_of_work():
        proposal = proposals.create_proposal(rita, title="Benches in the park", summary="More benches please",
                                             body="Older people need to rest.", publish=True)
    comment = say(rita, "proposals", proposal.id)
    assert comment.target_type == "proposals"
    with pytest.raises(InvalidInput):
        say(rita, "proposals", proposal.id, stance="for")
    with pytest.raises(NotFound):
        say(rita, "nonsense", proposal.id)


def test_edit_keeps_history_and_only_author_edits(ctx):
    rita = make_user(verified=True)
    bob = make_user("bob@example.org", verified=True)
    debate = a_debate(rita)
    comment = say(bob, "debates", debate.id, body="First version")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            comments.edit_comment(rita, comment.id, body="Not yours")
    with unit_of_work():
        comments.edit_comment(bob, comment.id, body="Second version")
    current, revisions = comments.comment_history(comment.id)
    assert current.body == "Second version" and current.edited_at
    assert [r.body for r in revisions] == ["First version"]
    assert count(CommentRevision) == 1


def test_votes_up_down_toggle_and_not_own(ctx):
    rita = make_user(verified=True)
    bob = make_user("bob@example.org", verified=True)
    debate = a_debate(rita)
    comment = say(bob, "debates", debate.id)
    with pytest.raises(Conflict):
        with unit_of_work():
            comments.vote_comment(bob, comment.id, 1)
    with unit_of_work():
        assert comments.vote_comment(rita, comment.id, 1) == 1
    assert (comment.upvotes, comment.downvotes) == (1, 0)
    with unit_of_work():
        assert comments.vote_comment(rita, comment.id, -1) == -1
    assert (comment.upvotes, comment.downvotes) == (0, 1)
    with unit_of_work():
        assert comments.vote_comment(rita, comment.id, -1) == 0
    assert (comment.upvotes, comment.downvotes, count(CommentVote)) == (0, 0, 0)


def test_locked_debate_refuses_comments_and_lock_is_audited(ctx):
    rita = make_user(verified=True)
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    debate = a_debate(rita)
    with pytest.raises(InvalidInput):
        with unit_of_work():
            moderation.lock_debates(mod, [debate.id], reason="  ")
    with unit_of_work():
        moderation.lock_debates(mod, [debate.id], reason="Off the rails")
    with pytest.raises(PhaseClosed):
        say(rita, "debates", debate.id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.lock_debate")).one()
    assert entry.details_dict == {"reason": "Off the rails"}
    own = a_debate(mod, title="A moderator's own debate")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            moderation.lock_debates(mod, [own.id], reason="Mine")


def test_debate_needs_verified_resident_with_old_enough_account_or_moderator(ctx, app):
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 2
    rita = make_user(verified=True)
    with pytest.raises(PermissionDenied, match="2 days"):
        a_debate(rita)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 1
    with pytest.raises(PermissionDenied, match=r"after 1 day\. "):  # singular, not "1 days"
        a_debate(rita)
    with force_locale("fr"), pytest.raises(PermissionDenied, match="après 1 jour\\. "):
        a_debate(rita)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 2
    rita.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert a_debate(rita).id
    with pytest.raises(PermissionDenied):
        a_debate(make_user("unverified@example.org"))
    assert a_debate(make_user("mod@example.org", roles=[Role.MODERATOR])).id


def test_flags_once_not_own_and_auto_hide_after_threshold(ctx, app):
    app.config["MODERATION_FLAGS_TO_HIDE"] = 2
    author = make_user(verified=True)
    debate = a_debate(author)
    comment = say(author, "debates", debate.id, body="Buy my stuff")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            moderation.flag_content(author, "comments", comment.id, reason="spam")
    ann = make_user("ann@example.org")  # any resident may report, verified or not
    ben = make_user("ben@example.org")
    with pytest.raises(InvalidInput):
        with unit_of_work():
            moderation.flag_content(ann, "comments", comment.id, reason="ugly")
    with unit_of_work():
        assert moderation.flag_content(ann, "comments", comment.id, reason="spam") is False
    with pytest.raises(Conflict, match="already reported"):
        with unit_of_work():
            moderation.flag_content(ann, "comments", comment.id, reason="offensive")
    with unit_of_work():
        assert moderation.flag_content(ben, "comments", comment.id, reason="offensive") is True
    assert comment.hidden_pending_review and comment.flag_count == 2
    assert count(AuditEntry, AuditEntry.action == "moderation.auto_hide") == 1
    # Hidden comments stay in the thread as placeholders; replying to them is refused.
    thread = comments.get_thread("debates", debate.id)
    assert thread.page.items[0].is_hidden
    with pytest.raises(Conflict):
        say(author, "debates", debate.id, parent_id=comment.id)
    assert comments.stance_balance("debates", debate.id) == {"for": 0, "neutral": 0, "against": 0}


def test_queue_sorted_by_flags_and_bulk_acts_audited_never_on_own_content(ctx):
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    rita = make_user(verified=True)
    debate = a_debate(rita)
    c1, c2 = say(rita, "debates", debate.id, body="one"), say(rita, "debates", debate.id, body="two")
    flaggers = [make_user(f"f{i}@example.org") for i in range(2)]
    for user in flaggers:
        with unit_of_work():
            moderation.flag_content(user, "comments", c2.id, reason="offensive")
    with unit_of_work():
        moderation.flag_content(flaggers[0], "comments", c1.id, reason="spam")
    with pytest.raises(PermissionDenied):
        moderation.moderation_queue(rita, "comments")
    page = moderation.moderation_queue(mod, "comments")
    assert [c.id for c in page.items] == [c2.id, c1.id]
    assert moderation.open_flag_reasons("comments", [c2.id]) == {c2.id: {"offensive": 2}}
    with pytest.raises(InvalidInput):  # hiding needs a reason
        with unit_of_work():
            moderation.moderate(mod, "hide", "comments", [c1.id, c2.id], reason="")
    with unit_of_work():
        assert moderation.moderate(mod, "hide", "comments", [c1.id, c2.id], reason="Insults") == 2
    assert c1.is_hidden and not c1.hidden_pending_review and c1.hidden_reason == "Insults"
    assert moderation.moderation_queue(mod, "comments").total == 0
    assert moderation.moderation_queue(mod, "comments", state="hidden").total == 2
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    assert count(AuditEntry, AuditEntry.action == "moderation.hide") == 2
    assert count(Notification, Notification.kind == "moderation.hidden", Notification.user_id == rita.id) == 2
    with unit_of_work():
        moderation.moderate(mod, "restore", "comments", [c1.id], reason="On second thought")
    assert not c1.is_hidden
    mine = say(make_user("verifiedmod@example.org", verified=True, roles=[Role.MODERATOR]), "debates", debate.id)
    me = db.session.get(type(mod), mine.author_id)
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            moderation.moderate(me, "hide", "comments", [c2.id, mine.id], reason="Mine too")
    assert not mine.is_hidden  # all or nothing


def test_dismiss_restores_content_hidden_by_flags(ctx, app):
    app.config["MODERATION_FLAGS_TO_HIDE"] = 1
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    rita = make_user(verified=True)
    debate = a_debate(rita)
    with unit_of_work():
        moderation.flag_content(make_user("x@example.org"), "debates", debate.id, reason="off_topic")
    assert debate.hidden_pending_review and debates.list_debates().total == 0
    with unit_of_work():
        moderation.moderate(mod, "dismiss", "debates", [debate.id])
    assert not debate.is_hidden and debate.flag_count == 0 and debates.list_debates().total == 1


def test_block_user_with_reason_cannot_post_anything_and_unblock(ctx):
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    rita = make_user(verified=True)
    debate = a_debate(rita)
    comment = say(rita, "debates", debate.id)
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            moderation.block_users(mod, [mod.id], reason="Self")
    with pytest.raises(PermissionDenied):
        with unit_of_work():
            moderation.block_users(mod, [admin.id], reason="Staff")
    with unit_of_work():
        moderation.block_users(mod, [rita.id], reason="Repeated insults")
    other = say(make_user("other@example.org", verified=True), "debates", debate.id)
    for attempt in (
        lambda: say(rita, "debates", debate.id),
        lambda: a_debate(rita),
        lambda: comments.edit_comment(rita, comment.id, body="edited while blocked"),
        lambda: comments.vote_comment(rita, other.id, 1),
        lambda: proposals.create_proposal(rita, title="Blocked proposal", summary="x" * 20, body="y" * 20),
        lambda: moderation.flag_content(rita, "comments", other.id, reason="spam"),
    ):
        with pytest.raises(PermissionDenied, match="Repeated insults"):
            with unit_of_work():
                attempt()
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == rita.id,
                                                                  Notification.kind == "moderation.blocked")).one()
    assert "Repeated insults" in told
    assert count(AuditEntry, AuditEntry.action == "moderation.block_user") == 1
    with unit_of_work():
        moderation.unblock_user(mod, rita.id, reason="Apologised")
    assert say(rita, "debates", debate.id).id
