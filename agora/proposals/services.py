"""Proposals: submit, edit until supported, publish, support once, succeed, retire, archive; list and search."""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, column, exists, false, func, literal_column, select, table, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from agora import audit, uploads
from agora.accounts.models import User
from agora.budgets.models import BudgetHeading, BudgetProcess, BudgetProject
from agora.census.models import CensusEntry, District
from agora.comments.services import Target, long_thread, register_target
from agora.db import db, insert_unless_present, is_postgresql, paginate, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PhaseClosed
from agora.moderation.services import ensure_can_post
from agora.notifications import services as notifications
from agora.notifications.models import Follow
from agora.panelwork import services as panelwork
from agora.permissions import Permission, object_rule, require
from agora.proposals.models import (
    RETIRE_REASONS,
    Proposal,
    ProposalAttachment,
    ProposalRevision,
    ProposalStatus,
    ProposalSupport,
    ProposalTag,
)
from agora.votes.models import Vote, VoteOption

if TYPE_CHECKING:
    from agora.votes.services import VoteRules

FOLLOW_TYPE = "proposals"
STATUS_FILTERS = ("active", "successful", "retired", "archived")
SORTS = ("newest", "most_supported", "hot")
MAX_TAGS = 5
_TAG_RE = re.compile(r"^[\w][\w \-]{0,38}[\w]$|^\w$")

# Pages show the author's name only: loading a proposal (or comment) joins its author's id and name, not
# the author's roles and residency (which the User mapper would fetch with two more queries), nor the rest
# of the row (e-mail address, password hash: columns the ORM and psycopg would work through on every page).
AUTHOR_NAME_ONLY = (joinedload(Proposal.author).load_only(User.id, User.display_name),
                    joinedload(Proposal.author).lazyload(User.staff_roles),
                    joinedload(Proposal.author).lazyload(User.residency))

register_target(FOLLOW_TYPE, Target(load=lambda i: db.session.get(Proposal, i), endpoint="proposals.show"))


@object_rule(Permission.PROPOSAL_EDIT)
def _author_edits_until_supported(user: User, proposal: Proposal) -> bool:
    return (proposal.author_id == user.id and proposal.support_count == 0
            and proposal.status in (ProposalStatus.DRAFT, ProposalStatus.PUBLISHED))


@object_rule(Permission.PROPOSAL_RETIRE)
def _author_retires(user: User, proposal: Proposal) -> bool:
    return proposal.author_id == user.id and proposal.status in (ProposalStatus.PUBLISHED, ProposalStatus.SUCCESSFUL)


# --- writing ---------------------------------------------------------------------------------

def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Comma-separated tags, lower-cased, without duplicates; at most five of 1 to 40 characters."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    for item in items:
        tag = " ".join(item.strip().lower().split())
        if not tag or tag in tags:
            continue
        if not _TAG_RE.match(tag):
            raise InvalidInput(_("Tags are words of letters, digits, spaces and hyphens, up to 40 characters."),
                               field="tags")
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(_("Use at most %(n)d tags.", n=MAX_TAGS), field="tags")
    return tags


def _clean_fields(title: str, summary: str, body: str, district_id: int | None) -> dict[str, Any]:
    title, summary, body = (title or "").strip(), (summary or "").strip(), (body or "").strip()
    if not 4 <= len(title) <= 150:
        raise InvalidInput(_("The title needs 4 to 150 characters."), field="title")
    if not 10 <= len(summary) <= 300:
        raise InvalidInput(_("The summary needs 10 to 300 characters."), field="summary")
    if not 10 <= len(body) <= 20000:
        raise InvalidInput(_("The text needs 10 to 20,000 characters."), field="body")
    if district_id and db.session.get(District, district_id) is None:
        raise InvalidInput(_("Choose a district from the list."), field="district_id")
    return {"title": title, "summary": summary, "body": body, "district_id": district_id or None}


def create_proposal(actor: User, *, title: str, summary: str, body: str, district_id: int | None = None,
                    tags: str | Iterable[str] | None = None, publish: bool = False,
                    panel_goal_id: int | None = None) -> Proposal:
    """A verified, unblocked resident submits a proposal, as a draft or published at once.

    ``panel_goal_id``: optional adopted citizens' panel goal it responds to (InvalidInput otherwise).
    """
    ensure_can_post(actor)
    fields = _clean_fields(title, summary, body, district_id)
    proposal = Proposal(author_id=actor.id, panel_goal_id=panelwork.check_linkable_goal(panel_goal_id), **fields)
    proposal.tag_rows = [ProposalTag(tag=t) for t in parse_tags(tags)]
    db.session.add(proposal)
    db.session.flush()
    notifications.follow(actor, FOLLOW_TYPE, proposal.id)
    if publish:
        publish_proposal(actor, proposal)
    return proposal


