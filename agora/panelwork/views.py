"""Workspace pages of a panel (members, facilitators, clerks) and its public adopted goals.

Workspace URLs live under ``/panels/<id>/workspace``; the public goals under ``/panels/<id>/goals``.
Views are thin: parse the form, call the service in one unit of work, flash, redirect.
"""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required

from agora.db import unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, PhaseClosed
from agora.panelwork import services
from agora.panelwork.forms import (
    ActionForm,
    AmendmentForm,
    BallotForm,
    GoalForm,
    MemberForm,
    MinutesForm,
    SessionForm,
    SettingsForm,
)
from agora.panelwork.models import AMENDMENT_STATUSES, CHOICES, GOAL_STATUSES, MAJORITY_RULES
from agora.permissions import Permission, can, require
from agora.web import form_error as _form_error

bp = Blueprint("panelwork", __name__, url_prefix="/panels")


@bp.context_processor
def _labels():
    return {"goal_statuses": GOAL_STATUSES, "choices": CHOICES, "majority_rules": MAJORITY_RULES,
            "amendment_statuses": AMENDMENT_STATUSES}


@bp.app_template_global("adopted_panel_goals")
def _adopted_panel_goals(panel):
    """For the include ``panelwork/_adopted_goals_summary.html`` on the public panel page."""
    return services.adopted_goals(panel)


@bp.app_template_global("panel_goal_link")
def _panel_goal_link(goal_id):
    """The adopted panel goal a proposal or commitment goal responds to, or None (for their pages)."""
    return services.get_linked_goal(goal_id)




def _utc(moment):
    return to_utc(moment).replace(tzinfo=UTC) if moment else None


def _back(url: str, exc: Exception):
    flash(getattr(exc, "message", str(exc)), "error")
    return redirect(url, 303)


# --- my panels and the workspace ----------------------------------------------------------------

@bp.get("/my-work")
@login_required
def mine():
    """The panels the signed-in person sits on."""
    return render_template("panelwork/mine.html", seats=services.my_panels(current_user))


@bp.get("/<int:panel_id>/workspace")
@login_required
def workspace(panel_id: int):
    """The panel's workspace: coming sessions, goals under vote, drafts, adopted goals."""
    panel = services.get_workspace(current_user, panel_id)
    sessions = services.list_sessions(panel)
    now = utcnow()
    upcoming = [s for s in reversed(sessions) if services._aware(s.starts_at) >= now]
    past = [s for s in sessions if services._aware(s.starts_at) < now]
    goals = services.list_goals(panel)
    facilitate = can(current_user, Permission.PANELWORK_FACILITATE, panel)
    openable = [g for g in goals if g.status == "draft" and not services.pending_amendments(g)]
    return render_template(
        "panelwork/workspace.html", panel=panel, upcoming=upcoming, past=past[:3], goals=goals,
        voting=[g for g in goals if g.status == "voting"], drafts=[g for g in goals if g.status == "draft"],
        adopted=[g for g in goals if g.status == "adopted"], openable=openable, facilitate=facilitate,
        contribute=can(current_user, Permission.PANELWORK_CONTRIBUTE, panel),
        members=services.list_members(panel), rule=services.get_settings(panel), action_form=ActionForm(),
        open_vote=services.open_vote, ballot_of=services.ballot_of, pending=services.pending_amendments)


# --- members and the adoption rule (clerks) ----------------------------------------------------

