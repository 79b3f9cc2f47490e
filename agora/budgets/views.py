"""Budget pages: processes, projects, valuation, supports, the ballot, results and exports."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from agora.budgets import services
from agora.budgets.charts import votes_chart
from agora.budgets.forms import (
    ActionForm,
    DeleteMilestoneForm,
    MilestoneForm,
    PhaseForm,
    ProcessForm,
    ProjectForm,
    ProjectImageForm,
    ReceiptForm,
    ValuationForm,
)
from agora.budgets.models import PHASES
from agora.census.services import list_districts
from agora.db import unit_of_work
from agora.errors import Conflict, InvalidInput, PhaseClosed
from agora.extensions import limiter
from agora.panelwork.services import goal_choices as panel_goal_choices
from agora.permissions import Permission, can, require
from agora.text import render_markdown
from agora.web import download as _download
from agora.web import form_error as _field_error

bp = Blueprint("budgets", __name__, url_prefix="/budgets")


def _post_limit():
    return current_app.config["RATELIMIT_BUDGETS"]


@bp.context_processor
def _budget_labels():
    return {"phase_labels": services.PHASE_LABELS, "rules": services.RULES, "ballot_types": services.BALLOT_TYPES,
            "feasibility_labels": services.FEASIBILITY, "money": services.money, "phases": PHASES,
            "milestone_labels": services.MILESTONE_STATUSES, "execution_labels": services.EXECUTION_STATUSES}




@bp.get("/")
def index():
    """Every budget, with its phase."""
    return render_template("budgets/index.html", processes=services.list_processes())


# --- administration -----------------------------------------------------------------------------

def _district_amounts() -> tuple[dict[int, int], list[tuple[object, str]]]:
    amounts, rows = {}, []
    for district in list_districts():
        raw = (request.form.get(f"district-{district.id}") or "").strip()
        rows.append((district, raw))
        if raw:
            if not raw.isdigit():
                raise InvalidInput(_("Give %(district)s's amount in whole euros.", district=district.name),
                                   field="district_amounts")
            amounts[district.id] = int(raw)
    return amounts, rows


def _process_form(process=None):
    form = ProcessForm(obj=process) if process is not None and request.method == "GET" else ProcessForm()
    districts = [(d, "") for d in list_districts()]
    if process is not None:
        amounts = {h.district_id: h.amount for h in process.headings}
        districts = [(d, str(amounts.get(d.id, ""))) for d, _raw in districts]
        if request.method == "GET":
            city = next(h for h in process.headings if h.district_id is None)
            form.city_amount.data, form.city_name.data = city.amount, city.name
            from datetime import date

            for phase in PHASES:
                value = (process.schedule or {}).get(phase)
                getattr(form, f"date_{phase}").data = date.fromisoformat(value) if value else None
    return form, districts


def _save_process(form, process=None):
    if not form.validate_on_submit():
        return None, None
    try:
        amounts, rows = _district_amounts()
        rules = services.ProcessRules(
            title=form.title.data or "", description=form.description.data or "", city_name=form.city_name.data or "",
            city_amount=form.city_amount.data, district_amounts=amounts, rule=form.rule.data,
            ballot_type=form.ballot_type.data, min_projects=form.min_projects.data or 0,
            max_projects=form.max_projects.data, ballot_size=form.ballot_size.data,
            total_points=form.total_points.data, max_points=form.max_points.data,
            schedule={p: getattr(form, f"date_{p}").data for p in PHASES})
        with unit_of_work():
            saved = services.create_process(current_user, rules) if process is None \
                else services.update_process(current_user, process, rules)
            return saved.id, rows
    except InvalidInput as error:
        _field_error(form, error)
        return None, None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Administrators create a budget with its headings, calendar and rules."""
    require(current_user, Permission.BUDGETS_MANAGE)
    form, districts = _process_form()
    if request.method == "POST":
        districts = [(d, request.form.get(f"district-{d.id}", "")) for d, _raw in districts]
    saved_id, _rows = _save_process(form)
    if saved_id is not None:
        flash(_("The budget is saved. Its rules are published and lock when balloting starts."), "success")
        return redirect(url_for("budgets.show", process_id=saved_id))
    return render_template("budgets/form.html", form=form, process=None, districts=districts), \
        400 if request.method == "POST" else 200