def update_proposal(actor: User, proposal: Proposal, *, title: str, summary: str, body: str,
                    district_id: int | None = None, tags: str | Iterable[str] | None = None,
                    panel_goal_id: int | None = None) -> Proposal:
    """The author edits a draft or a published proposal that has no supports yet."""
    ensure_can_post(actor)
    require(actor, Permission.PROPOSAL_EDIT, proposal)
    fields = _clean_fields(title, summary, body, district_id)
    texts = ("title", "summary", "body")
    if proposal.status != ProposalStatus.DRAFT and any(getattr(proposal, k) != fields[k] for k in texts):
        # Once published, the earlier text stays readable in the proposal's history.
        db.session.add(ProposalRevision(proposal_id=proposal.id, title=proposal.title, summary=proposal.summary,
                                        body=proposal.body, written_at=proposal.updated_at or proposal.created_at))
    for key, value in fields.items():
        setattr(proposal, key, value)
    proposal.panel_goal_id = panelwork.check_linkable_goal(panel_goal_id)
    new_tags = parse_tags(tags)
    # Keep the rows of tags that stay: replacing them all would insert before deleting.
    proposal.tag_rows = [row for row in proposal.tag_rows if row.tag in new_tags] + [
        ProposalTag(tag=t) for t in new_tags if t not in proposal.tags]
    proposal.updated_at = utcnow()
    db.session.flush()
    return proposal


def add_attachments(actor: User, proposal: Proposal, files: Iterable[tuple[str, bytes]]) -> list[ProposalAttachment]:
    """The author attaches images (PNG, JPEG, WebP) and PDFs while the proposal is editable.

    Types are checked by content; sizes against ``PROPOSALS_MAX_IMAGE_BYTES`` / ``PROPOSALS_MAX_PDF_BYTES``;
    at most ``PROPOSALS_MAX_ATTACHMENTS`` per proposal. Raises InvalidInput naming the file.
    """
    from werkzeug.utils import secure_filename

    files = [(name, data) for name, data in files if data]
    if not files:
        return []
    ensure_can_post(actor)
    require(actor, Permission.PROPOSAL_EDIT, proposal)
    config = current_app.config
    existing = db.session.scalar(select(func.count()).select_from(ProposalAttachment)
                                 .where(ProposalAttachment.proposal_id == proposal.id))
    if existing + len(files) > config["PROPOSALS_MAX_ATTACHMENTS"]:
        raise InvalidInput(_("A proposal can have at most %(n)d attachments.", n=config["PROPOSALS_MAX_ATTACHMENTS"]),
                           field="attachments")
    added = []
    for name, data in files:
        label = (secure_filename(name or "") or "attachment")[:200]
        content_type = uploads.sniff_type(data)
        not_accepted = InvalidInput(_("%(name)s is not a PNG, JPEG or WebP image nor a PDF.", name=label),
                                    field="attachments")
        if content_type is None:
            raise not_accepted
        try:  # no GPS position, device or owner name in published images
            data = uploads.strip_metadata(data, content_type)
        except uploads.DamagedImage:
            raise not_accepted from None
        limit = config["PROPOSALS_MAX_PDF_BYTES" if content_type == "application/pdf" else "PROPOSALS_MAX_IMAGE_BYTES"]
        if len(data) > limit:
            raise InvalidInput(_("%(name)s is larger than %(mb).1f MB.", name=label, mb=limit / 1024 / 1024),
                               field="attachments")
        attachment = ProposalAttachment(proposal_id=proposal.id, filename=label, content_type=content_type,
                                        size=len(data), data=data)
        db.session.add(attachment)
        added.append(attachment)
    db.session.flush()
    return added


def list_attachments(proposal: Proposal) -> list[ProposalAttachment]:
    """Name, type and size only (the bytes stay in the database until downloaded)."""
    from sqlalchemy.orm import defer

    return list(db.session.scalars(
        select(ProposalAttachment).options(defer(ProposalAttachment.data))
        .where(ProposalAttachment.proposal_id == proposal.id).order_by(ProposalAttachment.id)))