@bp.route("/<int:panel_id>/workspace/members", methods=["GET", "POST"])
@login_required
def members(panel_id: int):
    """Everyone on the panel; clerks add members and facilitators and set the adoption rule."""
    panel = services.get_workspace(current_user, panel_id)
    manage = can(current_user, Permission.PANELWORK_MEMBERS_MANAGE, panel)
    form = MemberForm(prefix="member")
    rule = services.get_settings(panel)
    settings_form = SettingsForm(prefix="rule", obj=rule if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.submit.data and form.validate_on_submit():
            try:
                with unit_of_work():
                    seat = services.add_member(current_user, panel, email=form.email.data, role=form.role.data)
                    name = seat.user.display_name
            except InvalidInput as error:
                _form_error(form, error)
            else:
                flash(_("%(name)s is on the panel.", name=name), "success")
                return redirect(url_for("panelwork.members", panel_id=panel.id), 303)
        elif settings_form.submit.data and settings_form.validate_on_submit():
            try:
                with unit_of_work():
                    services.update_settings(current_user, panel, quorum_percent=settings_form.quorum_percent.data,
                                             majority=settings_form.majority.data)
            except InvalidInput as error:
                _form_error(settings_form, error)
            else:
                flash(_("The adoption rule is saved. It applies to votes opened from now on."), "success")
                return redirect(url_for("panelwork.members", panel_id=panel.id), 303)
        status = 400
    return render_template("panelwork/members.html", panel=panel, members=services.list_members(panel),
                           former=[m for m in services.list_members(panel, include_former=True) if not m.is_active],
                           manage=manage, form=form, settings_form=settings_form, rule=rule,
                           action_form=ActionForm()), status


@bp.post("/<int:panel_id>/workspace/members/<int:member_id>/remove")
@login_required
def remove_member(panel_id: int, member_id: int):
    panel = services.get_workspace(current_user, panel_id)
    member = services.get_member(panel, member_id)
    back = url_for("panelwork.members", panel_id=panel.id)
    if not ActionForm().validate_on_submit():
        return _back(back, InvalidInput(_("The form expired. Please try again.")))
    try:
        with unit_of_work():
            services.remove_member(current_user, member)
    except Conflict as exc:
        return _back(back, exc)
    flash(_("%(name)s has left the panel.", name=member.user.display_name), "success")
    return redirect(back, 303)


# --- sessions -----------------------------------------------------------------------------------

@bp.get("/<int:panel_id>/workspace/sessions")
@login_required
def sessions(panel_id: int):
    panel = services.get_workspace(current_user, panel_id)
    return render_template("panelwork/sessions.html", panel=panel, sessions=services.list_sessions(panel),
                           facilitate=can(current_user, Permission.PANELWORK_FACILITATE, panel), now=utcnow(),
                           aware=services._aware)


def _session_form(session=None) -> SessionForm:
    form = SessionForm(obj=session) if session is not None and request.method == "GET" else SessionForm()
    if session is not None and request.method == "GET":
        form.starts_at.data = to_user_timezone(services._aware(session.starts_at)).replace(tzinfo=None)
    return form


@bp.route("/<int:panel_id>/workspace/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(panel_id: int):
    panel = services.get_workspace(current_user, panel_id)
    require(current_user, Permission.PANELWORK_FACILITATE, panel)
    form = _session_form()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                session = services.schedule_session(current_user, panel, title=form.title.data,
                                                    starts_at=_utc(form.starts_at.data), place=form.place.data,
                                                    agenda=form.agenda.data)
                session_id = session.id
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("The session is scheduled; the members are notified."), "success")
            return redirect(url_for("panelwork.session", panel_id=panel.id, session_id=session_id), 303)
    return render_template("panelwork/session_form.html", panel=panel, form=form, session=None), \
        400 if request.method == "POST" else 200


@bp.route("/<int:panel_id>/workspace/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(panel_id: int, session_id: int):
    panel = services.get_workspace(current_user, panel_id)
    require(current_user, Permission.PANELWORK_FACILITATE, panel)
    session = services.get_session(panel, session_id)
    form = _session_form(session)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_session(current_user, session, title=form.title.data,
                                        starts_at=_utc(form.starts_at.data), place=form.place.data,
                                        agenda=form.agenda.data)
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("The session is updated."), "success")
            return redirect(url_for("panelwork.session", panel_id=panel.id, session_id=session_id), 303)
    return render_template("panelwork/session_form.html", panel=panel, form=form, session=session), \
        400 if request.method == "POST" else 200


@bp.get("/<int:panel_id>/workspace/sessions/<int:session_id>")
@login_required
def session(panel_id: int, session_id: int):
    panel = services.get_workspace(current_user, panel_id)
    item = services.get_session(panel, session_id)
    return render_template("panelwork/session.html", panel=panel, session=item,
                           facilitate=can(current_user, Permission.PANELWORK_FACILITATE, panel),
                           started=services._aware(item.starts_at) <= utcnow())


@bp.route("/<int:panel_id>/workspace/sessions/<int:session_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(panel_id: int, session_id: int):
    """Facilitators publish (or correct) the minutes and, optionally, who attended."""
    panel = services.get_workspace(current_user, panel_id)
    require(current_user, Permission.PANELWORK_FACILITATE, panel)
    item = services.get_session(panel, session_id)
    form = MinutesForm(data={"minutes": item.minutes or ""} if request.method == "GET" else None)
    present = {a.member_id for a in item.attendees}
    if request.method == "POST":
        present = {int(v) for v in request.form.getlist("attendees") if v.isdigit()}
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.publish_minutes(current_user, item, minutes=form.minutes.data, attendee_ids=present)
        except InvalidInput as error:
            _form_error(form, error)
        except PhaseClosed as exc:
            return _back(url_for("panelwork.session", panel_id=panel.id, session_id=session_id), exc)
        else:
            flash(_("The minutes are published."), "success")
            return redirect(url_for("panelwork.session", panel_id=panel.id, session_id=session_id), 303)
    return render_template("panelwork/minutes_form.html", panel=panel, session=item, form=form,
                           members=services.list_members(panel), present=present), \
        400 if request.method == "POST" else 200


# --- goals --------------------------------------------------------------------------------------

@bp.route("/<int:panel_id>/workspace/goals/new", methods=["GET", "POST"])
@login_required
def new_goal(panel_id: int):
    panel = services.get_workspace(current_user, panel_id)
    require(current_user, Permission.PANELWORK_CONTRIBUTE, panel)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                goal = services.draft_goal(current_user, panel, title=form.title.data, text=form.text.data,
                                           theme=form.theme.data)
                goal_id = goal.id
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("Your draft goal is saved. Other members can now propose amendments."), "success")
            return redirect(url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id), 303)
    return render_template("panelwork/goal_form.html", panel=panel, form=form, goal=None), \
        400 if request.method == "POST" else 200