@bp.route("/<int:process_id>/edit", methods=["GET", "POST"])
@login_required
def edit(process_id: int):
    """Change a budget's rules; refused once balloting has started."""
    require(current_user, Permission.BUDGETS_MANAGE)
    process = services.get_process(process_id)
    if services.rules_locked(process):
        raise PhaseClosed(_("Balloting has started: the rules of this budget are locked."))
    form, districts = _process_form(process)
    if request.method == "POST":
        districts = [(d, request.form.get(f"district-{d.id}", "")) for d, _raw in districts]
    saved_id, _rows = _save_process(form, process)
    if saved_id is not None:
        flash(_("The budget is updated."), "success")
        return redirect(url_for("budgets.show", process_id=saved_id))
    return render_template("budgets/form.html", form=form, process=process, districts=districts), \
        400 if request.method == "POST" else 200


@bp.post("/<int:process_id>/phase")
@login_required
def phase(process_id: int):
    """Move the budget to another phase."""
    form = PhaseForm()
    if not form.validate_on_submit():
        flash(_("Choose a phase from the list."), "error")
        return redirect(url_for("budgets.show", process_id=process_id))
    try:
        with unit_of_work():
            process = services.set_phase(current_user, services.get_process(process_id), form.phase.data)
            label = services.PHASE_LABELS[process.phase]
    except (PhaseClosed, InvalidInput) as error:
        flash(error.message, "error")
    else:
        flash(_("The budget is now in the phase: %(phase)s.", phase=label), "success")
    return redirect(url_for("budgets.show", process_id=process_id))


@bp.post("/<int:process_id>/close")
@login_required
def close(process_id: int):
    """Close balloting: count every heading with the announced rule and publish the results."""
    with unit_of_work():
        services.close_balloting(current_user, services.get_process(process_id))
    flash(_("Balloting is closed. The results are published."), "success")
    return redirect(url_for("budgets.results", process_id=process_id))


# --- process and projects -------------------------------------------------------------------------

@bp.get("/<int:process_id>")
def show(process_id: int):
    """The budget: description, calendar, headings, what a resident can do now."""
    process = services.get_process(process_id)
    mine = services.headings_for(current_user, process)
    phase_form = PhaseForm(phase=process.phase)
    return render_template(
        "budgets/show.html", process=process, description=render_markdown(process.description),
        my_headings=mine, voted={h.id: services.has_voted(current_user, h) for h in mine},
        turnout={h.id: services.turnout(h) for h in process.headings},
        manage=can(current_user, Permission.BUDGETS_MANAGE), phase_form=phase_form, action_form=ActionForm(),
        locked=services.rules_locked(process))


@bp.get("/<int:process_id>/projects")
def projects(process_id: int):
    """Projects of a budget, by heading, most supported first."""
    process = services.get_process(process_id)
    heading = None
    if request.args.get("heading", "").isdigit():
        heading = next((h for h in process.headings if h.id == int(request.args["heading"])), None)
    return render_template("budgets/projects.html", process=process, heading=heading,
                           projects=services.list_projects(process, heading),
                           supported=services.supported_ids(current_user, process), action_form=ActionForm(),
                           can_support={h.id for h in services.headings_for(current_user, process)})


def _uploaded_image(form) -> bytes | None:
    """The image file of a project form, read up to one byte over the limit (so too large is seen)."""
    upload = form.image.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return upload.read(current_app.config["BUDGETS_MAX_IMAGE_BYTES"] + 1)
    finally:
        upload.close()  # large uploads are spooled to a temporary file


@bp.route("/<int:process_id>/projects/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_limit, methods=["POST"])
def new_project(process_id: int):
    """A verified resident proposes a project while the budget accepts them."""
    process = services.get_process(process_id)
    require(current_user, Permission.PARTICIPATE)
    if process.phase != "accepting":
        raise PhaseClosed(_("This budget does not accept projects now."))
    form = ProjectForm()
    form.heading_id.choices = [SelectChoice(h.id, f"{h.name} ({services.money(h.amount, process)})")
                               for h in process.headings]
    form.set_panel_goals(panel_goal_choices())
    if form.validate_on_submit():
        image = _uploaded_image(form)
        try:
            with unit_of_work():
                project = services.submit_project(current_user, process, services.ProjectData(
                    title=form.title.data, heading_id=form.heading_id.data, estimated_cost=form.estimated_cost.data,
                    description=form.description.data, location=form.location.data or "", image=image,
                    image_alt=form.image_alt.data or "",
                    panel_goal_id=int(form.panel_goal_id.data) if form.panel_goal_id.data else None))
                project_id = project.id
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("Your project is submitted. Valuators will review its feasibility and price."), "success")
            return redirect(url_for("budgets.project", project_id=project_id))
    return render_template("budgets/project_form.html", process=process, form=form), \
        400 if request.method == "POST" else 200