def get_attachment(attachment_id: int, viewer: User | None) -> ProposalAttachment:
    """An attachment of a proposal the viewer may see (not hidden; drafts only to the author)."""
    attachment = db.session.get(ProposalAttachment, attachment_id)
    if attachment is None:
        raise NotFound(_("This file does not exist."))
    proposal = get_proposal(attachment.proposal_id, viewer)
    if proposal.is_hidden:
        raise NotFound(_("This file does not exist."))
    return attachment


def publish_proposal(actor: User, proposal: Proposal) -> Proposal:
    ensure_can_post(actor)
    require(actor, Permission.PROPOSAL_EDIT, proposal)
    if proposal.status != ProposalStatus.DRAFT:
        raise Conflict(_("This proposal is already published."))
    proposal.status = ProposalStatus.PUBLISHED
    proposal.published_at = utcnow()
    db.session.flush()
    return proposal


_VERIFIED_COUNT_CACHE: dict[str, tuple[float, int]] = {}


def support_threshold(*, exact: bool = False) -> int:
    """Supports a proposal needs: the setting as a number, or as a share of verified residents ("1%").

    Pages show it with the count of verified residents cached per process for a minute (a count over the
    census on every page view otherwise); deciding that a proposal succeeded uses the ``exact`` count."""
    setting = current_app.config["PROPOSALS_SUPPORT_THRESHOLD"]
    if isinstance(setting, str) and setting.strip().endswith("%"):
        share = float(setting.strip()[:-1]) / 100
        key, max_age = str(db.engine.url), current_app.config["PROPOSALS_THRESHOLD_CACHE_SECONDS"]
        cached = _VERIFIED_COUNT_CACHE.get(key)
        if exact or not cached or time.monotonic() - cached[0] >= max_age:
            verified = db.session.scalar(
                select(func.count()).select_from(CensusEntry).where(CensusEntry.user_id.isnot(None)))
            cached = _VERIFIED_COUNT_CACHE[key] = (time.monotonic(), verified)
        return max(1, math.ceil(share * cached[1]))
    return max(1, int(setting))


# A support's statements, built once (supporting is the busiest write), on the tables: Core statements skip
# the ORM's bulk machinery. The row lock taken by the UPDATE orders concurrent supports; RETURNING reads
# the count and status as they are after it (a concurrent support may have made the proposal successful).
_PROPOSALS = Proposal.__table__
_COUNT_SUPPORT = (update(_PROPOSALS)
                  .where(_PROPOSALS.c.id == bindparam("proposal_id"), _PROPOSALS.c.hidden_at.is_(None),
                         _PROPOSALS.c.status.in_([ProposalStatus.PUBLISHED, ProposalStatus.SUCCESSFUL]))
                  .values(support_count=_PROPOSALS.c.support_count + 1)
                  .returning(_PROPOSALS.c.support_count, _PROPOSALS.c.status, _PROPOSALS.c.title))


def support_proposal(actor: User, proposal_id: int) -> str:
    """A verified resident supports a published proposal once (the database refuses a second support);
    returns the proposal's status after it.

    Reaching the threshold makes the proposal successful and notifies its followers. Raises NotFound
    (also for drafts and hidden proposals), PhaseClosed when it no longer collects supports, Conflict on
    a second support; the caller's rollback then takes back anything written.
    """
    ensure_can_post(actor)
    page = ("proposals", proposal_id)
    try:
        added = insert_unless_present(ProposalSupport, {"proposal_id": proposal_id, "user_id": actor.id},
                                      cached_page=page)
    except IntegrityError:  # the foreign key: no such proposal
        raise NotFound(_("This proposal does not exist.")) from None
    # Counted only while it collects supports; the common case needs no SELECT of the proposal first.
    row = db.session.execute(_COUNT_SUPPORT, {"proposal_id": proposal_id},
                             execution_options={"cached_page": page}).one_or_none() if added else None
    if row is None:
        _refuse_support(proposal_id)
    count, status, title = row
    loaded = db.session.identity_map.get(identity_key(Proposal, proposal_id))
    if loaded is not None:  # a proposal already loaded in this session shows the new count
        set_committed_value(loaded, "support_count", count)
        set_committed_value(loaded, "status", status)
    notifications.follow(actor, FOLLOW_TYPE, proposal_id)
    if status == ProposalStatus.PUBLISHED and _reaches_threshold(count):
        proposal = db.session.get(Proposal, proposal_id)
        proposal.status = status = ProposalStatus.SUCCESSFUL
        proposal.successful_at = utcnow()
        notifications.notify_followers(
            FOLLOW_TYPE, proposal_id, "proposal.successful",
            lambda: _("The proposal “%(title)s” reached its support threshold.", title=title),
            link=_link(proposal))
    db.session.flush()
    return status


