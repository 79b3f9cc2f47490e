"""The panel at work: members, sessions, goals, amendments and adoption votes.

Who may do what (object rules below, registered on :mod:`agora.permissions`):

- the workspace is seen by the panel's *active* members and facilitators, and by clerks
  (administrators hold every staff permission); a member of another panel, a moderator or any other
  resident gets ``PermissionDenied`` (403);
- active members (role ``"member"``) draft goals, propose amendments and vote;
- the goal's author or whoever facilitates decides on amendments;
- facilitators of the panel and clerks schedule sessions, publish minutes, open and close votes;
- clerks add and remove members and facilitators and set the panel's adoption rule.

Adoption votes are **open among members** (each member sees who voted what, as in a show of hands
at a session: the panel deliberates in the open and members answer to each other). The public page
shows only the counts, never names. A member may change their vote until the facilitator closes it.
Facilitators and clerks do not vote and do not count towards the quorum.

Every state change is audit-logged; services flush, the caller commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from agora import audit
from agora.accounts.models import User
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.notifications.services import notify
from agora.panels.models import Panel, PanelMember
from agora.panelwork.models import (
    CHOICES,
    MAJORITY_RULES,
    PanelAdoptionVote,
    PanelGoal,
    PanelGoalAmendment,
    PanelGoalBallot,
    PanelGoalRevision,
    PanelSession,
    PanelSessionAttendance,
    PanelWorkSettings,
)
from agora.permissions import Permission, Role, object_rule, require

if TYPE_CHECKING:
    from agora.proposals.models import Proposal

MEMBER_ROLES = ("member", "facilitator")
DEFAULT_QUORUM_PERCENT = 50
DEFAULT_MAJORITY = "simple"


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- who is who --------------------------------------------------------------------------------

def is_staff(user: User) -> bool:
    """Clerks and administrators: they run panels for the city."""
    return bool({Role.CLERK, Role.ADMIN} & set(user.roles))


def active_membership(user: User | None, panel_id: int) -> PanelMember | None:
    """The user's current seat on this panel (member or facilitator), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(PanelMember).where(
        PanelMember.panel_id == panel_id, PanelMember.user_id == user.id, PanelMember.left_at.is_(None)))


def _panel_id(obj: Any) -> int:
    return obj.id if isinstance(obj, Panel) else obj.panel_id


@object_rule(Permission.PANELWORK_VIEW)
def _sees_workspace(user: User, panel: Panel) -> bool:
    return is_staff(user) or active_membership(user, _panel_id(panel)) is not None


@object_rule(Permission.PANELWORK_CONTRIBUTE)
def _contributes(user: User, panel: Panel) -> bool:
    seat = active_membership(user, _panel_id(panel))
    return seat is not None and seat.role == "member"


@object_rule(Permission.PANELWORK_FACILITATE)
def _facilitates(user: User, panel: Panel) -> bool:
    if is_staff(user):
        return True
    seat = active_membership(user, _panel_id(panel))
    return seat is not None and seat.role == "facilitator"


@object_rule(Permission.PANELWORK_AMENDMENT_DECIDE)
def _decides_amendment(user: User, amendment: PanelGoalAmendment) -> bool:
    goal = amendment.goal
    if goal.author_id == user.id and _contributes(user, goal.panel):
        return True
    return _facilitates(user, goal.panel)


# --- panels, settings and members ---------------------------------------------------------------

