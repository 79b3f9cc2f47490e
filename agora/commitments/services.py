"""Civic commitments: goals, organisations, commitments, progress updates, the city's support.

Every service takes the actor explicitly, checks the permission first, flushes and never
commits: the view or CLI command wraps the call in ``unit_of_work()``. Acts of the city's team
(goals, organisations, indicator values, comments, endorsements) are in the audit log.
Followers of a commitment (and of its goal) are notified in the same transaction.
"""

from __future__ import annotations

import math
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from agora import audit, uploads
from agora.accounts.models import User
from agora.census.models import District
from agora.commitments.models import (
    COMMITMENT_KINDS,
    ORGANISATION_KINDS,
    VISIBILITIES,
    Commitment,
    CommitmentComment,
    CommitmentEndorsement,
    Goal,
    GoalMeasurement,
    Organisation,
    OrganisationMember,
    ProgressUpdate,
)
from agora.commitments.progress import ACTIVE, FULFILLED, LATE, Progress, compute_progress
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from agora.notifications import services as notifications
from agora.permissions import Permission, can, object_rule, require

GOAL = "commitment_goal"  # follow target types
COMMITMENT = "commitment"



@object_rule(Permission.COMMITMENTS_COMMITMENT_CREATE)
def _member_of_confirmed_organisation(user: User, organisation: Organisation) -> bool:
    return organisation.is_confirmed and organisation.has_member(user)


@object_rule(Permission.COMMITMENTS_COMMITMENT_UPDATE)
def _owner_or_member(user: User, commitment: Commitment) -> bool:
    if commitment.organisation_id is not None:
        return commitment.organisation.has_member(user)
    return commitment.author_id == user.id


def _link(endpoint: str, **values) -> str:
    """A site-relative link, also from the CLI (an app context without a request or SERVER_NAME)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        with current_app.test_request_context():
            return url_for(endpoint, **values)


def today() -> date:
    return date.today()


# --- reading -------------------------------------------------------------------------------------

def commitment_progress(commitment: Commitment, on: date | None = None) -> Progress | None:
    """Progress of a result commitment from its updates' values (None for pledges and efforts)."""
    if not commitment.is_result:
        return None
    values = [(u.happened_on, u.value) for u in commitment.updates if u.value is not None]
    return compute_progress(values, target=commitment.target_value, deadline=commitment.deadline,
                            today=on or today(), start=commitment.baseline_value)


def goal_progress(goal: Goal, on: date | None = None) -> Progress:
    """Progress of the goal's indicator from its baseline, by the measurements the city recorded."""
    values = [(m.measured_on, m.value) for m in goal.measurements]
    return compute_progress(values, target=goal.target, deadline=goal.deadline, today=on or today(),
                            start=goal.baseline)


def current_status(commitment: Commitment, on: date | None = None) -> str:
    """The status as of ``on``: withdrawn and fulfilled stick; past its deadline an active one is late.

    A result commitment's status comes from :func:`commitment_progress`; a pledge or an effort
    is fulfilled when its owner says so, and late when it has a deadline that passed before that.
    """
    if commitment.status == "withdrawn":
        return "withdrawn"
    if commitment.is_result:
        progress = commitment_progress(commitment, on)
        if commitment.status == FULFILLED and progress.status != FULFILLED:
            return FULFILLED  # fulfilled once: a later update or edit does not undo it
        return progress.status
    if commitment.status == FULFILLED:
        return FULFILLED
    if commitment.deadline is not None and (on or today()) > commitment.deadline:
        return LATE
    return ACTIVE


def can_see(viewer: User | None, commitment: Commitment) -> bool:
    if commitment.visibility == "residents":
        return bool(viewer is not None and getattr(viewer, "is_authenticated", False))
    return True


def shows_name(viewer: User | None, commitment: Commitment) -> bool:
    """Whether ``viewer`` may see who made an anonymous commitment (its author only)."""
    if commitment.visibility != "anonymous":
        return True
    return viewer is not None and getattr(viewer, "id", None) == commitment.author_id


def actor_label(commitment: Commitment, viewer: User | None = None) -> str:
    if commitment.organisation is not None:
        return commitment.organisation.name
    if commitment.author is None or not shows_name(viewer, commitment):
        return _("A resident")
    return commitment.author.display_name


def list_goals() -> list[Goal]:
    return list(db.session.scalars(select(Goal).order_by(Goal.deadline, Goal.id)))