@bp.route("/<int:panel_id>/workspace/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_goal(panel_id: int, goal_id: int):
    panel = services.get_workspace(current_user, panel_id)
    goal = services.get_goal(panel, goal_id)
    form = GoalForm(obj=goal) if request.method == "GET" else GoalForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.edit_goal(current_user, goal, title=form.title.data, text=form.text.data,
                                   theme=form.theme.data)
        except InvalidInput as error:
            _form_error(form, error)
        except PhaseClosed as exc:
            return _back(url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id), exc)
        else:
            flash(_("The goal is updated; the earlier wording is kept in its history."), "success")
            return redirect(url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id), 303)
    return render_template("panelwork/goal_form.html", panel=panel, form=form, goal=goal), \
        400 if request.method == "POST" else 200


def _goal_page(panel, goal, *, amendment_form=None, ballot_form=None, status=200):
    vote = services.open_vote(goal)
    mine = services.ballot_of(current_user, vote) if vote else None
    if ballot_form is None:
        ballot_form = BallotForm(data={"choice": mine.choice} if mine else None)
    return render_template(
        "panelwork/goal.html", panel=panel, goal=goal, vote=vote, my_ballot=mine,
        live=services.live_count(vote) if vote else None, amendment_form=amendment_form or AmendmentForm(),
        ballot_form=ballot_form, action_form=ActionForm(),
        contribute=can(current_user, Permission.PANELWORK_CONTRIBUTE, panel),
        facilitate=can(current_user, Permission.PANELWORK_FACILITATE, panel),
        can_decide=lambda a: can(current_user, Permission.PANELWORK_AMENDMENT_DECIDE, a),
        pending=services.pending_amendments(goal), eligible=len(services.voting_members(panel)),
        responses=services.responses(goal) if goal.status == "adopted" else None), status


@bp.get("/<int:panel_id>/workspace/goals/<int:goal_id>")
@login_required
def goal(panel_id: int, goal_id: int):
    """A goal in the workspace: its text, history, amendments and the adoption vote."""
    panel = services.get_workspace(current_user, panel_id)
    return _goal_page(panel, services.get_goal(panel, goal_id))


@bp.post("/<int:panel_id>/workspace/goals/<int:goal_id>/amendments")
@login_required
def propose_amendment(panel_id: int, goal_id: int):
    panel = services.get_workspace(current_user, panel_id)
    goal = services.get_goal(panel, goal_id)
    form = AmendmentForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.propose_amendment(current_user, goal, text=form.text.data, reason=form.reason.data)
        except InvalidInput as error:
            _form_error(form, error)
        except PhaseClosed as exc:
            return _back(url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id), exc)
        else:
            flash(_("Your amendment is proposed. The goal's author or a facilitator will decide on it."), "success")
            return redirect(url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id), 303)
    return _goal_page(panel, goal, amendment_form=form, status=400)


@bp.post("/<int:panel_id>/workspace/goals/<int:goal_id>/amendments/<int:amendment_id>/accept",
         defaults={"decision": "accept"})
@bp.post("/<int:panel_id>/workspace/goals/<int:goal_id>/amendments/<int:amendment_id>/reject",
         defaults={"decision": "reject"})