def get_panel(panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None:
        raise NotFound(_("There is no such panel."))
    return panel


def get_workspace(actor: User | None, panel_id: int) -> Panel:
    """The panel, if ``actor`` may see its workspace; else NotFound or PermissionDenied."""
    panel = get_panel(panel_id)
    require(actor, Permission.PANELWORK_VIEW, panel)
    return panel


def get_settings(panel: Panel) -> PanelWorkSettings:
    """The panel's adoption rule (an unsaved row with the defaults when none was set)."""
    row = db.session.get(PanelWorkSettings, panel.id)
    return row or PanelWorkSettings(panel_id=panel.id, quorum_percent=DEFAULT_QUORUM_PERCENT,
                                    majority=DEFAULT_MAJORITY)


def update_settings(actor: User, panel: Panel, *, quorum_percent: int, majority: str) -> PanelWorkSettings:
    """Clerks set the adoption rule; votes already open keep the rule they opened with. Audited."""
    require(actor, Permission.PANELWORK_MEMBERS_MANAGE, panel)
    if quorum_percent is None or not 0 <= int(quorum_percent) <= 100:
        raise InvalidInput(_("The quorum is a percentage from 0 to 100."), field="quorum_percent")
    if majority not in MAJORITY_RULES:
        raise InvalidInput(_("Choose a majority rule from the list."), field="majority")
    row = db.session.get(PanelWorkSettings, panel.id)
    if row is None:
        row = PanelWorkSettings(panel_id=panel.id)
        db.session.add(row)
    row.quorum_percent, row.majority, row.updated_at = int(quorum_percent), majority, utcnow()
    db.session.flush()
    audit.record(actor, "panelwork.settings.update", panel,
                 details={"quorum_percent": row.quorum_percent, "majority": majority})
    return row


def list_members(panel: Panel, *, include_former: bool = False) -> list[PanelMember]:
    stmt = select(PanelMember).where(PanelMember.panel_id == panel.id)
    if not include_former:
        stmt = stmt.where(PanelMember.left_at.is_(None))
    return list(db.session.scalars(stmt.order_by(PanelMember.role.desc(), PanelMember.id)))


def voting_members(panel: Panel) -> list[PanelMember]:
    """Active members with role "member": they vote and make the quorum."""
    return [m for m in list_members(panel) if m.role == "member"]


def add_member(actor: User, panel: Panel, *, email: str, role: str = "member") -> PanelMember:
    """Clerks seat someone by hand (or change their role, or bring a former member back). Audited.

    Raises InvalidInput when no account has this e-mail address or the role is unknown.
    """
    require(actor, Permission.PANELWORK_MEMBERS_MANAGE, panel)
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Choose the role “member” or “facilitator”."), field="role")
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address, User.deleted_at.is_(None))) \
        if address else None
    if user is None:
        raise InvalidInput(_("No account has the e-mail address “%(email)s”. The person must register first.",
                             email=address), field="email")
    seat = db.session.scalar(select(PanelMember).where(PanelMember.panel_id == panel.id,
                                                       PanelMember.user_id == user.id))
    if seat is None:
        seat = PanelMember(panel_id=panel.id, user_id=user.id, role=role, joined_at=utcnow())
        db.session.add(seat)
    else:
        if seat.left_at is not None:
            seat.left_at, seat.joined_at = None, utcnow()
        seat.role = role
    db.session.flush()
    audit.record(actor, "panelwork.member.add", seat, details={"panel_id": panel.id, "user_id": user.id,
                                                                "role": role})
    return seat


def remove_member(actor: User, member: PanelMember) -> PanelMember:
    """Clerks end someone's seat (kept for the record); their ballots in open votes no longer count."""
    require(actor, Permission.PANELWORK_MEMBERS_MANAGE, member.panel)
    if member.left_at is not None:
        raise Conflict(_("This person has already left the panel."))
    member.left_at = utcnow()
    db.session.flush()
    audit.record(actor, "panelwork.member.remove", member,
                 details={"panel_id": member.panel_id, "user_id": member.user_id, "role": member.role})
    return member


def get_member(panel: Panel, member_id: int) -> PanelMember:
    member = db.session.get(PanelMember, member_id)
    if member is None or member.panel_id != panel.id:
        raise NotFound(_("There is no such member on this panel."))
    return member


def _people(panel: Panel) -> list[User]:
    return [m.user for m in list_members(panel)]