def _reaches_threshold(count: int) -> bool:
    """Whether ``count`` supports reach the threshold. Near it, the exact count of verified residents decides
    (a share of them: "1%"); far below it, the count of the last minute that pages use settles it, since counting
    the whole census on every support would cost more than the support itself in a large city. Should the census
    shrink by more than a tenth within that minute, a proposal succeeds at its first support after it."""
    if count < 0.9 * support_threshold():
        return False
    return count >= support_threshold(exact=True)


def _refuse_support(proposal_id: int) -> NoReturn:
    """Why a support was not counted, in the order a resident needs to hear it."""
    proposal = db.session.get(Proposal, proposal_id, options=[lazyload(Proposal.author), lazyload(Proposal.district),
                                                             lazyload(Proposal.tag_rows)])
    if proposal is None or not proposal.is_public:
        raise NotFound(_("This proposal does not exist."))
    if not proposal.collects_supports:
        raise PhaseClosed(_("This proposal no longer collects supports."))
    raise Conflict(_("You have already supported this proposal."))


def retire_proposal(actor: User, proposal: Proposal, *, reason: str, explanation: str = "") -> Proposal:
    """The author retires a published proposal, giving a reason; followers are told."""
    require(actor, Permission.PROPOSAL_RETIRE, proposal)
    if reason not in RETIRE_REASONS:
        raise InvalidInput(_("Choose a reason."), field="reason")
    explanation = (explanation or "").strip()
    if len(explanation) > 500:
        raise InvalidInput(_("The explanation is limited to 500 characters."), field="explanation")
    proposal.status = ProposalStatus.RETIRED
    proposal.retired_at = utcnow()
    proposal.retired_reason, proposal.retired_explanation = reason, explanation or None
    title = proposal.title
    notifications.notify_followers(
        FOLLOW_TYPE, proposal.id, "proposal.retired",
        lambda: _("The proposal “%(title)s” was retired by its author.", title=title),
        link=_link(proposal), exclude=actor)
    db.session.flush()
    return proposal


def archive_stale_proposals(actor: User | str, *, now: datetime | None = None) -> int:
    """Archive published proposals not successful within ``PROPOSALS_ARCHIVE_MONTHS``. Administrators
    or the CLI (actor ``"cli"``). Audited; followers are told."""
    if not isinstance(actor, str):
        require(actor, Permission.PROPOSAL_ARCHIVE)
    now = now or utcnow()
    cutoff = now - timedelta(days=round(30.44 * current_app.config["PROPOSALS_ARCHIVE_MONTHS"]))
    stale = db.session.scalars(select(Proposal).where(
        Proposal.status == ProposalStatus.PUBLISHED, Proposal.published_at < cutoff)).all()
    for proposal in stale:
        proposal.status, proposal.archived_at = ProposalStatus.ARCHIVED, now
        title = proposal.title
        notifications.notify_followers(
            FOLLOW_TYPE, proposal.id, "proposal.archived",
            lambda title=title: _("The proposal “%(title)s” was archived: it did not reach its threshold in time.",
                                  title=title),
            link=_link(proposal))
    if stale:
        audit.record(actor, "proposals.archive", target_type="proposals",
                     details={"count": len(stale), "ids": [p.id for p in stale], "cutoff": cutoff.isoformat()})
    db.session.flush()
    return len(stale)


# --- a successful proposal goes on: to a vote or to a budget ------------------------------------

def _ensure_sendable(actor: User, proposal: Proposal) -> None:
    require(actor, Permission.PROPOSAL_SEND, proposal)
    if proposal.status != ProposalStatus.SUCCESSFUL or proposal.is_hidden:
        raise Conflict(_("Only a successful proposal (not hidden) can be sent to a vote or a budget."))