def _project_page(item, *, form=None, milestone_form=None, image_form=None, status=200):
    process = item.heading.process
    if form is None:
        form = ValuationForm(obj=item)
        form.explanation.data = form.explanation.data or item.feasibility_explanation
    funded = services.results_published(process) and services.is_funded(item)
    tracking = funded and process.phase == "finished"
    manage_milestones = tracking and can(current_user, Permission.BUDGETS_MILESTONE_MANAGE)
    if manage_milestones and milestone_form is None:
        milestone_form = MilestoneForm(formdata=None)
    return render_template("budgets/project.html", project=item, process=process,
                           description=render_markdown(item.description), form=form, action_form=ActionForm(),
                           supported=item.id in services.supported_ids(current_user, process),
                           may_support=item.heading in services.headings_for(current_user, process),
                           valuator=can(current_user, Permission.BUDGETS_PROJECT_VALUATE), funded=funded,
                           execution=services.execution(item) if funded else None,
                           milestone_form=milestone_form if manage_milestones else None,
                           image_form=(image_form or ProjectImageForm(formdata=None))
                           if services.may_set_image(current_user, item) else None,
                           following=services.is_following(current_user, item)), status


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """One project: description, cost, valuation, supports; once funded, its progress and milestones."""
    return _project_page(services.get_project(project_id))


@bp.get("/projects/<int:project_id>/image")
def project_image(project_id: int):
    """The project's image, with the type recognised from its content when it was uploaded."""
    item = services.get_project(project_id)
    if item.image is None:
        abort(404)
    response = Response(item.image, mimetype=item.image_type)
    response.headers["Content-Disposition"] = f'inline; filename="project-{item.id}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # The image can be replaced at the same address: browsers ask again, and get "not modified" if it is not.
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(item.image).hexdigest()[:32])
    return response.make_conditional(request)


@bp.post("/projects/<int:project_id>/image")
@login_required
@limiter.limit(_post_limit)
def set_image(project_id: int):
    """The author (while submitted and reviewed) or a clerk adds or replaces the project's image."""
    item = services.get_project(project_id)
    if not services.may_set_image(current_user, item):
        abort(403)
    form = ProjectImageForm()
    if form.validate_on_submit():
        image = _uploaded_image(form)
        try:
            with unit_of_work():
                services.set_project_image(current_user, item, image or b"", form.image_alt.data)
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("The image is saved."), "success")
            return redirect(url_for("budgets.project", project_id=project_id))
    return _project_page(services.get_project(project_id), image_form=form, status=400)


@bp.post("/projects/<int:project_id>/valuate")
@login_required
def valuate(project_id: int):
    """A valuator records feasibility and the official price."""
    item = services.get_project(project_id)
    require(current_user, Permission.BUDGETS_PROJECT_VALUATE)
    form = ValuationForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.valuate_project(current_user, item, feasibility=form.feasibility.data,
                                         explanation=form.explanation.data or "", price=form.price.data)
        except (InvalidInput, PhaseClosed) as error:
            _field_error(form, error)
        else:
            flash(_("The valuation is saved."), "success")
            return redirect(url_for("budgets.project", project_id=project_id))
    return _project_page(item, form=form, status=400)


@bp.post("/projects/<int:project_id>/follow")
@login_required
def follow(project_id: int):
    """Follow a project (or stop) to be notified of its milestones."""
    item = services.get_project(project_id)
    if ActionForm().validate_on_submit():
        stop = bool(request.form.get("stop"))
        with unit_of_work():
            services.follow_project(current_user, item, stop=stop)
        flash(_("You no longer follow this project.") if stop
              else _("You follow this project: you will be notified of its milestones."), "success")
    return redirect(url_for("budgets.project", project_id=project_id))


