"""Commitment pages: city dashboard, goal pages, commitments, organisations, feeds and exports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from agora.census.services import list_districts
from agora.commitments import charts, exports, services
from agora.commitments.forms import (
    CommentForm,
    CommitmentForm,
    GoalForm,
    MeasurementForm,
    MemberForm,
    OrganisationForm,
    UpdateForm,
    WithdrawForm,
    WordingForm,
)
from agora.commitments.models import COMMITMENT_KINDS, ORGANISATION_KINDS, STATUSES, Commitment, Goal
from agora.commitments.progress import progress_series
from agora.db import unit_of_work
from agora.errors import Conflict, InvalidInput
from agora.extensions import limiter
from agora.notifications import services as notifications
from agora.panelwork.services import goal_choices as panel_goal_choices
from agora.permissions import Permission, can, require
from agora.text import render_markdown
from agora.web import form_error as _form_error

bp = Blueprint("commitments", __name__, url_prefix="/commitments")

_post_limit = limiter.limit(lambda: current_app.config["RATELIMIT_COMMITMENTS"], methods=["POST"])
ACTOR_GROUP_LABELS = {"resident": None, **ORGANISATION_KINDS}


@bp.app_context_processor
def _helpers():
    return {
        "commitment_kind_label": lambda kind: COMMITMENT_KINDS[kind],
        "commitment_status_label": lambda status: STATUSES[status],
        "commitment_status": services.current_status,
        "commitment_actor": lambda c: services.actor_label(c, current_user),
        "commitment_progress": services.commitment_progress,
        "format_value": _format_value,
        "format_date": format_date,
        "render_markdown": render_markdown,
    }


def _format_value(value: float | None) -> str:
    return "" if value is None else format_decimal(value, format="#,##0.##")




# --- dashboard and goals -------------------------------------------------------------------------

@bp.route("/")
def index():
    """City dashboard: every goal with its indicator's progress and its commitments."""
    goals = services.list_goals()
    rows = [(goal, services.goal_progress(goal), services.count_commitments(goal)) for goal in goals]
    return render_template("commitments/index.html", rows=rows)


@bp.route("/goals/new", methods=["GET", "POST"])
@login_required
def new_goal():
    require(current_user, Permission.COMMITMENTS_GOAL_MANAGE)
    form = GoalForm()
    form.district_id.choices = [SelectChoice("", _("City-wide")),
                                *(SelectChoice(str(d.id), d.name) for d in list_districts())]
    form.source_panel_goal_id.choices = [SelectChoice("", _("No panel goal")),
                                         *(SelectChoice(str(i), label) for i, label in panel_goal_choices())]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                goal = services.create_goal(
                    current_user, title=form.title.data, description=form.description.data,
                    district_id=int(form.district_id.data) if form.district_id.data else None,
                    indicator_name=form.indicator_name.data, unit=form.unit.data, baseline=form.baseline.data,
                    target=form.target.data, deadline=form.deadline.data,
                    source_panel_goal_id=int(form.source_panel_goal_id.data) if form.source_panel_goal_id.data
                    else None)
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("The goal is published."), "success")
            return redirect(url_for("commitments.goal", goal_id=goal.id))
    return render_template("commitments/goal_form.html", form=form), 400 if form.errors else 200