def _announce_vote(actor: User, proposal: Proposal, vote: Vote, option: VoteOption) -> None:
    audit.record(actor, "proposal.send_to_vote", proposal,
                 details={"vote_id": vote.id, "option_id": option.id, "option": option.label})
    title, vote_title = proposal.title, vote.title
    notifications.notify_followers(
        FOLLOW_TYPE, proposal.id, "proposal.sent_to_vote",
        lambda: _("The proposal “%(title)s” is now an option in the vote “%(vote)s”.", title=title, vote=vote_title),
        link=_url("votes.show", vote_id=vote.id), exclude=actor)


def send_to_vote(actor: User, proposal: Proposal, vote: Vote, *, label: str | None = None) -> VoteOption:
    """An administrator adds a successful proposal as an option of a vote that has not opened yet.

    The option's label is the proposal's title unless ``label`` is given. Audited; followers are
    told. Raises PermissionDenied (not an administrator), Conflict (not successful, or already an
    option of this vote), PhaseClosed (the vote has opened) or InvalidInput (the option breaks the
    vote's rules, e.g. the same label twice).
    """
    from agora.votes import services as votes

    _ensure_sendable(actor, proposal)
    option = votes.add_option(actor, vote, label or votes.option_label(proposal.title), proposal_id=proposal.id)
    _announce_vote(actor, proposal, vote, option)
    return option


def create_vote_from_proposal(actor: User, proposal: Proposal, rules: VoteRules) -> Vote:
    """An administrator creates a new vote with a successful proposal among its options.

    The option whose label is the proposal's title (as pre-filled) is linked to the proposal; if
    the administrator removed it, it is added at the end. Audited; followers are told. Raises
    as :func:`send_to_vote` and :func:`agora.votes.services.create_vote`.
    """
    from agora.votes import services as votes

    _ensure_sendable(actor, proposal)
    label = votes.option_label(proposal.title)
    if label.casefold() not in [" ".join(o.split()).casefold() for o in rules.options]:
        rules.options = [*rules.options, label]
    vote = votes.create_vote(actor, rules)
    option = next(o for o in vote.options if o.label.casefold() == label.casefold())
    option.proposal_id = proposal.id
    db.session.flush()
    _announce_vote(actor, proposal, vote, option)
    return vote


def send_to_budget(actor: User, proposal: Proposal, heading: BudgetHeading, *, estimated_cost: int | None
                   ) -> BudgetProject:
    """An administrator turns a successful proposal into a project of a budget that accepts projects.

    The project goes into ``heading`` with the proposal's title and text, its author credited, and
    a link back. Audited; followers are told. Raises PermissionDenied, Conflict (not successful,
    or already a project of this budget), PhaseClosed (the budget does not accept projects now) or
    InvalidInput (the estimated cost).
    """
    from agora.budgets.services import money

    _ensure_sendable(actor, proposal)
    process = heading.process
    # Serialise with other changes to the process (phase moves, a second send of the same proposal).
    db.session.execute(select(BudgetProcess.id).where(BudgetProcess.id == process.id).with_for_update())
    db.session.refresh(process)
    if process.phase != "accepting":
        raise PhaseClosed(_("The budget “%(title)s” does not accept projects now.", title=process.title))
    if db.session.scalar(select(BudgetProject.id).where(BudgetProject.process_id == process.id,
                                                        BudgetProject.proposal_id == proposal.id)):
        raise Conflict(_("This proposal is already a project in the budget “%(title)s”.", title=process.title))
    if not estimated_cost or not 0 < estimated_cost <= heading.amount:
        raise InvalidInput(_("The estimated cost must be positive and at most the heading's budget (%(amount)s).",
                             amount=money(heading.amount, process)), field="estimated_cost")
    project = BudgetProject(process_id=process.id, heading_id=heading.id, title=proposal.title[:200],
                            description=f"{proposal.summary}\n\n{proposal.body}", estimated_cost=int(estimated_cost),
                            author_id=proposal.author_id, proposal_id=proposal.id, panel_goal_id=proposal.panel_goal_id)
    try:
        with db.session.begin_nested():
            db.session.add(project)
    except IntegrityError:
        raise Conflict(_("This proposal is already a project in the budget “%(title)s”.",
                         title=process.title)) from None
    audit.record(actor, "proposal.send_to_budget", proposal,
                 details={"process_id": process.id, "heading_id": heading.id, "project_id": project.id,
                          "estimated_cost": project.estimated_cost})
    title, budget_title = proposal.title, process.title
    notifications.notify_followers(
        FOLLOW_TYPE, proposal.id, "proposal.sent_to_budget",
        lambda: _("The proposal “%(title)s” is now a project in the budget “%(budget)s”.", title=title,
                  budget=budget_title),
        link=_url("budgets.project", project_id=project.id), exclude=actor)
    return project