def _workspace_link(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:  # no request or app context that can build URLs (a CLI without SERVER_NAME)
        return None


# --- sessions ---------------------------------------------------------------------------------

def _text(value: str | None, field: str, *, label: str, max_len: int, required: bool = True,
          min_len: int = 1) -> str:
    text = (value or "").strip()
    if required and len(text) < min_len:
        raise InvalidInput(_("%(field)s: write at least %(n)d characters.", field=label, n=min_len), field=field)
    if len(text) > max_len:
        raise InvalidInput(_("%(field)s: at most %(n)d characters.", field=label, n=max_len), field=field)
    return text


def _session_fields(title: str, starts_at: datetime | None, place: str, agenda: str) -> dict[str, Any]:
    if starts_at is None:
        raise InvalidInput(_("Give the date and time of the session."), field="starts_at")
    return {"title": _text(title, "title", label=_("Title"), max_len=200, min_len=3),
            "starts_at": _aware(starts_at), "place": _text(place, "place", label=_("Place"), max_len=200,
                                                           required=False),
            "agenda": _text(agenda, "agenda", label=_("Agenda"), max_len=20000, required=False)}


def schedule_session(actor: User, panel: Panel, *, title: str, starts_at: datetime | None, place: str = "",
                     agenda: str = "") -> PanelSession:
    """Facilitators and clerks schedule a session; every member is notified. Audited."""
    require(actor, Permission.PANELWORK_FACILITATE, panel)
    session = PanelSession(panel_id=panel.id, created_by_id=actor.id,
                           **_session_fields(title, starts_at, place, agenda))
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "panelwork.session.schedule", session,
                 details={"panel_id": panel.id, "title": session.title, "starts_at": session.starts_at.isoformat()})
    when = session.starts_at
    notify(_people(panel), "panel_session",
           lambda: _("New session of %(panel)s: %(title)s, on %(when)s", panel=panel.title, title=session.title,
                     when=_format_when(when)),
           _workspace_link("panelwork.session", panel_id=panel.id, session_id=session.id), exclude=actor)
    return session


