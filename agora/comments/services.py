"""Comment threads on anything commentable (proposals, debates): post, reply (depth 3), edit with
history, vote up or down, @mention. Hidden comments stay in the thread as placeholders."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Exists, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from agora.accounts.models import User
from agora.comments.models import MAX_DEPTH, Comment, CommentRevision, CommentVote, Stance
from agora.db import Page, db, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PhaseClosed
from agora.moderation.services import ensure_can_post
from agora.notifications import services as notifications
from agora.permissions import Permission, can, object_rule, require

MAX_LENGTH = 2000
MAX_MENTIONS = 5
_MENTION_RE = re.compile(r"(?<![\w@])@([\w.\-]{2,40})", re.UNICODE)


@dataclass(frozen=True)
class Target:
    """How comments see the thing they are attached to; each feature registers one."""

    load: Callable[[int], Any]  # id -> object or None
    endpoint: str  # the page that shows the thread, taking ``id``
    allows_stance: bool = False


TARGETS: dict[str, Target] = {}


def register_target(name: str, target: Target) -> None:
    TARGETS[name] = target


@object_rule(Permission.COMMENT_EDIT)
def _author_edits_visible_comment(user: User, comment: Comment) -> bool:
    return comment.author_id == user.id and comment.hidden_at is None


def get_target(target_type: str, target_id: int) -> tuple[Target, Any]:
    """The commented object if it exists and is public (published, not hidden)."""
    target = TARGETS.get(target_type)
    obj = target.load(target_id) if target is not None else None
    if obj is None or not obj.is_public:
        raise NotFound(_("There is nothing to comment on here."))
    return target, obj


def comment_url(comment: Comment) -> str | None:
    target = TARGETS.get(comment.target_type)
    if target is None:
        return None
    try:
        return url_for(target.endpoint, id=comment.target_id, _anchor=f"comment-{comment.id}")
    except RuntimeError:
        return None


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Write a comment first."), field="body")
    if len(body) > MAX_LENGTH:
        raise InvalidInput(_("A comment is limited to %(n)d characters.", n=MAX_LENGTH), field="body")
    return body


def mentioned_users(body: str, *, exclude: User | None = None) -> list[User]:
    """Users named as ``@Name`` (their display name without spaces, any case), at most five."""
    handles = list(dict.fromkeys(m.lower() for m in _MENTION_RE.findall(body)))[:MAX_MENTIONS]
    if not handles:
        return []
    key = func.lower(func.replace(User.display_name, " ", ""))
    users = db.session.scalars(select(User).where(key.in_(handles), User.deleted_at.is_(None))).all()
    return [u for u in users if exclude is None or u.id != exclude.id][:MAX_MENTIONS * 2]


def add_comment(actor: User, target_type: str, target_id: int, *, body: str, parent_id: int | None = None,
                stance: str | None = None) -> Comment:
    """A verified, unblocked resident comments or replies (up to depth 3).

    Followers of the target, the parent's author and @mentioned people are notified; the
    commenter starts following the target. Raises PhaseClosed when the thread is locked.
    """
    ensure_can_post(actor)
    target, obj = get_target(target_type, target_id)
    if not getattr(obj, "comments_open", True):
        raise PhaseClosed(_("This discussion is closed to new comments."))
    body = _clean_body(body)
    parent = None
    if parent_id:
        parent = db.session.get(Comment, parent_id)
        if parent is None or (parent.target_type, parent.target_id) != (target_type, obj.id):
            raise NotFound(_("The comment you reply to does not exist."))
        if parent.is_hidden:
            raise Conflict(_("You cannot reply to a hidden comment."))
        if parent.depth >= MAX_DEPTH - 1:
            raise InvalidInput(_("Replies go at most three levels deep."), field="body")
    stance = stance or None
    if stance is not None:
        if stance not in set(Stance) or not target.allows_stance or parent is not None:
            raise InvalidInput(_("Choose a stance from the list."), field="stance")
    comment = Comment(target_type=target_type, target_id=obj.id, parent_id=parent.id if parent else None,
                      depth=parent.depth + 1 if parent else 0, author_id=actor.id, body=body, stance=stance)
    db.session.add(comment)
    if hasattr(type(obj), "comment_count"):
        model = type(obj)
        db.session.execute(update(model).where(model.id == obj.id).values(comment_count=model.comment_count + 1)
                           .execution_options(synchronize_session=False, cached_page=(target_type, obj.id)))
    db.session.flush()
    _notify_new_comment(actor, comment, obj, parent)
    notifications.follow(actor, target_type, obj.id)
    return comment


def _notify_new_comment(actor: User, comment: Comment, obj: Any, parent: Comment | None) -> None:
    link, title, name = comment_url(comment), obj.title, actor.display_name
    mentioned = mentioned_users(comment.body, exclude=actor)
    notifications.notify(mentioned, "comment.mention", lambda: _(
        "%(name)s mentioned you in a comment on “%(title)s”.", name=name, title=title), link)
    skip = {u.id for u in mentioned} | {actor.id}
    if parent is not None and parent.author_id not in skip:
        notifications.notify([parent.author], "comment.reply", lambda: _(
            "%(name)s replied to your comment on “%(title)s”.", name=name, title=title), link)
        skip.add(parent.author_id)
    others = [u for u in notifications.followers(comment.target_type, obj.id) if u.id not in skip]
    notifications.notify(others, "comment.new", lambda: _(
        "%(name)s commented on “%(title)s”.", name=name, title=title), link)


def edit_comment(actor: User, comment_id: int, *, body: str) -> Comment:
    """The author edits a visible comment; the earlier text is kept and shown as its history."""
    comment = get_comment(comment_id)
    ensure_can_post(actor)
    require(actor, Permission.COMMENT_EDIT, comment)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    db.session.add(CommentRevision(comment_id=comment.id, body=comment.body,
                                   written_at=comment.edited_at or comment.created_at))
    comment.body, comment.edited_at = body, utcnow()
    db.session.flush()
    return comment


def vote_comment(actor: User, comment_id: int, value: int) -> int:
    """Vote a comment up (+1) or down (-1); the same vote again takes it back. Not on one's own.

    Returns the actor's vote after the change (1, -1 or 0).
    """
    ensure_can_post(actor)
    comment = get_comment(comment_id)
    if value not in (1, -1):
        raise InvalidInput(_("A vote is up or down."))
    if comment.author_id == actor.id:
        raise Conflict(_("You cannot vote on your own comment."))
    if comment.is_hidden:
        raise Conflict(_("This comment is hidden."))
    result = value
    try:
        with db.session.begin_nested():
            db.session.add(CommentVote(comment_id=comment.id, user_id=actor.id, value=value))
    except IntegrityError:
        vote = db.session.scalar(select(CommentVote).where(
            CommentVote.comment_id == comment.id, CommentVote.user_id == actor.id))
        if vote.value == value:
            db.session.delete(vote)
            result = 0
        else:
            vote.value = value
        db.session.flush()
    ups = select(func.count()).where(CommentVote.comment_id == comment.id, CommentVote.value == 1).scalar_subquery()
    downs = select(func.count()).where(CommentVote.comment_id == comment.id,
                                       CommentVote.value == -1).scalar_subquery()
    db.session.execute(update(Comment).where(Comment.id == comment.id).values(upvotes=ups, downvotes=downs)
                       .execution_options(synchronize_session=False,
                                          cached_page=(comment.target_type, comment.target_id)))
    db.session.refresh(comment)
    return result


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("This comment does not exist."))
    return comment


def comment_history(comment_id: int) -> tuple[Comment, list[CommentRevision]]:
    """A comment and its earlier texts, oldest first. Hidden comments have no public history."""
    comment = get_comment(comment_id)
    if comment.is_hidden:
        raise NotFound(_("This comment is hidden."))
    return comment, list(db.session.scalars(
        select(CommentRevision).where(CommentRevision.comment_id == comment.id).order_by(CommentRevision.id)))


# --- reading a thread ------------------------------------------------------------------------

@dataclass(frozen=True)
class CommentActions:
    """What the viewer may do with one comment, decided once for the page."""

    vote: bool  # another's comment (taking part at all is the thread's question)
    edit: bool
    flag: bool
    hide: bool


@dataclass
class Thread:
    page: Page  # top-level comments (total: top-level comments in the whole thread)
    replies: dict[int, list[Comment]] = field(default_factory=dict)
    my_votes: dict[int, int] = field(default_factory=dict)
    total: int = 0
    may: dict[int, CommentActions] = field(default_factory=dict)  # by comment id; empty for a visitor


SMALL_THREAD = 200  # threads up to this long (nearly all) are read in one query and paged here


def _best_first(comment: Comment) -> tuple[int, int]:
    return comment.upvotes - comment.downvotes, comment.id


def get_thread(target_type: str, target_id: int, *, viewer: User | None = None, page: int = 1,
               per_page: int | None = None, order: str = "newest", known_long: bool = False) -> Thread:
    """Top-level comments a page at a time (newest or best first), each with its replies (oldest first).

    ``known_long``: the caller knows the thread has more than SMALL_THREAD comments (see
    :func:`long_thread`), so it is paged at once rather than read up to SMALL_THREAD + 1 comments first
    (for a 5,000-comment thread, two thirds of its page's time). Either way gives the same thread.
    """
    page, per_page = max(page, 1), per_page or current_app.config["PAGE_SIZE"]
    where = {"target_type": target_type, "target_id": target_id}
    signed_in = viewer is not None and getattr(viewer, "is_authenticated", False)
    if signed_in:
        viewer = getattr(viewer, "_get_current_object", lambda: viewer)()  # current_user: look it up once
    my_votes = None
    if known_long:
        whole = []
    elif signed_in:  # the viewer's votes come with the comments (a query fewer on every signed-in page)
        rows = db.session.execute(_whole_thread_with_votes(SMALL_THREAD + 1), {**where, "viewer_id": viewer.id}).all()
        whole, my_votes = [row[0] for row in rows], {row[0].id: row[1] for row in rows if row[1] is not None}
    else:
        whole = db.session.scalars(_whole_thread(SMALL_THREAD + 1), where).all()
    if not known_long and len(whole) <= SMALL_THREAD:
        thread = _thread_in_memory(whole, page, per_page, order)
    else:
        base = _thread_comments().where(Comment.target_type == target_type, Comment.target_id == target_id)
        thread = _thread_by_pages(base, page, per_page, order)
        my_votes = None  # the long thread's page was read afresh
    if signed_in and thread.page.items:
        shown = _with_replies(thread.page.items, thread.replies)
        if my_votes is None:
            my_votes = dict(db.session.execute(select(CommentVote.comment_id, CommentVote.value).where(
                CommentVote.user_id == viewer.id, CommentVote.comment_id.in_([c.id for c in shown]))).all())
        thread.my_votes = {c.id: my_votes[c.id] for c in shown if c.id in my_votes}
        thread.may = {c.id: CommentActions(vote=c.author_id != viewer.id, edit=can(viewer, Permission.COMMENT_EDIT, c),
                                           flag=can(viewer, Permission.CONTENT_FLAG, c),
                                           hide=can(viewer, Permission.MODERATION_CONTENT_HIDE, c)) for c in shown}
    return thread


def long_thread(target_type: str, target_id: Any) -> Exists:
    """Whether a thread has more than SMALL_THREAD comments, as a column for the query that reads its
    page's other facts: a comment exists past the first SMALL_THREAD (an index scan that stops there)."""
    return (select(Comment.id).where(Comment.target_type == target_type, Comment.target_id == target_id)
            .offset(SMALL_THREAD).exists())


def _thread_comments() -> Select:
    # Threads show the author's name only: not their roles or residency (two queries per level saved),
    # nor their e-mail address or password hash.
    return select(Comment).options(joinedload(Comment.author).load_only(User.id, User.display_name),
                                   joinedload(Comment.author).lazyload(User.staff_roles),
                                   joinedload(Comment.author).lazyload(User.residency))


@functools.cache
def _whole_thread(limit: int) -> Select:
    # Built once: SQLAlchemy then neither builds it nor computes its cache key again on every page.
    return (_thread_comments().where(Comment.target_type == bindparam("target_type"),
                                     Comment.target_id == bindparam("target_id")).order_by(Comment.id).limit(limit))


@functools.cache
def _whole_thread_with_votes(limit: int) -> Select:
    my_vote = select(CommentVote.value).where(CommentVote.comment_id == Comment.id,
                                              CommentVote.user_id == bindparam("viewer_id")).scalar_subquery()
    return _whole_thread(limit).add_columns(my_vote)


def _with_replies(comments: list[Comment], replies: dict[int, list[Comment]]) -> list[Comment]:
    shown, level = list(comments), comments
    while level:
        level = [child for c in level for child in replies.get(c.id, ())]
        shown.extend(level)
    return shown


def _thread_in_memory(comments: list[Comment], page: int, per_page: int, order: str) -> Thread:
    """The whole thread came in one query (oldest first): page its top level here."""
    top = [c for c in comments if c.parent_id is None]
    top.sort(key=_best_first if order == "best" else (lambda c: c.id), reverse=True)
    replies: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id is not None:
            replies.setdefault(c.parent_id, []).append(c)
    items = top[(page - 1) * per_page:page * per_page]
    return Thread(page=Page(items, page=page, per_page=per_page, total=len(top)), replies=replies,
                  total=len(comments))


def _thread_by_pages(base, page: int, per_page: int, order: str) -> Thread:
    """A long thread: count it, read one page of top-level comments, then their replies level by level."""
    top = base.where(Comment.parent_id.is_(None))
    if order == "best":
        top = top.order_by((Comment.upvotes - Comment.downvotes).desc(), Comment.id.desc())
    else:
        top = top.order_by(Comment.id.desc())
    where = base.whereclause
    # Both counts in one pass over the thread (long threads have tens of thousands of comments).
    total, top_level = db.session.execute(
        select(func.count(), func.count().filter(Comment.parent_id.is_(None))).where(where)).one()
    items = db.session.scalars(top.limit(per_page).offset((page - 1) * per_page)).all()
    thread = Thread(page=Page(list(items), page=page, per_page=per_page, total=top_level), total=total)
    level = [c.id for c in items]
    for _depth in range(1, MAX_DEPTH):
        if not level:
            break
        children = db.session.scalars(base.where(Comment.parent_id.in_(level)).order_by(Comment.id)).all()
        for child in children:
            thread.replies.setdefault(child.parent_id, []).append(child)
        level = [c.id for c in children]
    return thread


def stance_balance(target_type: str, target_id: int) -> dict[str, int]:
    """Visible top-level comments per stance, for the balance bar."""
    counts = dict(db.session.execute(
        select(Comment.stance, func.count()).where(
            Comment.target_type == target_type, Comment.target_id == target_id, Comment.parent_id.is_(None),
            Comment.hidden_at.is_(None), Comment.stance.isnot(None)).group_by(Comment.stance)).all())
    return {s.value: counts.get(s.value, 0) for s in Stance}