@dataclass(frozen=True)
class PageFacts:
    """What the proposal page shows besides the proposal and its comments."""

    supported: bool  # the viewer supports it
    following: bool  # the viewer follows it
    revision_count: int
    has_attachments: bool
    has_outcomes: bool  # it became a vote option or a budget project
    long_thread: bool  # more comments than comments.services.SMALL_THREAD


def _page_fact_columns(pid: Any, viewer_id: Any) -> list:
    """The page's facts as columns of one SELECT; ``viewer_id`` None for a visitor who is not signed in."""
    supported = exists().where(ProposalSupport.proposal_id == pid, ProposalSupport.user_id == viewer_id) \
        if viewer_id is not None else false()
    following = exists().where(Follow.user_id == viewer_id, Follow.target_type == FOLLOW_TYPE,
                               Follow.target_id == pid) if viewer_id is not None else false()
    return [supported.label("supported"), following.label("following"),
            select(func.count()).select_from(ProposalRevision).where(ProposalRevision.proposal_id == pid)
            .scalar_subquery().label("revisions"),
            exists().where(ProposalAttachment.proposal_id == pid).label("attachments"),
            (exists().where(VoteOption.proposal_id == pid) | exists().where(BudgetProject.proposal_id == pid))
            .label("outcomes"), long_thread(FOLLOW_TYPE, pid).label("long_thread")]


def _page_facts(row: Any) -> PageFacts:
    return PageFacts(supported=bool(row.supported), following=bool(row.following), revision_count=row.revisions,
                     has_attachments=bool(row.attachments), has_outcomes=bool(row.outcomes),
                     long_thread=bool(row.long_thread))


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


@functools.cache
def _proposal_page_statement(signed_in: bool) -> Select:
    # Built once: SQLAlchemy then neither builds it nor computes its cache key again on every page.
    viewer_id = bindparam("viewer_id") if signed_in else None
    return (select(Proposal, *_page_fact_columns(Proposal.id, viewer_id))
            .where(Proposal.id == bindparam("proposal_id"))
            .options(*AUTHOR_NAME_ONLY, joinedload(Proposal.tag_rows)))


def get_proposal_page(proposal_id: int, viewer: User | None = None) -> tuple[Proposal, PageFacts]:
    """:func:`get_proposal` and the page's small facts in one query (they were six): the page then loads
    attachments and outcomes only when there are some (most proposals have neither)."""
    viewer_id = _viewer_id(viewer)
    parameters = {"proposal_id": proposal_id} | ({"viewer_id": viewer_id} if viewer_id is not None else {})
    row = db.session.execute(_proposal_page_statement(viewer_id is not None), parameters).unique().one_or_none()
    if row is None:
        raise NotFound(_("This proposal does not exist."))
    _ensure_visible(row.Proposal, viewer)
    return row.Proposal, _page_facts(row)


def proposal_outcomes(proposal: Proposal) -> tuple[list[VoteOption], list[BudgetProject]]:
    """The vote options and budget projects made from this proposal, oldest first."""
    options = db.session.scalars(select(VoteOption).where(VoteOption.proposal_id == proposal.id)
                                 .order_by(VoteOption.id)).all()
    projects = db.session.scalars(select(BudgetProject).where(BudgetProject.proposal_id == proposal.id)
                                  .order_by(BudgetProject.id)).all()
    return list(options), list(projects)


def send_targets() -> tuple[list[Vote], list[BudgetHeading]]:
    """Where a successful proposal can go now: votes not opened yet, headings of budgets accepting projects."""
    from agora.votes.services import list_upcoming_votes

    headings = db.session.scalars(select(BudgetHeading).join(BudgetProcess)
                                  .where(BudgetProcess.phase == "accepting")
                                  .order_by(BudgetProcess.id, BudgetHeading.position, BudgetHeading.id)).all()
    return list_upcoming_votes(), list(headings)