def _milestone_data(form) -> services.MilestoneData:
    return services.MilestoneData(title=form.title.data or "", status=form.status.data,
                                  percent=form.percent.data if form.percent.data is not None else 0,
                                  due_on=form.due_on.data, description=form.description.data or "")


@bp.post("/projects/<int:project_id>/milestones")
@login_required
def add_milestone(project_id: int):
    """Clerks add a milestone to a funded project of a finished budget."""
    item = services.get_project(project_id)
    require(current_user, Permission.BUDGETS_MILESTONE_MANAGE)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.add_milestone(current_user, item, _milestone_data(form))
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("The milestone is saved; the project's followers are notified."), "success")
            return redirect(url_for("budgets.project", project_id=project_id, _anchor="milestones"))
    return _project_page(item, milestone_form=form, status=400)


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@login_required
def edit_milestone(milestone_id: int):
    """Clerks update a milestone: status, progress, date, text."""
    milestone = services.get_milestone(milestone_id)
    require(current_user, Permission.BUDGETS_MILESTONE_MANAGE)
    form = MilestoneForm(obj=milestone)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_milestone(current_user, milestone, _milestone_data(form))
                project_id = milestone.project_id
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("The milestone is saved; the project's followers are notified."), "success")
            return redirect(url_for("budgets.project", project_id=project_id, _anchor="milestones"))
    return render_template("budgets/milestone_form.html", form=form, milestone=milestone,
                           project=milestone.project, delete_form=DeleteMilestoneForm(formdata=None)), \
        400 if request.method == "POST" else 200


@bp.post("/milestones/<int:milestone_id>/delete")
@login_required
def delete_milestone(milestone_id: int):
    """Clerks remove a milestone recorded by mistake, giving a reason (audited)."""
    milestone = services.get_milestone(milestone_id)
    require(current_user, Permission.BUDGETS_MILESTONE_MANAGE)
    form = DeleteMilestoneForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                project_id = services.delete_milestone(current_user, milestone, reason=form.reason.data).id
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("The milestone is deleted."), "success")
            return redirect(url_for("budgets.project", project_id=project_id, _anchor="milestones"))
    return render_template("budgets/milestone_form.html", form=MilestoneForm(obj=milestone), milestone=milestone,
                           project=milestone.project, delete_form=form), 400


@bp.get("/<int:process_id>/execution")
def execution(process_id: int):
    """The funded projects of a budget by execution status, with their progress."""
    process = services.get_process(process_id)
    return render_template("budgets/execution.html", process=process,
                           groups=services.execution_overview(process))


@bp.post("/projects/<int:project_id>/support")
@login_required
@limiter.limit(_post_limit, methods=["POST"])
def support(project_id: int):
    """Support a project while selecting."""
    item = services.get_project(project_id)
    try:
        with unit_of_work():
            services.support_project(current_user, item)
    except (Conflict, PhaseClosed, InvalidInput) as error:
        flash(error.message, "error")
    else:
        flash(_("You support this project."), "success")
    target = request.form.get("next", "")
    if target.startswith("/budgets/") and "//" not in target:
        return redirect(target)
    return redirect(url_for("budgets.project", project_id=project_id))


# --- the ballot ------------------------------------------------------------------------------------

@bp.route("/headings/<int:heading_id>/ballot", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_limit, methods=["POST"])
def ballot(heading_id: int):
    """The ballot of one heading: checkboxes with prices, checked by the server; JavaScript adds a running
    total. A resident who has voted may change their ballot with their change key."""
    heading = services.get_heading(heading_id)
    process = heading.process
    require(current_user, Permission.BUDGETS_BALLOT_CAST, heading)
    if process.phase != "balloting":
        raise PhaseClosed(_("This budget is not open for voting."))
    voted = services.has_voted(current_user, heading)
    projects = services.list_projects(process, heading, ballot_only=True)
    error, given = None, {}
    if request.method == "POST":
        try:
            choice, given = _read_ballot(process, projects)
            key = (request.form.get("change_key") or "").strip() if voted else None
            if voted and not key:
                raise InvalidInput(_("You have already voted in this heading. To change your ballot, give the "
                                     "change key you received."))
            with unit_of_work():
                receipt = services.cast_budget_ballot(current_user, heading, choice, change_key=key)
        except InvalidInput as exc:
            error = exc.message
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("budgets.show", process_id=process.id)), 303
        else:
            response = Response(render_template("budgets/receipt.html", process=process, heading=heading,
                                                receipt=receipt, changed=voted))
            response.headers["Cache-Control"] = "no-store"  # the receipt and key are shown once
            return response
    return render_template("budgets/ballot.html", process=process, heading=heading, error=error, given=given,
                           voted=voted, projects=projects,
                           places=range(1, (process.max_projects or len(projects)) + 1)), \
        400 if error else 200