@login_required
def decide_amendment(panel_id: int, goal_id: int, amendment_id: int, decision: str):
    panel = services.get_workspace(current_user, panel_id)
    goal = services.get_goal(panel, goal_id)
    amendment = services.get_amendment(goal, amendment_id)
    back = url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id)
    if not ActionForm().validate_on_submit():
        return _back(back, InvalidInput(_("The form expired. Please try again.")))
    try:
        with unit_of_work():
            services.decide_amendment(current_user, amendment, accept=decision == "accept")
    except PhaseClosed as exc:
        return _back(back, exc)
    flash(_("The amendment is accepted: the goal's text is updated.") if decision == "accept"
          else _("The amendment is rejected."), "success")
    return redirect(back, 303)


@bp.post("/<int:panel_id>/workspace/votes/open")
@login_required
def open_votes(panel_id: int):
    """Facilitators open the adoption vote on the goals ticked (one or a batch)."""
    panel = services.get_workspace(current_user, panel_id)
    back = url_for("panelwork.workspace", panel_id=panel.id)
    if not ActionForm().validate_on_submit():
        return _back(back, InvalidInput(_("The form expired. Please try again.")))
    ids = [int(v) for v in request.form.getlist("goal_ids") if v.isdigit()]
    try:
        with unit_of_work():
            goals = [services.get_goal(panel, i) for i in ids]
            opened = services.open_adoption_votes(current_user, panel, goals)
            count = len(opened)
    except (InvalidInput, Conflict) as exc:
        return _back(back, exc)
    flash(_("Adoption vote opened on %(n)d goal(s); the members are notified.", n=count), "success")
    return redirect(back, 303)


@bp.post("/<int:panel_id>/workspace/goals/<int:goal_id>/ballot")
@login_required
def cast_ballot(panel_id: int, goal_id: int):
    panel = services.get_workspace(current_user, panel_id)
    goal = services.get_goal(panel, goal_id)
    vote = services.open_vote(goal)
    back = url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id)
    if vote is None:
        return _back(back, PhaseClosed(_("There is no open vote on this goal.")))
    form = BallotForm()
    if not form.validate_on_submit():
        return _goal_page(panel, goal, ballot_form=form, status=400)
    try:
        with unit_of_work():
            services.cast_ballot(current_user, vote, form.choice.data)
    except (InvalidInput, PhaseClosed) as exc:
        return _back(back, exc)
    flash(_("Your vote is recorded: %(choice)s. You can change it until the vote closes.",
            choice=CHOICES[form.choice.data]), "success")
    return redirect(back, 303)


@bp.post("/<int:panel_id>/workspace/goals/<int:goal_id>/votes/<int:vote_id>/close")
@login_required
def close_vote(panel_id: int, goal_id: int, vote_id: int):
    panel = services.get_workspace(current_user, panel_id)
    goal = services.get_goal(panel, goal_id)
    vote = services.get_vote(goal, vote_id)
    back = url_for("panelwork.goal", panel_id=panel.id, goal_id=goal_id)
    if not ActionForm().validate_on_submit():
        return _back(back, InvalidInput(_("The form expired. Please try again.")))
    try:
        with unit_of_work():
            services.close_adoption_vote(current_user, vote)
            adopted, number = vote.adopted, goal.number
    except PhaseClosed as exc:
        return _back(back, exc)
    if adopted:
        flash(_("The goal is adopted as goal %(n)d and published on the panel's page.", n=number), "success")
    else:
        flash(_("The goal is not adopted; it is a draft again."), "info")
    return redirect(back, 303)


# --- public: the adopted goals ------------------------------------------------------------------

@bp.get("/<int:panel_id>/goals")
def public_goals(panel_id: int):
    """The goals the panel adopted, numbered, with the date and the vote count."""
    panel = services.get_panel(panel_id)
    goals = services.adopted_goals(panel)
    return render_template("panelwork/public_goals.html", panel=panel, goals=goals,
                           votes={g.id: services.adopting_vote(g) for g in goals},
                           workspace=can(current_user, Permission.PANELWORK_VIEW, panel))


@bp.get("/<int:panel_id>/goals/<int:number>")
def public_goal(panel_id: int, number: int):
    panel = services.get_panel(panel_id)
    goal = services.get_adopted_goal(panel, number)
    return render_template("panelwork/public_goal.html", panel=panel, goal=goal, vote=services.adopting_vote(goal),
                           responses=services.responses(goal))