def _url(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:  # outside a request (CLI): no link
        return None


def _link(proposal: Proposal) -> str | None:
    try:
        return url_for("proposals.show", id=proposal.id)
    except RuntimeError:  # outside a request (CLI): no link
        return None


# --- reading ---------------------------------------------------------------------------------

def get_proposal(proposal_id: int, viewer: User | None = None) -> Proposal:
    """A proposal to show; drafts only to their author. Hidden ones are returned (the page shows a placeholder)."""
    proposal = db.session.get(Proposal, proposal_id, options=[*AUTHOR_NAME_ONLY, joinedload(Proposal.tag_rows)])
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    _ensure_visible(proposal, viewer)
    return proposal


def _ensure_visible(proposal: Proposal, viewer: User | None) -> None:
    if proposal.status == ProposalStatus.DRAFT and (viewer is None or getattr(viewer, "id", None)
                                                     != proposal.author_id):
        raise NotFound(_("This proposal does not exist."))


def count_revisions(proposal: Proposal) -> int:
    return db.session.scalar(select(func.count()).select_from(ProposalRevision)
                             .where(ProposalRevision.proposal_id == proposal.id))


def proposal_history(proposal_id: int, viewer: User | None = None) -> tuple[Proposal, list[ProposalRevision]]:
    """A published proposal and its earlier texts, oldest first. Hidden proposals have no public history."""
    proposal = get_proposal(proposal_id, viewer)
    if proposal.is_hidden:
        raise NotFound(_("This proposal is hidden."))
    return proposal, list(db.session.scalars(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id).order_by(ProposalRevision.id)))


def has_supported(user: User | None, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(func.count()).select_from(ProposalSupport).where(
        ProposalSupport.proposal_id == proposal.id, ProposalSupport.user_id == user.id)) > 0


def list_drafts(user: User) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(
        Proposal.author_id == user.id, Proposal.status == ProposalStatus.DRAFT).order_by(Proposal.id.desc())))


def visible_proposals() -> Select:
    """Published (in any later state) and not hidden: the only proposals listings, search and feeds show."""
    return select(Proposal).where(Proposal.status != ProposalStatus.DRAFT, Proposal.hidden_at.is_(None))


def list_proposals(*, status: str = "active", district: str | None = None, tag: str | None = None,
                   sort: str = "newest", q: str | None = None, page: int = 1, per_page: int | None = None):
    """One page of visible proposals, filtered and sorted by allowlisted values, optionally searched."""
    params: dict = {}
    if status not in STATUS_FILTERS:
        status = "active"
    if status != "active":
        params["status"] = status
    district_kind = ""
    if district == "city":
        district_kind = "city"
    elif district and district.isdigit():
        district_kind, params["district"] = "one", int(district)
    if tag:
        params["tag"] = tag.lower()
    search = ""
    if q and q.strip():
        if is_postgresql():
            search, params["q"] = "postgresql", q.strip()[:200]
        else:
            words = _WORD_RE.findall(q)[:20]
            # Each word quoted (and as a prefix): user input can never become FTS5 syntax.
            search, params["match"] = ("sqlite", " ".join(f'"{w}"*' for w in words)) if words else ("nothing", "")
    if sort not in SORTS:
        sort = "newest"
    if sort == "hot":
        params["since"] = utcnow() - timedelta(days=current_app.config["PROPOSALS_HOT_DAYS"])
    statement = _listing_statement(status == "active", district_kind, bool(tag), search, sort)
    page = paginate(statement, page=page, per_page=per_page, params=params)
    page.tags_by_id = tags_of([p.id for p in page.items])
    return page