def _goal_charts(goal: Goal, commitments: list[Commitment]):
    """The indicator chart and the result commitments' chart, with the numbers behind them."""
    dates = [m.measured_on for m in goal.measurements] + [goal.created_at.date(), goal.deadline]
    results = [c for c in commitments if c.is_result and c.status != "withdrawn"]
    for c in results:
        dates += [u.happened_on for u in c.updates if u.value is not None] + [c.deadline]
    start, end = min(dates), max(dates)
    values = [goal.baseline, goal.target, *(m.value for m in goal.measurements)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 1
    low = 0 if low >= 0 and low - pad < 0 else low - pad
    deadline_label = _("Deadline %(date)s", date=format_date(goal.deadline))
    indicator = charts.Chart(
        chart_id=f"goal-{goal.id}-indicator",
        title=_("%(indicator)s, in %(unit)s", indicator=goal.indicator_name, unit=goal.unit),
        description=_("Measured values of the indicator from the baseline %(baseline)s towards the target "
                      "%(target)s by %(deadline)s. The numbers are in the table below the chart.",
                      baseline=_format_value(goal.baseline), target=_format_value(goal.target),
                      deadline=format_date(goal.deadline)),
        series=[charts.Series(goal.indicator_name, [(m.measured_on, m.value) for m in goal.measurements])],
        start=start, end=end, y_min=low, y_max=high + pad,
        rules=[charts.Rule(goal.baseline, _("Baseline %(v)s", v=_format_value(goal.baseline))),
               charts.Rule(goal.target, _("Target %(v)s", v=_format_value(goal.target)))],
        marker=(goal.deadline, deadline_label))
    series = []
    for c in results:
        points = progress_series([(u.happened_on, u.value) for u in c.updates if u.value is not None],
                                 target=c.target_value, start=c.baseline_value)
        series.append(charts.Series(c.title, [(d, f * 100) for d, f in points]))
    result_chart = None
    if results:
        result_chart = charts.Chart(
            chart_id=f"goal-{goal.id}-results",
            title=_("Result commitments: share of the way to their targets"),
            description=_("Each line is one result commitment, in percent of the way from its starting value "
                          "to its target. The numbers are in the table below the chart."),
            series=series, start=start, end=end, y_min=0, y_max=100,
            rules=[charts.Rule(100, _("Target reached"))], marker=(goal.deadline, deadline_label))
    render = lambda chart: charts.render_svg(chart, format_date=format_date, format_number=_format_value)  # noqa: E731
    return render(indicator), (render(result_chart) if result_chart else None), results


def _edit_wording(obj, edit, *, heading: str, back: str, note: str):
    """The page that rewords a goal's or a commitment's title and description with ``edit``."""
    form = WordingForm(obj=obj)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                edit(current_user, obj, title=form.title.data, description=form.description.data)
        except (Conflict, InvalidInput) as error:
            _form_error(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(back)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("commitments/wording_form.html", form=form, heading=heading, back=back,
                           note=note), status


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_goal(goal_id: int):
    goal = services.get_goal(goal_id)
    require(current_user, Permission.COMMITMENTS_GOAL_MANAGE)
    return _edit_wording(goal, services.edit_goal, heading=_("Edit the goal"),
                         back=url_for("commitments.goal", goal_id=goal.id),
                         note=_("The indicator, baseline, target and deadline stay as they are: commitments and "
                                "measurements refer to them."))


@bp.route("/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
@_post_limit
def edit_commitment(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    require(current_user, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    if commitment.status == "withdrawn":
        flash(_("This commitment was withdrawn: it can no longer be edited."), "info")
        return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    return _edit_wording(commitment, services.edit_commitment, heading=_("Edit the commitment"),
                         back=url_for("commitments.commitment", commitment_id=commitment.id),
                         note=_("What you promised (the kind, the target and the deadline) cannot change after the "
                                "fact: to promise something else, withdraw this commitment and make a new one."))


@bp.route("/goals/<int:goal_id>")
def goal(goal_id: int):
    """A goal: its indicator and progress chart, commitments by kind and actor, and the timeline."""
    goal = services.get_goal(goal_id)
    commitments = services.visible_commitments(current_user, goal)
    indicator_svg, results_svg, results = _goal_charts(goal, commitments)
    return render_template(
        "commitments/goal.html", goal=goal, progress=services.goal_progress(goal),
        groups=services.group_commitments(commitments), commitments=commitments,
        actor_groups=ACTOR_GROUP_LABELS, indicator_svg=indicator_svg, results_svg=results_svg, results=results,
        timeline=services.timeline(current_user, goal), measurement_form=MeasurementForm(formdata=None),
        following=notifications.is_following(current_user, services.GOAL, goal.id), follow_form=FlaskForm())


@bp.post("/goals/<int:goal_id>/measurements")
@login_required
def record_measurement(goal_id: int):
    goal = services.get_goal(goal_id)
    require(current_user, Permission.COMMITMENTS_INDICATOR_RECORD)
    form = MeasurementForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.record_measurement(current_user, goal, measured_on=form.measured_on.data,
                                            value=form.value.data, note=form.note.data or "")
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash(_("The value is recorded."), "success")
    else:
        flash(_("Enter a date and a number to record a value."), "error")
    return redirect(url_for("commitments.goal", goal_id=goal.id) + "#indicator")


@bp.post("/goals/<int:goal_id>/follow")
@login_required
def follow_goal(goal_id: int):
    goal = services.get_goal(goal_id)
    if FlaskForm().validate_on_submit():
        _toggle_follow(services.GOAL, goal.id)
    return redirect(url_for("commitments.goal", goal_id=goal.id))


def _toggle_follow(target_type: str, target_id: int) -> None:
    with unit_of_work():
        if notifications.is_following(current_user, target_type, target_id):
            notifications.unfollow(current_user, target_type, target_id)
            message = _("You no longer follow this.")
        else:
            services.follow(current_user, target_type, target_id)
            message = _("You follow this now: we will notify you of progress.")
    flash(message, "success")


# --- commitments ---------------------------------------------------------------------------------

@bp.route("/goals/<int:goal_id>/commit", methods=["GET", "POST"])
@login_required
@_post_limit
def new_commitment(goal_id: int):
    goal = services.get_goal(goal_id)
    organisations = services.organisations_of(current_user)
    if not can(current_user, Permission.PARTICIPATE) and not organisations:
        flash(_("Verify your residency, or join a confirmed organisation, to make a commitment."), "info")
        return redirect(url_for("commitments.goal", goal_id=goal.id))
    form = CommitmentForm()
    form.actor.choices = ([SelectChoice("self", _("Myself"))] if can(current_user, Permission.PARTICIPATE) else []) + [
        SelectChoice(str(o.id), o.name) for o in organisations]
    if form.validate_on_submit():
        organisation = None
        if form.actor.data != "self":
            organisation = next(o for o in organisations if str(o.id) == form.actor.data)
        try:
            with unit_of_work():
                commitment = services.make_commitment(
                    current_user, goal, kind=form.kind.data, title=form.title.data,
                    description=form.description.data, organisation=organisation,
                    baseline_value=form.baseline_value.data, target_value=form.target_value.data,
                    target_unit=form.target_unit.data, deadline=form.deadline.data,
                    visibility=form.visibility.data)
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("Your commitment is published. Thank you!"), "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("commitments/commitment_form.html", form=form, goal=goal), status


def _commitment_page(commitment: Commitment, *, update_form=None, withdraw_form=None, comment_form=None,
                     status: int = 200):
    update_form = update_form or UpdateForm(formdata=None, happened_on=date.today())
    return render_template(
        "commitments/commitment.html", commitment=commitment, goal=commitment.goal,
        progress=services.commitment_progress(commitment), status=services.current_status(commitment),
        may_update=can(current_user, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment),
        update_form=update_form, withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        comment_form=comment_form or CommentForm(formdata=None), bare_form=FlaskForm(),
        endorsed=any(e.user_id == getattr(current_user, "id", None) for e in commitment.endorsements),
        following=notifications.is_following(current_user, services.COMMITMENT, commitment.id),
    ), status


@bp.route("/<int:commitment_id>")
def commitment(commitment_id: int):
    return _commitment_page(services.get_commitment(current_user, commitment_id))


@bp.post("/<int:commitment_id>/updates")
@login_required
@_post_limit
def post_update(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    require(current_user, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    form = UpdateForm()
    if form.validate_on_submit():
        photo = None
        if form.photo.data and getattr(form.photo.data, "filename", ""):
            limit = current_app.config["COMMITMENTS_PHOTO_MAX_BYTES"]
            photo = form.photo.data.read(limit + 1)  # one byte more tells a too-large file
        try:
            with unit_of_work():
                services.post_update(current_user, commitment, happened_on=form.happened_on.data,
                                     text=form.text.data, value=form.value.data, photo=photo,
                                     photo_alt=form.photo_alt.data or "")
        except (InvalidInput, Conflict) as error:
            _form_error(form, error)
        else:
            flash(_("Your update is posted."), "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id) + "#updates")
    return _commitment_page(commitment, update_form=form, status=400)


@bp.post("/<int:commitment_id>/fulfil")
@login_required
def fulfil(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    if FlaskForm().validate_on_submit():
        try:
            with unit_of_work():
                services.mark_fulfilled(current_user, commitment)
        except (InvalidInput, Conflict) as error:
            flash(error.message, "error")
        else:
            flash(_("Congratulations: the commitment is marked as fulfilled."), "success")
    return redirect(url_for("commitments.commitment", commitment_id=commitment.id))


@bp.post("/<int:commitment_id>/withdraw")
@login_required
def withdraw(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    require(current_user, Permission.COMMITMENTS_COMMITMENT_UPDATE, commitment)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.withdraw(current_user, commitment, reason=form.reason.data)
        except (InvalidInput, Conflict) as error:
            _form_error(form, error)
        else:
            flash(_("The commitment is withdrawn. It stays visible with your reason."), "info")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id))
    return _commitment_page(commitment, withdraw_form=form, status=400)


@bp.post("/<int:commitment_id>/comments")
@login_required
def comment(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    require(current_user, Permission.COMMITMENTS_COMMITMENT_COMMENT)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.comment(current_user, commitment, body=form.body.data)
        except InvalidInput as error:
            _form_error(form, error)
        else:
            flash(_("Your comment is posted."), "success")
            return redirect(url_for("commitments.commitment", commitment_id=commitment.id) + "#comments")
    return _commitment_page(commitment, comment_form=form, status=400)


@bp.post("/<int:commitment_id>/endorse")
@login_required
def endorse(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    if FlaskForm().validate_on_submit():
        try:
            with unit_of_work():
                if request.form.get("action") == "withdraw":
                    services.withdraw_endorsement(current_user, commitment)
                    message = _("Your endorsement is withdrawn.")
                else:
                    services.endorse(current_user, commitment)
                    message = _("You endorse this commitment on behalf of the city.")
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(message, "success")
    return redirect(url_for("commitments.commitment", commitment_id=commitment.id))


@bp.post("/<int:commitment_id>/follow")
@login_required
def follow_commitment(commitment_id: int):
    commitment = services.get_commitment(current_user, commitment_id)
    if FlaskForm().validate_on_submit():
        _toggle_follow(services.COMMITMENT, commitment.id)
    return redirect(url_for("commitments.commitment", commitment_id=commitment.id))


@bp.route("/updates/<int:update_id>/photo")
def photo(update_id: int):
    update = services.get_update(current_user, update_id)
    if update.photo is None:
        abort(404)
    response = Response(update.photo, mimetype=update.photo_type)
    response.headers["Content-Disposition"] = f'inline; filename="update-{update.id}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=86400" if update.commitment.visibility != "residents" \
        else "private, max-age=3600"
    return response


# --- organisations -------------------------------------------------------------------------------

@bp.route("/organisations/")
def organisations():
    return render_template("commitments/organisations.html",
                           organisations=services.list_organisations(current_user))


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
@_post_limit
def new_organisation():
    if not (can(current_user, Permission.PARTICIPATE)
            or can(current_user, Permission.COMMITMENTS_ORGANISATION_MANAGE)):
        flash(_("Verify your residency to register an organisation."), "info")
        return redirect(url_for("commitments.organisations"))
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                org = services.register_organisation(current_user, name=form.name.data, kind=form.kind.data,
                                                     description=form.description.data)
        except (InvalidInput, Conflict) as error:
            _form_error(form, error)
        else:
            if org.is_confirmed:
                flash(_("The organisation is registered and confirmed."), "success")
            else:
                flash(_("Thank you. An administrator will confirm the organisation; we will notify you."), "info")
            return redirect(url_for("commitments.organisation", organisation_id=org.id))
    return render_template("commitments/organisation_form.html", form=form), 400 if form.errors else 200


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    org = services.get_organisation(current_user, organisation_id)
    return render_template(
        "commitments/organisation.html", org=org,
        commitments=services.visible_commitments(current_user, organisation=org),
        manager=can(current_user, Permission.COMMITMENTS_ORGANISATION_MANAGE),
        member_form=MemberForm(formdata=None), bare_form=FlaskForm())


@bp.post("/organisations/<int:organisation_id>/confirm")
@login_required
def confirm_organisation(organisation_id: int):
    org = services.get_organisation(current_user, organisation_id)
    if FlaskForm().validate_on_submit():
        try:
            with unit_of_work():
                services.confirm_organisation(current_user, org)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(_("The organisation is confirmed."), "success")
    return redirect(url_for("commitments.organisation", organisation_id=org.id))


@bp.post("/organisations/<int:organisation_id>/members")
@login_required
def add_member(organisation_id: int):
    org = services.get_organisation(current_user, organisation_id)
    require(current_user, Permission.COMMITMENTS_ORGANISATION_MANAGE)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.add_member(current_user, org, form.email.data)
        except (InvalidInput, Conflict) as error:
            flash(error.message, "error")
        else:
            flash(_("The member is added."), "success")
    return redirect(url_for("commitments.organisation", organisation_id=org.id) + "#members")


@bp.post("/organisations/<int:organisation_id>/members/<int:user_id>/remove")
@login_required
def remove_member(organisation_id: int, user_id: int):
    org = services.get_organisation(current_user, organisation_id)
    if FlaskForm().validate_on_submit():
        with unit_of_work():
            services.remove_member(current_user, org, user_id)
        flash(_("The member is removed."), "success")
    return redirect(url_for("commitments.organisation", organisation_id=org.id) + "#members")


# --- open data -----------------------------------------------------------------------------------

@bp.route("/feed.atom")
@bp.route("/goals/<int:goal_id>/feed.atom")
def feed(goal_id: int | None = None):
    """Atom feed of the latest progress updates on public commitments, of one goal or of all."""
    goal = services.get_goal(goal_id) if goal_id is not None else None
    updates = services.recent_updates(goal)
    self_url = url_for("commitments.feed", goal_id=goal_id, _external=True)
    site_url = url_for("commitments.goal", goal_id=goal_id, _external=True) if goal else \
        url_for("commitments.index", _external=True)
    entries = [{
        "id": url_for("commitments.commitment", commitment_id=u.commitment_id, _external=True) + f"#update-{u.id}",
        "title": _("%(who)s: %(title)s", who=services.actor_label(u.commitment), title=u.commitment.title),
        "link": url_for("commitments.commitment", commitment_id=u.commitment_id, _external=True),
        "updated": u.created_at,
        "author": services.actor_label(u.commitment),
        "summary": " ".join(filter(None, [
            format_date(u.happened_on),
            f"{_format_value(u.value)} {u.commitment.target_unit or ''}".strip() if u.value is not None else "",
            u.text])),
    } for u in updates]
    title = _("Civic commitments: progress") if goal is None else _("Progress towards “%(title)s”", title=goal.title)
    body = exports.atom_feed(feed_id=self_url, title=title, self_url=self_url, site_url=site_url,
                             updated=updates[0].created_at if updates else None, entries=entries)
    return Response(body, mimetype="application/atom+xml")


EXPORTS = {
    "goals": (exports.GOAL_FIELDS, lambda: exports.goal_rows(services.list_goals())),
    "commitments": (exports.COMMITMENT_FIELDS,
                    lambda: exports.commitment_rows(services.visible_commitments(None, public_only=True))),
    "updates": (exports.UPDATE_FIELDS, lambda: exports.update_rows(
        u for c in services.visible_commitments(None, public_only=True) for u in c.updates)),
}


@bp.route("/export/<name>.<fmt>")
def export(name: str, fmt: str):
    """Open data: goals, commitments or updates as CSV or JSON (public commitments only)."""
    if name not in EXPORTS or fmt not in ("csv", "json"):
        abort(404)
    fields, rows = EXPORTS[name]
    data = rows()
    if fmt == "csv":
        response = Response(exports.to_csv(data, fields), mimetype="text/csv")
    else:
        response = Response(exports.to_json(data), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