def _format_when(moment: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(moment, "medium")


def update_session(actor: User, session: PanelSession, *, title: str, starts_at: datetime | None,
                   place: str = "", agenda: str = "") -> PanelSession:
    """Facilitators and clerks change a session's details. Audited."""
    require(actor, Permission.PANELWORK_FACILITATE, session.panel)
    for key, value in _session_fields(title, starts_at, place, agenda).items():
        setattr(session, key, value)
    db.session.flush()
    audit.record(actor, "panelwork.session.update", session,
                 details={"title": session.title, "starts_at": session.starts_at.isoformat()})
    return session


def publish_minutes(actor: User, session: PanelSession, *, minutes: str,
                    attendee_ids: Iterable[int] = ()) -> PanelSession:
    """Publish (or correct) the minutes once the session has started; attendance is optional.

    Members are notified the first time. Raises PhaseClosed before the session, InvalidInput for
    empty minutes or an attendee who is not an active member of the panel. Audited.
    """
    require(actor, Permission.PANELWORK_FACILITATE, session.panel)
    if _aware(session.starts_at) > utcnow():
        raise PhaseClosed(_("Minutes can be published once the session has started."))
    text = _text(minutes, "minutes", label=_("Minutes"), max_len=50000, min_len=10)
    seats = {m.id: m for m in list_members(session.panel)}
    wanted = {int(i) for i in attendee_ids}
    unknown = sorted(wanted - seats.keys())
    if unknown:
        raise InvalidInput(_("Attendance: %(id)s is not an active member of this panel.", id=unknown[0]),
                           field="attendees")
    first = session.minutes_published_at is None
    session.minutes = text
    session.minutes_published_at = session.minutes_published_at or utcnow()
    kept = [a for a in session.attendees if a.member_id in wanted]
    session.attendees = kept + [PanelSessionAttendance(member_id=i) for i in sorted(wanted)
                                if i not in {a.member_id for a in kept}]
    db.session.flush()
    audit.record(actor, "panelwork.session.minutes", session,
                 details={"first_publication": first, "attendees": sorted(wanted)})
    if first:
        panel = session.panel
        notify(_people(panel), "panel_minutes",
               lambda: _("Minutes of “%(title)s” (%(panel)s) are published.", title=session.title,
                         panel=panel.title),
               _workspace_link("panelwork.session", panel_id=panel.id, session_id=session.id), exclude=actor)
    return session


def list_sessions(panel: Panel) -> list[PanelSession]:
    return list(db.session.scalars(select(PanelSession).where(PanelSession.panel_id == panel.id)
                                   .order_by(PanelSession.starts_at.desc(), PanelSession.id.desc())))


def get_session(panel: Panel, session_id: int) -> PanelSession:
    session = db.session.get(PanelSession, session_id)
    if session is None or session.panel_id != panel.id:
        raise NotFound(_("There is no such session of this panel."))
    return session


# --- goals, revisions and amendments ------------------------------------------------------------

def _goal_fields(title: str, text: str, theme: str) -> dict[str, str]:
    return {"title": _text(title, "title", label=_("Title"), max_len=200, min_len=5),
            "text": _text(text, "text", label=_("Text"), max_len=10000, min_len=10),
            "theme": " ".join((theme or "").split())[:80]}


def _lock_goal(goal: PanelGoal) -> None:
    db.session.execute(select(PanelGoal.id).where(PanelGoal.id == goal.id).with_for_update())
    db.session.refresh(goal)


def _add_revision(goal: PanelGoal, author_id: int | None, amendment: PanelGoalAmendment | None = None) -> None:
    number = (max((r.number for r in goal.revisions), default=0)) + 1
    goal.revisions.append(PanelGoalRevision(number=number, title=goal.title, text=goal.text, theme=goal.theme,
                                            author_id=author_id, amendment_id=amendment.id if amendment else None,
                                            created_at=utcnow()))


def current_revision(goal: PanelGoal) -> int:
    return max((r.number for r in goal.revisions), default=0)


def draft_goal(actor: User, panel: Panel, *, title: str, text: str, theme: str = "") -> PanelGoal:
    """An active member drafts a goal (visible in the workspace only, until adopted). Audited."""
    require(actor, Permission.PANELWORK_CONTRIBUTE, panel)
    goal = PanelGoal(panel_id=panel.id, author_id=actor.id, status="draft", **_goal_fields(title, text, theme))
    db.session.add(goal)
    db.session.flush()
    _add_revision(goal, actor.id)
    db.session.flush()
    audit.record(actor, "panelwork.goal.draft", goal, details={"panel_id": panel.id, "title": goal.title})
    return goal


def edit_goal(actor: User, goal: PanelGoal, *, title: str, text: str, theme: str = "") -> PanelGoal:
    """The author rewords their draft goal; each edit is a new revision. Audited."""
    require(actor, Permission.PANELWORK_CONTRIBUTE, goal.panel)
    if goal.author_id != actor.id:
        raise PermissionDenied(_("Only the goal's author edits it; others propose amendments."))
    _lock_goal(goal)
    if goal.status != "draft":
        raise PhaseClosed(_("Only a draft goal can be changed (not during its adoption vote, nor once adopted)."))
    fields = _goal_fields(title, text, theme)
    if all(getattr(goal, k) == v for k, v in fields.items()):
        return goal
    for key, value in fields.items():
        setattr(goal, key, value)
    goal.updated_at = utcnow()
    _add_revision(goal, actor.id)
    db.session.flush()
    audit.record(actor, "panelwork.goal.edit", goal, details={"revision": current_revision(goal)})
    return goal


def propose_amendment(actor: User, goal: PanelGoal, *, text: str, reason: str) -> PanelGoalAmendment:
    """Another member proposes a new wording with a reason, while the goal is a draft. Audited."""
    require(actor, Permission.PANELWORK_CONTRIBUTE, goal.panel)
    if goal.status != "draft":
        raise PhaseClosed(_("Amendments can be proposed only while the goal is a draft."))
    if goal.author_id == actor.id:
        raise InvalidInput(_("You wrote this goal: edit it directly instead of amending it."))
    new_text = _text(text, "text", label=_("New text"), max_len=10000, min_len=10)
    if new_text == goal.text.strip():
        raise InvalidInput(_("The amendment's text is the same as the goal's current text."), field="text")
    amendment = PanelGoalAmendment(goal_id=goal.id, author_id=actor.id, text=new_text,
                                   reason=_text(reason, "reason", label=_("Reason"), max_len=2000, min_len=5),
                                   base_revision=current_revision(goal), status="pending")
    db.session.add(amendment)
    db.session.flush()
    audit.record(actor, "panelwork.amendment.propose", amendment,
                 details={"goal_id": goal.id, "base_revision": amendment.base_revision})
    if goal.author is not None:
        notify([goal.author], "panel_amendment",
               lambda: _("%(name)s proposes an amendment to your goal “%(title)s”.",
                         name=actor.display_name, title=goal.title),
               _workspace_link("panelwork.goal", panel_id=goal.panel_id, goal_id=goal.id), exclude=actor)
    return amendment


def decide_amendment(actor: User, amendment: PanelGoalAmendment, *, accept: bool) -> PanelGoalAmendment:
    """The goal's author or a facilitator accepts (the text is replaced, a revision is kept) or rejects.

    Raises PhaseClosed when the amendment is already decided or the goal is no longer a draft. Audited.
    """
    require(actor, Permission.PANELWORK_AMENDMENT_DECIDE, amendment)
    goal = amendment.goal
    _lock_goal(goal)
    db.session.refresh(amendment)
    if amendment.status != "pending":
        raise PhaseClosed(_("This amendment has already been decided."))
    if goal.status != "draft":
        raise PhaseClosed(_("Amendments are decided only while the goal is a draft."))
    amendment.status = "accepted" if accept else "rejected"
    amendment.decided_by_id, amendment.decided_at = actor.id, utcnow()
    if accept:
        goal.text = amendment.text
        goal.updated_at = utcnow()
        _add_revision(goal, amendment.author_id, amendment)
    db.session.flush()
    audit.record(actor, f"panelwork.amendment.{amendment.status}", amendment,
                 details={"goal_id": goal.id, "revision": current_revision(goal)})
    if amendment.author is not None:
        accepted = accept
        notify([amendment.author], "panel_amendment",
               lambda: (_("Your amendment to “%(title)s” was accepted.", title=goal.title) if accepted
                        else _("Your amendment to “%(title)s” was not accepted.", title=goal.title)),
               _workspace_link("panelwork.goal", panel_id=goal.panel_id, goal_id=goal.id), exclude=actor)
    return amendment


def list_goals(panel: Panel, status: str | None = None) -> list[PanelGoal]:
    stmt = select(PanelGoal).where(PanelGoal.panel_id == panel.id)
    if status is not None:
        stmt = stmt.where(PanelGoal.status == status)
    return list(db.session.scalars(stmt.order_by(PanelGoal.number.is_(None), PanelGoal.number, PanelGoal.id)))


def get_goal(panel: Panel, goal_id: int) -> PanelGoal:
    goal = db.session.get(PanelGoal, goal_id)
    if goal is None or goal.panel_id != panel.id:
        raise NotFound(_("There is no such goal on this panel."))
    return goal


def get_amendment(goal: PanelGoal, amendment_id: int) -> PanelGoalAmendment:
    amendment = db.session.get(PanelGoalAmendment, amendment_id)
    if amendment is None or amendment.goal_id != goal.id:
        raise NotFound(_("There is no such amendment to this goal."))
    return amendment


def pending_amendments(goal: PanelGoal) -> list[PanelGoalAmendment]:
    return [a for a in goal.amendments if a.status == "pending"]


# --- adoption votes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    quorum_met: bool
    adopted: bool


def adoption_outcome(votes_for: int, votes_against: int, abstentions: int, eligible: int, *,
                     quorum_percent: int = DEFAULT_QUORUM_PERCENT, majority: str = DEFAULT_MAJORITY) -> Outcome:
    """Whether a goal is adopted, in exact integer arithmetic.

    Quorum: the members who took part (for, against *and* abstain) are at least ``quorum_percent`` %
    of the ``eligible`` active members: with 5 members and 50 %, 3 must vote; with 4, 2 suffice.
    Majority, among the votes cast:

    - ``simple``: more for than against; abstentions count for the quorum only (a tie is not adopted);
    - ``absolute``: more than half of all votes cast, abstentions included;
    - ``two_thirds``: for ≥ 2 × against, and at least one vote for.
    """
    if min(votes_for, votes_against, abstentions, eligible) < 0:
        raise ValueError("counts cannot be negative")
    if majority not in MAJORITY_RULES:
        raise ValueError(f"unknown majority rule {majority!r}")
    cast = votes_for + votes_against + abstentions
    quorum_met = cast * 100 >= quorum_percent * eligible and cast > 0
    if majority == "simple":
        wins = votes_for > votes_against
    elif majority == "absolute":
        wins = 2 * votes_for > cast
    else:
        wins = votes_for > 0 and votes_for >= 2 * votes_against
    return Outcome(quorum_met=quorum_met, adopted=quorum_met and wins)


def open_adoption_votes(actor: User, panel: Panel, goals: Iterable[PanelGoal]) -> list[PanelAdoptionVote]:
    """Facilitators (and clerks) open the adoption vote on one goal or a batch; members are notified.

    Each goal must be a draft of this panel with no pending amendment (decide them first); its
    wording is frozen while the vote is open. The panel's current rule is copied onto each vote.
    Raises InvalidInput (no goal chosen, a goal of another panel) or Conflict. Audited per goal.
    """
    require(actor, Permission.PANELWORK_FACILITATE, panel)
    goals = list({g.id: g for g in goals}.values())
    if not goals:
        raise InvalidInput(_("Choose at least one draft goal to put to the vote."), field="goal_ids")
    rule = get_settings(panel)
    opened = []
    for goal in goals:
        if goal.panel_id != panel.id:
            raise InvalidInput(_("Goal %(id)d is not a goal of this panel.", id=goal.id), field="goal_ids")
        _lock_goal(goal)
        if goal.status != "draft":
            raise Conflict(_("“%(title)s” is not a draft: its vote is open or it is adopted.", title=goal.title))
        if pending_amendments(goal):
            raise Conflict(_("“%(title)s” has amendments waiting for a decision: accept or reject them first.",
                             title=goal.title))
        vote = PanelAdoptionVote(goal_id=goal.id, revision_number=current_revision(goal), opened_by_id=actor.id,
                                 opened_at=utcnow(), quorum_percent=rule.quorum_percent, majority=rule.majority)
        db.session.add(vote)
        goal.status = "voting"
        db.session.flush()
        audit.record(actor, "panelwork.vote.open", vote,
                     details={"goal_id": goal.id, "revision": vote.revision_number,
                              "quorum_percent": vote.quorum_percent, "majority": vote.majority})
        opened.append(vote)
    titles = ", ".join(f"“{g.title}”" for g in goals)
    notify(_people(panel), "panel_vote",
           lambda: _("Adoption vote open in %(panel)s: %(goals)s. Cast your vote in the workspace.",
                     panel=panel.title, goals=titles),
           _workspace_link("panelwork.workspace", panel_id=panel.id), exclude=actor)
    return opened


def open_vote(goal: PanelGoal) -> PanelAdoptionVote | None:
    return next((v for v in goal.adoption_votes if v.closed_at is None), None)


def get_vote(goal: PanelGoal, vote_id: int) -> PanelAdoptionVote:
    vote = db.session.get(PanelAdoptionVote, vote_id)
    if vote is None or vote.goal_id != goal.id:
        raise NotFound(_("There is no such vote on this goal."))
    return vote


def cast_ballot(actor: User, vote: PanelAdoptionVote, choice: str) -> PanelGoalBallot:
    """An active member votes for, against or abstains; voting again changes the vote until closing.

    One ballot per member and vote is enforced by the database (a concurrent second insert becomes
    a change). Raises PermissionDenied (not a voting member), PhaseClosed (closed) or InvalidInput.
    """
    goal = vote.goal
    require(actor, Permission.PANELWORK_CONTRIBUTE, goal.panel)
    if choice not in CHOICES:
        raise InvalidInput(_("Choose for, against or abstain."), field="choice")
    _lock_goal(goal)
    db.session.refresh(vote)
    if vote.closed_at is not None:
        raise PhaseClosed(_("This vote is closed."))
    ballot = db.session.scalar(select(PanelGoalBallot).where(PanelGoalBallot.vote_id == vote.id,
                                                             PanelGoalBallot.user_id == actor.id))
    changed = ballot is not None
    if ballot is None:
        try:
            with db.session.begin_nested():
                ballot = PanelGoalBallot(vote_id=vote.id, user_id=actor.id, choice=choice, cast_at=utcnow())
                db.session.add(ballot)
        except IntegrityError:  # the same member, at the same moment, in another request
            ballot = db.session.scalar(select(PanelGoalBallot).where(PanelGoalBallot.vote_id == vote.id,
                                                                     PanelGoalBallot.user_id == actor.id))
            changed = True
    if changed:
        ballot.choice, ballot.changed_at = choice, utcnow()
    db.session.flush()
    audit.record(actor, "panelwork.vote.change" if changed else "panelwork.vote.cast", vote,
                 details={"goal_id": goal.id, "choice": choice})
    return ballot


def ballot_of(user: User | None, vote: PanelAdoptionVote) -> PanelGoalBallot | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((b for b in vote.ballots if b.user_id == user.id), None)


def live_count(vote: PanelAdoptionVote) -> Counter[str]:
    """For, against, abstain among ballots of members still active (as counted at closing)."""
    active = {m.user_id for m in voting_members(vote.goal.panel)}
    return Counter(b.choice for b in vote.ballots if b.user_id in active)


def close_adoption_vote(actor: User, vote: PanelAdoptionVote) -> PanelAdoptionVote:
    """A facilitator closes the vote; the count and the rule's verdict are stored.

    Only ballots of members still active count, against the number of active members now. An
    adopted goal gets the panel's next number and is published; otherwise it returns to draft.
    Audited; members are notified of the result.
    """
    goal = vote.goal
    panel = goal.panel
    require(actor, Permission.PANELWORK_FACILITATE, panel)
    _lock_goal(goal)
    db.session.refresh(vote)
    if vote.closed_at is not None:
        raise PhaseClosed(_("This vote is already closed."))
    counts = live_count(vote)
    eligible = len(voting_members(panel))
    outcome = adoption_outcome(counts["for"], counts["against"], counts["abstain"], eligible,
                               quorum_percent=vote.quorum_percent, majority=vote.majority)
    vote.closed_at, vote.closed_by_id = utcnow(), actor.id
    vote.votes_for, vote.votes_against, vote.abstentions = counts["for"], counts["against"], counts["abstain"]
    vote.eligible, vote.quorum_met, vote.adopted = eligible, outcome.quorum_met, outcome.adopted
    if outcome.adopted:
        db.session.execute(select(Panel.id).where(Panel.id == panel.id).with_for_update())  # numbers in order
        last = db.session.scalar(select(func.max(PanelGoal.number)).where(PanelGoal.panel_id == panel.id))
        goal.number, goal.status, goal.adopted_at = (last or 0) + 1, "adopted", vote.closed_at
    else:
        goal.status = "draft"
    db.session.flush()
    audit.record(actor, "panelwork.vote.close", vote,
                 details={"goal_id": goal.id, "for": vote.votes_for, "against": vote.votes_against,
                          "abstain": vote.abstentions, "eligible": eligible, "quorum_met": outcome.quorum_met,
                          "adopted": outcome.adopted, "number": goal.number})
    notify(_people(panel), "panel_vote",
           lambda: (_("Goal %(n)d of %(panel)s is adopted: “%(title)s”.", n=goal.number, panel=panel.title,
                      title=goal.title) if outcome.adopted
                    else _("“%(title)s” was not adopted (%(panel)s).", title=goal.title, panel=panel.title)),
           _workspace_link("panelwork.goal", panel_id=panel.id, goal_id=goal.id), exclude=actor)
    return vote


def open_votes(panel: Panel) -> list[PanelAdoptionVote]:
    return list(db.session.scalars(
        select(PanelAdoptionVote).join(PanelGoal).where(PanelGoal.panel_id == panel.id,
                                                        PanelAdoptionVote.closed_at.is_(None))
        .order_by(PanelAdoptionVote.id)))


# --- the public side: adopted goals only ------------------------------------------------------

def adopted_goals(panel: Panel) -> list[PanelGoal]:
    return list(db.session.scalars(select(PanelGoal).where(PanelGoal.panel_id == panel.id,
                                                           PanelGoal.status == "adopted")
                                   .order_by(PanelGoal.number)))


def get_adopted_goal(panel: Panel, number: int) -> PanelGoal:
    """An adopted goal by its public number; drafts and goals under vote stay hidden (NotFound)."""
    goal = db.session.scalar(select(PanelGoal).where(PanelGoal.panel_id == panel.id, PanelGoal.number == number,
                                                     PanelGoal.status == "adopted"))
    if goal is None:
        raise NotFound(_("This panel has no adopted goal with this number."))
    return goal


def adopting_vote(goal: PanelGoal) -> PanelAdoptionVote | None:
    return next((v for v in reversed(goal.adoption_votes) if v.adopted), None)


def linkable_goals() -> list[PanelGoal]:
    """Adopted goals of every panel, for the "responds to a panel goal" selects of other features."""
    return list(db.session.scalars(select(PanelGoal).join(Panel).where(PanelGoal.status == "adopted")
                                   .order_by(Panel.title, PanelGoal.number)))


def goal_choices() -> list[tuple[int, str]]:
    """(id, label) of every adopted goal, for the selects of proposals and commitment goals."""
    return [(goal.id, goal_label(goal)) for goal in linkable_goals()]


def goal_label(goal: PanelGoal) -> str:
    return _("Goal %(n)d of %(panel)s: %(title)s", n=goal.number or 0, panel=goal.panel.title, title=goal.title)


def check_linkable_goal(goal_id: int | None, field: str = "panel_goal_id") -> int | None:
    """Validate an optional link to a panel goal: it must exist and be adopted. Returns the id or None."""
    if goal_id in (None, "", 0):
        return None
    goal = db.session.get(PanelGoal, int(goal_id))
    if goal is None or goal.status != "adopted":
        raise InvalidInput(_("Choose an adopted panel goal from the list."), field=field)
    return goal.id


def get_linked_goal(goal_id: int | None) -> PanelGoal | None:
    """The adopted goal a proposal or commitment goal responds to (None if unset or not adopted)."""
    if not goal_id:
        return None
    goal = db.session.get(PanelGoal, goal_id)
    return goal if goal is not None and goal.status == "adopted" else None


@dataclass
class Responses:
    proposals: list[Proposal]
    commitment_goals: list[Any]
    commitments: int
    budget_projects: list[Any]


def responses(goal: PanelGoal) -> Responses:
    """Public proposals, participatory-budget projects and civic-commitment goals that respond to this goal."""
    from agora.budgets.models import BudgetProject
    from agora.commitments.models import Commitment
    from agora.commitments.models import Goal as CommitmentGoal
    from agora.proposals.models import Proposal

    proposals = [p for p in db.session.scalars(select(Proposal).where(Proposal.panel_goal_id == goal.id)
                                               .order_by(Proposal.id)) if p.is_public]
    commitment_goals = list(db.session.scalars(select(CommitmentGoal)
                                               .where(CommitmentGoal.source_panel_goal_id == goal.id)
                                               .order_by(CommitmentGoal.id)))
    commitments = db.session.scalar(select(func.count()).select_from(Commitment).where(
        Commitment.goal_id.in_([g.id for g in commitment_goals]))) if commitment_goals else 0
    projects = list(db.session.scalars(select(BudgetProject).where(BudgetProject.panel_goal_id == goal.id)
                                       .order_by(BudgetProject.id)))
    return Responses(proposals=proposals, commitment_goals=commitment_goals, commitments=commitments or 0,
                     budget_projects=projects)


def my_panels(user: User | None) -> list[PanelMember]:
    """The user's active seats, for a "my panels" list."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(select(PanelMember).where(PanelMember.user_id == user.id,
                                                             PanelMember.left_at.is_(None))
                                   .order_by(PanelMember.id)))