def get_goal(goal_id: int) -> Goal:
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(_("This goal does not exist."))
    return goal


def get_commitment(viewer: User | None, commitment_id: int) -> Commitment:
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or not can_see(viewer, commitment):
        raise NotFound(_("This commitment does not exist or is not visible to you."))
    return commitment


def visible_commitments(viewer: User | None, goal: Goal | None = None, *,
                        organisation: Organisation | None = None, public_only: bool = False) -> list[Commitment]:
    """Commitments ``viewer`` may see, oldest first; ``public_only`` for feeds and exports."""
    stmt = select(Commitment).order_by(Commitment.id)
    if goal is not None:
        stmt = stmt.where(Commitment.goal_id == goal.id)
    if organisation is not None:
        stmt = stmt.where(Commitment.organisation_id == organisation.id)
    if public_only or not getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(Commitment.visibility != "residents")
    return list(db.session.scalars(stmt))


def group_commitments(commitments: list[Commitment]) -> list[tuple[str, list[tuple[str, list[Commitment]]]]]:
    """Group by kind (pledge, effort, result), then by kind of actor (residents, then each organisation kind)."""
    groups = []
    for kind in COMMITMENT_KINDS:
        of_kind = [c for c in commitments if c.kind == kind]
        if not of_kind:
            continue
        by_actor = []
        residents = [c for c in of_kind if c.organisation_id is None]
        if residents:
            by_actor.append(("resident", residents))
        for org_kind in ORGANISATION_KINDS:
            found = [c for c in of_kind if c.organisation is not None and c.organisation.kind == org_kind]
            if found:
                by_actor.append((org_kind, found))
        groups.append((kind, by_actor))
    return groups


def timeline(viewer: User | None, goal: Goal, *, limit: int = 100) -> list[ProgressUpdate]:
    """The latest updates of the goal's commitments visible to ``viewer``, newest first."""
    stmt = (select(ProgressUpdate).join(Commitment).where(Commitment.goal_id == goal.id)
            .order_by(ProgressUpdate.happened_on.desc(), ProgressUpdate.id.desc()).limit(limit))
    if not getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(Commitment.visibility != "residents")
    return list(db.session.scalars(stmt))


def recent_updates(goal: Goal | None = None, *, limit: int = 50) -> list[ProgressUpdate]:
    """Latest public updates, of one goal or of all (for the Atom feeds)."""
    stmt = (select(ProgressUpdate).join(Commitment).where(Commitment.visibility != "residents")
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc()).limit(limit))
    if goal is not None:
        stmt = stmt.where(Commitment.goal_id == goal.id)
    return list(db.session.scalars(stmt))


def get_update(viewer: User | None, update_id: int) -> ProgressUpdate:
    update = db.session.get(ProgressUpdate, update_id)
    if update is None or not can_see(viewer, update.commitment):
        raise NotFound(_("This update does not exist or is not visible to you."))
    return update