@functools.cache
def _listing_statement(active: bool, district: str, tagged: bool, search: str, sort: str) -> Select:
    """The listing's SELECT for one combination of filters, built once (the listing is the busiest page):
    the values (status, district, tag, search text, since) are bound when it runs."""
    stmt = visible_proposals()
    if active:
        stmt = stmt.where(Proposal.status.in_([ProposalStatus.PUBLISHED, ProposalStatus.SUCCESSFUL]))
    else:
        stmt = stmt.where(Proposal.status == bindparam("status"))
    if district == "city":
        stmt = stmt.where(Proposal.district_id.is_(None))
    elif district == "one":
        stmt = stmt.where(Proposal.district_id == bindparam("district"))
    if tagged:
        stmt = stmt.where(Proposal.id.in_(select(ProposalTag.proposal_id).where(ProposalTag.tag == bindparam("tag"))))
    if search == "postgresql":
        query = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), bindparam("q"))
        stmt = stmt.where(Proposal.id.in_(select(_PG_SEARCH.c.proposal_id)
                                          .where(_PG_SEARCH.c.search_vector.bool_op("@@")(query))))
    elif search == "sqlite":
        stmt = stmt.where(Proposal.id.in_(select(literal_column("rowid")).select_from(text("proposals_fts")).where(
            text("proposals_fts MATCH :match"))))
    elif search == "nothing":  # a search with no words finds nothing
        stmt = stmt.where(Proposal.id.is_(None))
    if sort == "most_supported":
        stmt = stmt.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    elif sort == "hot":
        # Supports received in the last days, counted once for all proposals (not one subquery per row).
        recent = (select(ProposalSupport.proposal_id, func.count().label("n"))
                  .where(ProposalSupport.created_at >= bindparam("since")).group_by(ProposalSupport.proposal_id)
                  .subquery())
        stmt = stmt.outerjoin(recent, recent.c.proposal_id == Proposal.id).order_by(
            func.coalesce(recent.c.n, 0).desc(), Proposal.support_count.desc(), Proposal.id.desc())
    else:
        stmt = stmt.order_by(Proposal.published_at.desc(), Proposal.id.desc())
    # Listings show neither the body nor the author's roles and residency: do not load them. The cards' tags
    # come as plain (proposal, tag) rows in one query: their ORM objects cost more than the rest of a card.
    return stmt.options(defer(Proposal.body), lazyload(Proposal.tag_rows), *AUTHOR_NAME_ONLY)


def tags_of(proposal_ids: list[int]) -> dict[int, list[str]]:
    """Each proposal's tags, in order, for cards (proposals without tags are left out)."""
    tags: dict[int, list[str]] = {}
    if proposal_ids:
        for proposal_id, tag in db.session.execute(_TAGS_OF, {"ids": proposal_ids}):
            tags.setdefault(proposal_id, []).append(tag)
    return tags


_TAGS_OF = (select(ProposalTag.proposal_id, ProposalTag.tag)
            .where(ProposalTag.proposal_id.in_(bindparam("ids", expanding=True))).order_by(ProposalTag.tag))


# Full text: PostgreSQL's to_tsvector with websearch_to_tsquery, SQLite's FTS5, each in a table of its own kept
# in step by triggers (see the migrations): a support rewrites the proposal's row, never its words.
_PG_SEARCH = table("proposals_search", column("proposal_id"), column("search_vector"))
_WORD_RE = re.compile(r"\w+", re.UNICODE)


# The listing's filter menus (tags, districts) change rarely and the listing is the busiest page.
_FILTER_MENUS: dict[tuple[str, str], tuple[float, list]] = {}


def _filter_menu(name: str, compute: Callable[[], list]) -> list:
    """A filter menu's choices, computed at most every PROPOSALS_TAGS_CACHE_SECONDS in each process."""
    key = (str(db.engine.url), name)
    cached = _FILTER_MENUS.get(key)
    if cached and time.monotonic() - cached[0] < current_app.config["PROPOSALS_TAGS_CACHE_SECONDS"]:
        return cached[1]
    choices = compute()
    _FILTER_MENUS[key] = (time.monotonic(), choices)
    return choices


def list_tags(limit: int = 30) -> list[str]:
    """The most used tags of visible proposals, for the filter menu."""
    def most_used() -> list[str]:
        rows = db.session.execute(
            select(ProposalTag.tag, func.count()).join(Proposal, Proposal.id == ProposalTag.proposal_id)
            .where(Proposal.status != ProposalStatus.DRAFT, Proposal.hidden_at.is_(None))
            .group_by(ProposalTag.tag).order_by(func.count().desc(), ProposalTag.tag).limit(limit))
        return sorted(tag for tag, _count in rows)
    return _filter_menu(f"tags:{limit}", most_used)


def list_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))


def district_choices() -> list[tuple[int, str]]:
    """(id, name) of every district, for the listing's filter menu."""
    return _filter_menu("districts", lambda: [(d.id, d.name) for d in list_districts()])


def recent_for_feed(limit: int = 30) -> list[Proposal]:
    return list(db.session.scalars(visible_proposals().order_by(Proposal.published_at.desc()).limit(limit)))
