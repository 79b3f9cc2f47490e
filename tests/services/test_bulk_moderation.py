"""Bulk moderation: hide, restore, dismiss and block authors on a selection, one transaction each,
audited item by item with the reason; a batch touching the moderator's own content (or, for blocks,
another staff member) is refused as a whole with a message naming the item."""

from __future__ import annotations

import pytest
from helpers import make_user
from sqlalchemy import func, select

from agora.audit import AuditEntry
from agora.comments import services as comments
from agora.db import db, unit_of_work
from agora.debates import services as debates
from agora.errors import InvalidInput, PermissionDenied
from agora.moderation import services as moderation
from agora.moderation.models import Flag, UserBlock
from agora.permissions import Role


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 0
    yield
    app.config.update(saved)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def thread():
    """A debate by Rita with a comment each by Rita, Bob and Carl, all flagged once."""
    rita = make_user("rita@example.org", name="Rita", verified=True)
    bob = make_user("bob@example.org", name="Bob", verified=True)
    carl = make_user("carl@example.org", name="Carl", verified=True)
    flagger = make_user("flagger@example.org")
    with unit_of_work():
        debate = debates.create_debate(rita, title="Cars in the centre?", body="Let us talk about cars here.")
    said = []
    for user in (rita, bob, carl):
        with unit_of_work():
            said.append(comments.add_comment(user, "debates", debate.id, body=f"Words by {user.display_name}"))
        with unit_of_work():
            moderation.flag_content(flagger, "comments", said[-1].id, reason="offensive")
    return debate, said


def test_bulk_hide_then_dismiss_and_restore_each_audited_with_reason(ctx):
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    _debate, said = thread()
    ids = [c.id for c in said]
    with unit_of_work():
        assert moderation.moderate(mod, "hide", "comments", ids, reason="Insults") == 3
    assert all(c.is_hidden and c.hidden_reason == "Insults" for c in said)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.hide")).all()
    assert sorted(int(e.target_id) for e in entries) == sorted(ids)
    assert {e.details_dict["reason"] for e in entries} == {"Insults"}
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    with unit_of_work():
        assert moderation.moderate(mod, "restore", "comments", ids[:2], reason="Fine after all") == 2
    assert [c.is_hidden for c in said] == [False, False, True]
    restored = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.restore")).all()
    assert [e.details_dict["reason"] for e in restored] == ["Fine after all"] * 2


def test_bulk_block_authors_once_each_with_reason(ctx):
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    _debate, said = thread()
    with unit_of_work():
        comments.add_comment(said[1].author, "debates", said[0].target_id, body="Bob again")
    bob_again = db.session.scalars(select(comments.Comment).where(comments.Comment.body == "Bob again")).one()
    with pytest.raises(InvalidInput, match="Give a reason"), unit_of_work():
        moderation.moderate(mod, "block", "comments", [said[1].id], reason=" ")
    with unit_of_work():
        assert moderation.moderate(mod, "block", "comments", [said[1].id, bob_again.id, said[2].id],
                                   reason="Spam wave") == 2
    blocked = set(db.session.scalars(select(UserBlock.user_id)))
    assert blocked == {said[1].author_id, said[2].author_id}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moderation.block_user")
                                 .order_by(AuditEntry.id)).all()
    assert [e.details_dict for e in entries] == [
        {"reason": "Spam wave", "items": [f"comments:{said[1].id}", f"comments:{bob_again.id}"]},
        {"reason": "Spam wave", "items": [f"comments:{said[2].id}"]}]
    # Blocking again is harmless: nobody new.
    with unit_of_work():
        assert moderation.moderate(mod, "block", "comments", [said[1].id], reason="Again") == 0


def test_batch_with_own_content_rolls_back_entirely_naming_the_item(ctx):
    _debate, said = thread()
    mine_author = make_user("verymod@example.org", name="Vera", roles=[Role.MODERATOR], verified=True)
    with unit_of_work():
        mine = comments.add_comment(mine_author, "debates", said[0].target_id, body="My own words")
    ids = [said[1].id, said[2].id, mine.id]
    for action in ("hide", "dismiss", "block"):
        audit_before = count(AuditEntry)
        with pytest.raises(PermissionDenied, match=f"comment {mine.id} by Vera is your own"), unit_of_work():
            moderation.moderate(mine_author, action, "comments", ids, reason="Cleaning up")
        assert count(AuditEntry) == audit_before
    db.session.expire_all()
    assert not any(c.is_hidden for c in said) and count(UserBlock) == 0
    assert count(Flag, Flag.resolved_at.is_(None)) == 3  # the dismissals were rolled back too


def test_blocking_a_staff_author_refuses_the_batch_naming_the_item(ctx):
    mod = make_user("mod@example.org", roles=[Role.MODERATOR])
    _debate, said = thread()
    colleague = make_user("colleague@example.org", name="Col", roles=[Role.MODERATOR], verified=True)
    with unit_of_work():
        debate = debates.create_debate(colleague, title="A staff debate", body="Moderators may debate too.")
    with pytest.raises(PermissionDenied, match="author of “A staff debate” is a moderator"), unit_of_work():
        moderation.moderate(mod, "block", "debates", [debate.id], reason="No")
    with pytest.raises(PermissionDenied, match="author of comment"), unit_of_work():
        moderation.moderate(mod, "block", "comments", [said[1].id, _comment_by(colleague, said).id], reason="No")
    assert count(UserBlock) == 0


def _comment_by(user, said):
    with unit_of_work():
        return comments.add_comment(user, "debates", said[0].target_id, body="Staff comment")


@pytest.mark.parametrize("kind", ["resident", "verified", "clerk"])
def test_only_moderators_act_in_bulk(ctx, kind):
    _debate, said = thread()
    roles = [Role.CLERK] if kind == "clerk" else []
    actor = make_user(f"{kind}@example.org", roles=roles, verified=kind == "verified")
    for action in ("hide", "restore", "dismiss", "block"):
        with pytest.raises(PermissionDenied, match="not allowed"), unit_of_work():
            moderation.moderate(actor, action, "comments", [said[1].id], reason="x")
    assert count(UserBlock) == 0 and not any(c.is_hidden for c in said)


def test_admin_may_act_in_bulk(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    _debate, said = thread()
    with unit_of_work():
        assert moderation.moderate(admin, "block", "comments", [said[0].id], reason="Admin decision") == 1