def list_organisations(viewer: User | None) -> list[Organisation]:
    """Confirmed organisations, plus the pending ones ``viewer`` belongs to (all, for administrators)."""
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name))
    manager = can(viewer, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    return [o for o in orgs if o.is_confirmed or manager or o.has_member(viewer)]


def get_organisation(viewer: User | None, organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None or not (org.is_confirmed or org.has_member(viewer)
                           or can(viewer, Permission.COMMITMENTS_ORGANISATION_MANAGE)):
        raise NotFound(_("This organisation does not exist or is not confirmed yet."))
    return org


def organisations_of(user: User | None) -> list[Organisation]:
    """The confirmed organisations ``user`` may commit for."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(Organisation).join(OrganisationMember)
        .where(OrganisationMember.user_id == user.id, Organisation.confirmed_at.is_not(None))
        .order_by(Organisation.name)))


def count_commitments(goal: Goal) -> dict[str, int]:
    rows = db.session.execute(select(Commitment.kind, func.count()).where(
        Commitment.goal_id == goal.id, Commitment.visibility != "residents").group_by(Commitment.kind))
    return {kind: n for kind, n in rows}


# --- validation helpers --------------------------------------------------------------------------

def _text(value: str | None, field: str, *, required: bool, max_len: int, min_len: int = 1) -> str:
    value = (value or "").strip()
    if required and len(value) < min_len:
        if min_len > 1:
            raise InvalidInput(_("Write at least %(n)d characters.", n=min_len), field=field)
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > max_len:
        raise InvalidInput(_("Write at most %(n)d characters.", n=max_len), field=field)
    return value


def _number(value, field: str, *, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(_("Enter a number."), field=field)
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not math.isfinite(number) or abs(number) > 1e12:
        raise InvalidInput(_("Enter a number."), field=field)
    return number


def check_photo(data: bytes) -> str:
    """The photo's MIME type, from its first bytes; InvalidInput if too large or not JPEG/PNG/WebP."""
    limit = int(current_app.config["COMMITMENTS_PHOTO_MAX_BYTES"])
    if len(data) > limit:
        raise InvalidInput(_("The photo is larger than %(n)d kB.", n=limit // 1024), field="photo")
    mime = uploads.sniff_type(data)
    if mime not in uploads.IMAGE_TYPES:
        raise InvalidInput(_("The photo must be a JPEG, PNG or WebP image."), field="photo")
    return mime


# --- goals ---------------------------------------------------------------------------------------

def create_goal(actor: User, *, title: str, description: str = "", district_id: int | None = None,
                indicator_name: str, unit: str, baseline, target, deadline: date,
                source_panel_goal_id: int | None = None) -> Goal:
    """Create a shared goal (administrators; audited). City-wide when ``district_id`` is None.

    ``source_panel_goal_id`` is the hook for goals that come from a citizens' panel.
    Raises InvalidInput when the target equals the baseline or a field is missing.
    """
    require(actor, Permission.COMMITMENTS_GOAL_MANAGE)
    title = _text(title, "title", required=True, max_len=200)
    indicator_name = _text(indicator_name, "indicator_name", required=True, max_len=200)
    unit = _text(unit, "unit", required=True, max_len=40)
    baseline = _number(baseline, "baseline", required=True)
    target = _number(target, "target", required=True)
    if target == baseline:
        raise InvalidInput(_("The target must differ from the baseline."), field="target")
    if deadline is None:
        raise InvalidInput(_("Choose a deadline."), field="deadline")
    if district_id is not None and db.session.get(District, district_id) is None:
        raise InvalidInput(_("Choose a district from the list."), field="district_id")
    from agora.panelwork.services import check_linkable_goal

    source_panel_goal_id = check_linkable_goal(source_panel_goal_id, "source_panel_goal_id")
    goal = Goal(title=title, description=_text(description, "description", required=False, max_len=10000),
                district_id=district_id, indicator_name=indicator_name, unit=unit, baseline=baseline,
                target=target, deadline=deadline, source_panel_goal_id=source_panel_goal_id,
                created_by_id=actor.id)
    db.session.add(goal)
    db.session.flush()
    audit.record(actor, "commitments.goal.create", goal, details={"title": title, "target": target})
    return goal


def edit_goal(actor: User, goal: Goal, *, title: str, description: str = "") -> Goal:
    """Reword a goal's title and description (administrators; audited with the earlier text). What it
    measures (indicator, baseline, target, deadline) stays: commitments and measurements refer to it."""
    require(actor, Permission.COMMITMENTS_GOAL_MANAGE)
    return _reword(actor, goal, "commitments.goal.edit", title, description)


def _reword(actor: User, item: Goal | Commitment, action: str, title: str, description: str):
    """New title and description for a goal or a commitment, audited with the earlier text."""
    title = _text(title, "title", required=True, max_len=200)
    description = _text(description, "description", required=False, max_len=10000)
    if (title, description) != (item.title, item.description):
        audit.record(actor, action, item, details={"earlier_title": item.title,
                                                   "earlier_description": item.description})
        item.title, item.description, item.edited_at = title, description, utcnow()
        db.session.flush()
    return item


def record_measurement(actor: User, goal: Goal, *, measured_on: date, value, note: str = "") -> GoalMeasurement:
    """Record a value of the goal's indicator (clerks, administrators; audited; followers notified)."""
    require(actor, Permission.COMMITMENTS_INDICATOR_RECORD)
    value = _number(value, "value", required=True)
    if measured_on is None or measured_on > today():
        raise InvalidInput(_("Choose a date that is not in the future."), field="measured_on")
    measurement = GoalMeasurement(goal=goal, measured_on=measured_on, value=value, recorded_by_id=actor.id,
                                  note=_text(note, "note", required=False, max_len=300))
    db.session.add(measurement)
    db.session.flush()
    audit.record(actor, "commitments.indicator.record", goal,
                 details={"measured_on": measured_on.isoformat(), "value": value})
    notifications.notify_followers(
        GOAL, goal.id, "commitments.indicator",
        lambda: _("New value for the goal “%(title)s”: %(value)s %(unit)s.", title=goal.title,
                  value=f"{value:g}", unit=goal.unit),
        _link("commitments.goal", goal_id=goal.id), exclude=actor)
    return measurement


# --- organisations -------------------------------------------------------------------------------

def register_organisation(actor: User, *, name: str, kind: str, description: str = "") -> Organisation:
    """Register an organisation. Administrators create it confirmed (audited); a verified resident
    asks for it and becomes its first member, and it acts once an administrator confirms it.
    Raises Conflict when the name is taken."""
    manager = can(actor, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    if not manager:
        require(actor, Permission.PARTICIPATE)
    name = _text(name, "name", required=True, max_len=200)
    if kind not in ORGANISATION_KINDS:
        raise InvalidInput(_("Choose a kind from the list."), field="kind")
    org = Organisation(name=name, kind=kind, created_by_id=actor.id,
                       description=_text(description, "description", required=False, max_len=5000))
    if manager:
        org.confirmed_at, org.confirmed_by_id = utcnow(), actor.id
    else:
        org.memberships = [OrganisationMember(user_id=actor.id)]
    try:
        with db.session.begin_nested():
            db.session.add(org)
    except IntegrityError:
        raise Conflict(_("An organisation with this name already exists."), field="name") from None
    if manager:
        audit.record(actor, "commitments.organisation.create", org, details={"name": name, "kind": kind})
    return org


def confirm_organisation(actor: User, org: Organisation) -> None:
    """Confirm an organisation so its members can commit for it (administrators; audited)."""
    require(actor, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    if org.is_confirmed:
        raise Conflict(_("This organisation is already confirmed."))
    org.confirmed_at, org.confirmed_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "commitments.organisation.confirm", org, details={"name": org.name})
    notifications.notify(
        [m.user for m in org.memberships], "commitments.organisation",
        lambda: _("%(name)s is confirmed: you can now make commitments for it.", name=org.name),
        _link("commitments.organisation", organisation_id=org.id))


def add_member(actor: User, org: Organisation, email: str) -> OrganisationMember:
    """Add the account with ``email`` to ``org`` (administrators; audited)."""
    require(actor, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower(),
                                                User.deleted_at.is_(None)))
    if user is None:
        raise InvalidInput(_("No account uses this e-mail address."), field="email")
    member = OrganisationMember(organisation_id=org.id, user_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(member)
    except IntegrityError:
        raise Conflict(_("%(name)s is already a member.", name=user.display_name), field="email") from None
    db.session.expire(org, ["memberships"])
    audit.record(actor, "commitments.organisation.add_member", org, details={"user_id": user.id})
    return member


def remove_member(actor: User, org: Organisation, user_id: int) -> None:
    """Remove a member from ``org`` (administrators; audited)."""
    require(actor, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    member = db.session.scalar(select(OrganisationMember).where(
        OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == user_id))
    if member is None:
        raise NotFound(_("This person is not a member."))
    db.session.delete(member)
    db.session.flush()
    db.session.expire(org, ["memberships"])
    audit.record(actor, "commitments.organisation.remove_member", org, details={"user_id": user_id})


# --- commitments ---------------------------------------------------------------------------------

def make_commitment(actor: User, goal: Goal, *, kind: str, title: str, description: str = "",
                    organisation: Organisation | None = None, baseline_value=None, target_value=None,
                    target_unit: str | None = None, deadline: date | None = None,
                    visibility: str = "public") -> Commitment:
    """Commit publicly to ``goal``, for oneself (verified residents) or for a confirmed organisation
    one belongs to. A result commitment needs a target value, its unit and a deadline; the author
    follows the commitment and the goal's followers are told. Raises InvalidInput, PermissionDenied."""
    if organisation is not None:
        require(actor, Permission.COMMITMENTS_COMMITMENT_CREATE, organisation)
    else:
        require(actor, Permission.PARTICIPATE)
    if kind not in COMMITMENT_KINDS:
        raise InvalidInput(_("Choose a kind of commitment."), field="kind")
    if visibility not in VISIBILITIES:
        raise InvalidInput(_("Choose who can see the commitment."), field="visibility")
    if organisation is not None and visibility == "anonymous":
        raise InvalidInput(_("An organisation commits under its own name."), field="visibility")
    title = _text(title, "title", required=True, max_len=200)
    description = _text(description, "description", required=False, max_len=10000)
    baseline_value = _number(baseline_value, "baseline_value", required=False)
    target_value = _number(target_value, "target_value", required=kind == "result")
    target_unit = _text(target_unit, "target_unit", required=kind == "result", max_len=40) or None
    if kind == "result" and deadline is None:
        raise InvalidInput(_("A result commitment needs a deadline."), field="deadline")
    if deadline is not None and deadline < today():
        raise InvalidInput(_("Choose a deadline that is not in the past."), field="deadline")
    if kind == "result" and baseline_value is not None and baseline_value == target_value:
        raise InvalidInput(_("The target must differ from the starting value."), field="target_value")
    commitment = Commitment(goal=goal, kind=kind, title=title, description=description, author_id=actor.id,
                            organisation=organisation, baseline_value=baseline_value,
                            target_value=target_value, target_unit=target_unit, deadline=deadline,
                            visibility=visibility, status=ACTIVE)
    db.session.add(commitment)
    db.session.flush()
    notifications.follow(actor, COMMITMENT, commitment.id)
    who = actor_label(commitment)
    notifications.notify_followers(
        GOAL, goal.id, "commitments.new",
        lambda: _("%(who)s made a commitment towards “%(goal)s”: %(title)s", who=who, goal=goal.title,
                  title=title),
        _link("commitments.commitment", commitment_id=commitment.id), exclude=actor)
    return commitment


def edit_commitment(actor: User, commitment: Commitment, *, title: str, description: str = "") -> Commitment:
    """Its author (or a member of the committing organisation) rewords a commitment's title and details;
    the page shows it was edited and the audit log keeps the earlier text. The promise itself (kind,
    target, unit, deadline) does not change after the fact: withdraw it and commit anew. Not once withdrawn."""
    require(actor, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    if commitment.status == "withdrawn":
        raise Conflict(_("This commitment was withdrawn: it can no longer be edited."))
    return _reword(actor, commitment, "commitments.commitment.edit", title, description)


def _notify_about(commitment: Commitment, kind: str, message, actor: User | None) -> None:
    link = _link("commitments.commitment", commitment_id=commitment.id)
    people = notifications.followers(COMMITMENT, commitment.id) + notifications.followers(GOAL, commitment.goal_id)
    notifications.notify(people, kind, message, link, exclude=actor)


def post_update(actor: User, commitment: Commitment, *, happened_on: date, text: str = "", value=None,
                photo: bytes | None = None, photo_alt: str = "") -> ProgressUpdate:
    """Post a dated progress update (the owner, or a member of the organisation).

    Needs some text, a value or a photo; a photo needs a description for people who cannot see
    it and is checked by size and by its first bytes. A result commitment whose values reach its
    target by the deadline becomes fulfilled. Followers are notified.
    """
    require(actor, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    if commitment.status == "withdrawn":
        raise Conflict(_("This commitment was withdrawn."))
    if happened_on is None or happened_on > today():
        raise InvalidInput(_("Choose a date that is not in the future."), field="happened_on")
    text = _text(text, "text", required=False, max_len=5000)
    value = _number(value, "value", required=False)
    photo_type = None
    if photo:
        photo_type = check_photo(photo)
        try:  # published photos never carry the place they were taken, nor the device or owner
            photo = uploads.strip_metadata(photo, photo_type)
        except uploads.DamagedImage:
            raise InvalidInput(_("The photo must be a JPEG, PNG or WebP image."), field="photo") from None
        photo_alt = _text(photo_alt, "photo_alt", required=True, max_len=300)
    else:
        photo, photo_alt = None, None
    if not text and value is None and photo is None:
        raise InvalidInput(_("Write what happened, give a measured value, or add a photo."), field="text")
    update = ProgressUpdate(commitment=commitment, author_id=actor.id, happened_on=happened_on, text=text,
                            value=value, photo=photo, photo_type=photo_type, photo_alt=photo_alt)
    db.session.add(update)
    db.session.flush()
    db.session.expire(commitment, ["updates"])
    became_fulfilled = False
    if commitment.is_result and commitment.status != FULFILLED:
        status = commitment_progress(commitment).status
        became_fulfilled = status == FULFILLED
        commitment.status = status
        if became_fulfilled:
            commitment.fulfilled_at = utcnow()
    db.session.flush()
    title = commitment.title
    _notify_about(commitment, "commitments.update",
                  lambda: _("New progress on “%(title)s”.", title=title), actor)
    if became_fulfilled:
        _notify_about(commitment, "commitments.fulfilled",
                      lambda: _("“%(title)s” reached its target.", title=title), actor)
    return update


def mark_fulfilled(actor: User, commitment: Commitment) -> None:
    """The owner declares a pledge or an effort fulfilled (a result commitment is measured instead)."""
    require(actor, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    if commitment.is_result:
        raise InvalidInput(_("A result commitment is fulfilled when its measured values reach the target."))
    if commitment.status in (FULFILLED, "withdrawn"):
        raise Conflict(_("This commitment is already closed."))
    commitment.status, commitment.fulfilled_at = FULFILLED, utcnow()
    db.session.flush()
    title = commitment.title
    _notify_about(commitment, "commitments.fulfilled", lambda: _("“%(title)s” is fulfilled.", title=title), actor)


def withdraw(actor: User, commitment: Commitment, *, reason: str) -> None:
    """Withdraw a commitment, saying why. It stays visible, with its reason. Followers are told."""
    require(actor, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    if commitment.status == "withdrawn":
        raise Conflict(_("This commitment was withdrawn."))
    reason = _text(reason, "reason", required=True, min_len=10, max_len=1000)
    commitment.status, commitment.withdrawn_at, commitment.withdrawal_reason = "withdrawn", utcnow(), reason
    db.session.flush()
    title = commitment.title
    _notify_about(commitment, "commitments.withdrawn",
                  lambda: _("“%(title)s” was withdrawn.", title=title), actor)


def refresh_statuses(on: date | None = None) -> list[Commitment]:
    """Store "late" on active commitments whose deadline passed unmet, and tell their followers.

    Pages already show the current status; this keeps the stored one (and exports) in step.
    Run daily by ``agora commitments refresh``.
    """
    on = on or today()
    changed = []
    for commitment in db.session.scalars(select(Commitment).where(
            Commitment.status == ACTIVE, Commitment.deadline.is_not(None), Commitment.deadline < on)):
        status = current_status(commitment, on)
        if status == commitment.status:
            continue
        commitment.status = status
        if status == FULFILLED:
            commitment.fulfilled_at = utcnow()
        changed.append(commitment)
        if status == LATE:
            title = commitment.title
            _notify_about(commitment, "commitments.late",
                          lambda title=title: _("“%(title)s” passed its deadline.", title=title), None)
    db.session.flush()
    return changed


# --- support from the city's team ----------------------------------------------------------------

def comment(actor: User, commitment: Commitment, *, body: str) -> CommitmentComment:
    """A comment by the city's team on a commitment (clerks; audited; followers notified)."""
    require(actor, Permission.COMMITMENTS_COMMITMENT_COMMENT)
    body = _text(body, "body", required=True, max_len=3000)
    entry = CommitmentComment(commitment=commitment, author_id=actor.id, body=body)
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "commitments.comment.create", commitment, details={"comment_id": entry.id})
    title = commitment.title
    _notify_about(commitment, "commitments.comment",
                  lambda: _("The city commented on “%(title)s”.", title=title), actor)
    return entry


def endorse(actor: User, commitment: Commitment) -> CommitmentEndorsement:
    """The city's team endorses a commitment; once per clerk (Conflict on a second). Audited."""
    require(actor, Permission.COMMITMENTS_COMMITMENT_ENDORSE)
    if commitment.status == "withdrawn":
        raise Conflict(_("This commitment was withdrawn."))
    entry = CommitmentEndorsement(commitment_id=commitment.id, user_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise Conflict(_("You already endorse this commitment.")) from None
    db.session.expire(commitment, ["endorsements"])
    audit.record(actor, "commitments.endorse", commitment)
    title = commitment.title
    _notify_about(commitment, "commitments.endorsed",
                  lambda: _("The city endorses “%(title)s”.", title=title), actor)
    return entry


def withdraw_endorsement(actor: User, commitment: Commitment) -> None:
    require(actor, Permission.COMMITMENTS_COMMITMENT_ENDORSE)
    entry = db.session.scalar(select(CommitmentEndorsement).where(
        CommitmentEndorsement.commitment_id == commitment.id, CommitmentEndorsement.user_id == actor.id))
    if entry is None:
        raise Conflict(_("You do not endorse this commitment."))
    db.session.delete(entry)
    db.session.flush()
    db.session.expire(commitment, ["endorsements"])
    audit.record(actor, "commitments.endorse.withdraw", commitment)


def follow(user: User, target_type: str, target_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in to follow."))
    return notifications.follow(user, target_type, target_id)