def _read_ballot(process, projects) -> tuple[services.Choice, dict[int, object]]:
    """The choice as the service takes it, and what to show again in the form if it is refused.

    Checkboxes ``project`` (knapsack, approval); a number ``points-<id>`` (cumulative) or a rank
    ``rank-<id>`` (ranking) per project, empty meaning none."""
    if process.ballot_type not in ("cumulative", "ranking"):
        raw = request.form.getlist("project")
        chosen = sorted({int(v) for v in raw if v.isdigit()})
        if len(chosen) != len(set(raw)):
            raise InvalidInput(_("This ballot names a project that is not on this heading's ballot."))
        return chosen, dict.fromkeys(chosen, True)
    prefix = "points" if process.ballot_type == "cumulative" else "rank"
    values: dict[int, int] = {}
    shown: dict[int, object] = {}
    bad = None
    for project in projects:
        raw = (request.form.get(f"{prefix}-{project.id}") or "").strip()
        shown[project.id] = raw
        if not raw:
            continue
        if not raw.isdigit():
            bad = bad or project
            continue
        values[project.id] = int(raw)
    if bad is not None:
        if prefix == "points":
            raise InvalidInput(_("Give %(project)s's points as a whole number, 0 or more.", project=bad.title))
        raise InvalidInput(_("Choose %(project)s's rank from the list.", project=bad.title))
    return values, shown


# --- results and exports ---------------------------------------------------------------------------

@bp.get("/<int:process_id>/results")
def results(process_id: int):
    """Funded projects, totals, votes and costs, a chart and the explanation, per heading."""
    process = services.get_process(process_id)
    services.require_results(process)
    if services.counting(process):
        return render_template("budgets/counting.html", process=process, job=services.tally_job(process)), 202
    headings = process.headings
    if request.args.get("heading", "").isdigit():
        headings = [h for h in process.headings if h.id == int(request.args["heading"])] or process.headings
    sections = []
    for heading in headings:
        rows = services.result_rows(heading)
        cardinal = process.ballot_type in ("cumulative", "ranking")
        chart = votes_chart(f"chart-{heading.id}", rows, key="score", title=_(
            "Points per project; funded projects in green and marked “funded”")) if cardinal \
            else votes_chart(f"chart-{heading.id}", rows)
        sections.append({"heading": heading, "rows": rows, "result": heading.result or {}, "chart": chart,
                         "command": services.reproduce_command(heading)})
    form = ReceiptForm(request.args)
    checked, checked_heading = None, None
    if request.args.get("receipt") and form.validate():
        for heading in process.headings:
            found = services.receipt_lines(heading, form.receipt.data)
            if found is not None:
                checked, checked_heading = found, heading
                break
        if checked is None:
            form.receipt.errors = [_("No ballot in this budget has this receipt code.")]
    return render_template("budgets/results.html", process=process, sections=sections, form=form, checked=checked,
                           checked_heading=checked_heading, filtered=len(headings) == 1 and len(process.headings) > 1)



@bp.get("/headings/<int:heading_id>/votes.pb")
def export_pb(heading_id: int):
    heading = services.get_heading(heading_id)
    return _download(services.export_pb(heading), services.export_name(heading, "votes.pb"), "text/plain")


@bp.get("/headings/<int:heading_id>/results.csv")
def export_results(heading_id: int):
    heading = services.get_heading(heading_id)
    return _download(services.results_csv(heading), services.export_name(heading, "results.csv"), "text/csv")


@bp.get("/headings/<int:heading_id>/ballots.csv")
def export_ballots(heading_id: int):
    heading = services.get_heading(heading_id)
    return _download(services.ballots_csv(heading), services.export_name(heading, "ballots.csv"), "text/csv")
