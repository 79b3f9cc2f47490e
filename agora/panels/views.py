"""Web pages of the panels feature: panels, the pool, quotas, the public draw, results and drop-outs."""

from __future__ import annotations

import json
from datetime import UTC

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from agora.census.services import list_districts
from agora.db import unit_of_work
from agora.errors import AgoraError, InvalidInput
from agora.extensions import limiter
from agora.panels import charts, services
from agora.panels.forms import (
    ActionForm,
    CommitForm,
    DropoutForm,
    PanelForm,
    QuotasForm,
    RespondentsUploadForm,
    SeedForm,
)
from agora.permissions import Permission, can, require
from agora.text import render_markdown
from agora.web import download as _download
from agora.web import form_error

bp = Blueprint("panels", __name__, url_prefix="/panels")


@bp.context_processor
def _panel_labels():
    return {"panel_statuses": services.STATUSES, "respondent_statuses": services.RESPONDENT_STATUSES,
            "respondent_sources": services.SOURCES, "panel_methods": services.METHODS}


def _manage(panel=None) -> bool:
    return can(current_user, Permission.PANELS_MANAGE, panel)


@bp.get("/")
def index():
    """Panels past draft (clerks also see drafts)."""
    return render_template("panels/index.html", panels=services.list_panels(current_user), manage=_manage())


def _utc(moment):
    return to_utc(moment).replace(tzinfo=UTC) if moment else None


def _local(moment):
    return to_user_timezone(moment if moment.tzinfo else moment.replace(tzinfo=UTC)).replace(tzinfo=None) \
        if moment else None


def _panel_form(panel=None) -> PanelForm:
    form = PanelForm(obj=panel) if panel is not None and request.method == "GET" else PanelForm()
    form.district_ids.choices = [SelectChoice(d.id, d.name) for d in list_districts()]
    if panel is not None and request.method == "GET":
        form.features.data = services.features_text(panel.features)
        form.district_ids.data = [d.id for d in panel.districts]
        for name in ("signup_closes_at", "draw_at", "work_ends_at"):
            getattr(form, name).data = _local(getattr(panel, name))
    return form


def _save_panel(form: PanelForm, panel=None):
    if not form.validate_on_submit():
        return None
    data = services.PanelData(
        title=form.title.data or "", description=form.description.data or "", size=form.size.data,
        features=form.features.data or "", district_ids=list(form.district_ids.data or []),
        open_to_volunteers=bool(form.open_to_volunteers.data), signup_closes_at=_utc(form.signup_closes_at.data),
        draw_at=_utc(form.draw_at.data), work_ends_at=_utc(form.work_ends_at.data))
    try:
        with unit_of_work():
            saved = services.create_panel(current_user, data) if panel is None \
                else services.update_panel(current_user, panel, data)
            saved_id = saved.id
    except InvalidInput as error:
        form_error(form, error)
        return None
    return saved_id


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Clerks create a panel (it stays a draft, visible to clerks only, until published)."""
    require(current_user, Permission.PANELS_MANAGE)
    form = _panel_form()
    saved_id = _save_panel(form)
    if saved_id is not None:
        flash(_("The panel is saved as a draft."), "success")
        return redirect(url_for("panels.show", panel_id=saved_id))
    return render_template("panels/form.html", form=form, panel=None), 400 if request.method == "POST" else 200


@bp.route("/<int:panel_id>/edit", methods=["GET", "POST"])
@login_required
def edit(panel_id: int):
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = _panel_form(panel)
    saved_id = _save_panel(form, panel)
    if saved_id is not None:
        flash(_("The panel is updated."), "success")
        return redirect(url_for("panels.show", panel_id=saved_id))
    return render_template("panels/form.html", form=form, panel=panel), 400 if request.method == "POST" else 200


@bp.post("/<int:panel_id>/publish")
@login_required
def publish(panel_id: int):
    with unit_of_work():
        services.open_signup(current_user, services.get_panel(panel_id, current_user))
    flash(_("The panel is published and open for sign-up."), "success")
    return redirect(url_for("panels.show", panel_id=panel_id))


@bp.get("/<int:panel_id>")
def show(panel_id: int):
    """The panel's public page: description, timeline, the commitment, and the result once drawn."""
    panel = services.get_panel(panel_id, current_user)
    return render_template("panels/show.html", panel=panel, description=render_markdown(panel.description),
                           pool_size=services.pool_size(panel), manage=_manage(panel), action_form=ActionForm(),
                           job=services.draw_job(panel))


# --- respondents ---------------------------------------------------------------------------------

@bp.route("/<int:panel_id>/respondents", methods=["GET", "POST"])
@login_required
def respondents(panel_id: int):
    """The pool with personal data (clerks only) and the CSV upload."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = RespondentsUploadForm()
    file_errors = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            with unit_of_work():
                report = services.import_respondents(current_user, panel, upload.read(),
                                                     filename=upload.filename or "respondents.csv",
                                                     replace=bool(form.replace.data))
        except services.RespondentsFileError as error:
            form.file.errors = [error.message]
            file_errors = error.errors
            status = 400
        except InvalidInput as error:
            form.file.errors = [error.message]
            status = 400
        else:
            flash(_("%(file)s: %(added)d respondents added, %(replaced)d replaced.", file=report.filename,
                    added=report.added, replaced=report.replaced), "success")
            return redirect(url_for("panels.respondents", panel_id=panel.id))
    elif request.method == "POST":
        status = 400
    page = services.respondents_page(current_user, panel, request.args.get("page", 1, type=int))
    return render_template("panels/respondents.html", panel=panel, form=form, page=page, file_errors=file_errors,
                           pool_size=services.pool_size(panel)), status


# --- quotas --------------------------------------------------------------------------------------

def _quotas_from_request(panel) -> list[dict]:
    rows = services.quota_rows(panel)
    raw = [(row.feature, row.value, request.form.get(f"min-{i}", ""), request.form.get(f"max-{i}", ""))
           for i, row in enumerate(rows)]
    return services.parse_quotas(panel, raw)


@bp.route("/<int:panel_id>/quotas", methods=["GET", "POST"])
@login_required
def quotas(panel_id: int):
    """Min/max per feature value; "check" shows feasibility without JavaScript, "propose" fills a proposal."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = QuotasForm()
    error, feasibility, shown = None, None, None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            if form.propose.data:
                shown = services.propose_quotas(current_user, panel)
                flash(_("Proposed quotas are filled in below; check and save them."), "info")
            else:
                shown = _quotas_from_request(panel)
                if form.save.data:
                    with unit_of_work():
                        services.set_quotas(current_user, panel, shown)
                    flash(_("The quotas are saved."), "success")
                    return redirect(url_for("panels.quotas", panel_id=panel.id))
                feasibility = services.check_feasibility(current_user, panel, shown).to_dict()
        except InvalidInput as exc:
            error, status = exc.message, 400
            shown = None
    elif request.method == "POST":
        status = 400
    elif panel.quotas and services.pool_size(panel):
        try:
            feasibility = services.check_feasibility(current_user, panel).to_dict()
        except InvalidInput as exc:
            error = exc.message
    rows = services.quota_rows(panel, shown)
    if shown is None and request.method == "POST":  # keep what the clerk typed
        for i, row in enumerate(rows):
            row.min, row.max = request.form.get(f"min-{i}", row.min), request.form.get(f"max-{i}", row.max)
    return render_template("panels/quotas.html", panel=panel, form=form, rows=rows, error=error,
                           feasibility=feasibility, pool_size=services.pool_size(panel),
                           frozen=panel.status not in services.OPEN_STATUSES), status


@bp.post("/<int:panel_id>/quotas/check.json")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_PANELS_CHECK"])
def quotas_check(panel_id: int):
    """Live feasibility for the quotas page's script: the form's values in, the report out (JSON)."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    try:
        report = services.check_feasibility(current_user, panel, _quotas_from_request(panel)).to_dict()
    except InvalidInput as exc:
        return jsonify({"feasible": False, "error": exc.message}), 400
    return jsonify(report)


# --- commitment, seed and draw -----------------------------------------------------------------

def _draw_page(panel, commit_form=None, seed_form=None, problem=None, status=200):
    commit_form = commit_form or CommitForm(formdata=None, alternates=services.config_alternates(panel))
    return render_template("panels/draw.html", panel=panel, commit_form=commit_form,
                           seed_form=seed_form or SeedForm(formdata=None), action_form=ActionForm(),
                           problem=problem, job=services.draw_job(panel), pool_size=services.pool_size(panel)), status


@bp.get("/<int:panel_id>/draw")
@login_required
def draw(panel_id: int):
    """The clerk's draw page: publish the commitment, then enter the seed."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    return _draw_page(panel)


@bp.post("/<int:panel_id>/commit")
@login_required
def commit(panel_id: int):
    """Publish the commitment: freeze and hash the anonymised pool and the quotas."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = CommitForm()
    if not form.validate_on_submit():
        return _draw_page(panel, commit_form=form, status=400)
    try:
        with unit_of_work():
            services.publish_commitment(current_user, panel, method=form.method.data,
                                        lottery_panels=form.lottery_panels.data, alternates=form.alternates.data,
                                        households=bool(form.households.data))
    except InvalidInput as exc:
        form.form_errors.append(exc.message)
        return _draw_page(services.get_panel(panel_id, current_user), commit_form=form, problem=exc.details,
                          status=400)
    flash(_("The commitment is published. Enter the seed at the public draw."), "success")
    return redirect(url_for("panels.draw", panel_id=panel_id))


@bp.post("/<int:panel_id>/seed")
@login_required
def seed(panel_id: int):
    """Record the seed announced at the public draw and start the draw in the background."""
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = SeedForm()
    if not form.validate_on_submit():
        return _draw_page(panel, seed_form=form, status=400)
    with unit_of_work():
        services.enter_seed(current_user, panel, form.seed.data)
    flash(_("The seed is recorded; the draw is running."), "success")
    return redirect(url_for("panels.progress", panel_id=panel_id))


@bp.post("/<int:panel_id>/draw/retry")
@login_required
def retry(panel_id: int):
    with unit_of_work():
        services.retry_draw(current_user, services.get_panel(panel_id, current_user))
    return redirect(url_for("panels.progress", panel_id=panel_id))


def _job_or_404(panel):
    job = services.draw_job(panel)
    if job is None:
        abort(404)
    return job


@bp.get("/<int:panel_id>/draw/progress")
def progress(panel_id: int):
    """The draw's progress; refreshes itself without JavaScript, polled by panels.js with it."""
    panel = services.get_panel(panel_id, current_user)
    job = _job_or_404(panel)
    if job.status == "done" and panel.draw.result is not None and not request.args.get("stay"):
        return redirect(url_for("panels.result", panel_id=panel.id))
    response = Response(render_template("panels/progress.html", panel=panel, job=job, manage=_manage(panel),
                                        action_form=ActionForm()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:panel_id>/draw/status.json")
def status_json(panel_id: int):
    panel = services.get_panel(panel_id, current_user)
    job = _job_or_404(panel)
    data = job.to_dict()
    data["result_url"] = url_for("panels.result", panel_id=panel.id) if panel.draw.result is not None else None
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- results -------------------------------------------------------------------------------------

@bp.get("/<int:panel_id>/result")
def result(panel_id: int):
    """Public: composition against the quotas, selection probabilities, seed, commitment, downloads."""
    panel = services.get_panel(panel_id, current_user)
    draw = services.require_drawn(panel)
    rows = services.composition(panel)
    summary = services.probability_summary(draw.result)
    return render_template("panels/result.html", panel=panel, draw=draw, rows=rows, summary=summary,
                           composition_chart=charts.composition_chart(rows),
                           probability_chart=charts.probability_chart(draw.result, summary),
                           command=services.verify_command(panel), manage=_manage(panel))



def _committed(panel_id: int):
    panel = services.get_panel(panel_id, current_user)
    if panel.draw is None:
        abort(404)
    return panel


@bp.get("/<int:panel_id>/pool.csv")
def pool_csv(panel_id: int):
    """The anonymised pool, byte for byte the text whose SHA-256 was published."""
    panel = _committed(panel_id)
    return _download(panel.draw.pool_csv, services.export_name(panel, "pool.csv"), "text/csv")


@bp.get("/<int:panel_id>/quotas.csv")
def quotas_csv(panel_id: int):
    panel = _committed(panel_id)
    return _download(panel.draw.quotas_csv, services.export_name(panel, "quotas.csv"), "text/csv")


@bp.get("/<int:panel_id>/result.json")
def result_json(panel_id: int):
    panel = services.get_panel(panel_id, current_user)
    draw = services.require_drawn(panel)
    return _download(json.dumps(draw.result, indent=2, ensure_ascii=False),
                     services.export_name(panel, "result.json"), "application/json")


# --- people and drop-outs (clerks) -------------------------------------------------------------

@bp.get("/<int:panel_id>/people")
@login_required
def people(panel_id: int):
    """Names and contacts of the selected and the alternates, drop-outs and replacements: clerks only."""
    panel = services.get_panel(panel_id, current_user)
    groups = services.people(current_user, panel)
    return render_template("panels/people.html", panel=panel, groups=groups, form=DropoutForm(),
                           replacements=panel.draw.replacements or [])


@bp.post("/<int:panel_id>/respondents/<int:respondent_id>/dropout")
@login_required
def dropout(panel_id: int, respondent_id: int):
    panel = services.get_panel(panel_id, current_user)
    require(current_user, Permission.PANELS_MANAGE, panel)
    form = DropoutForm()
    if not form.validate_on_submit():
        abort(400)
    respondent = services.get_respondent(panel, respondent_id)
    try:
        with unit_of_work():
            outcome = services.record_dropout(panel, respondent, current_user, form.reason.data or "")
            names = ", ".join(f"{r.number} {r.full_name}".strip() for r in outcome.replacements)
            problem = outcome.problem
    except AgoraError as exc:
        flash(exc.message, "error")
        return redirect(url_for("panels.people", panel_id=panel_id))
    if problem:
        flash(problem, "error")
    else:
        flash(_("The drop-out is recorded. Replacement: %(names)s.", names=names), "success")
    return redirect(url_for("panels.people", panel_id=panel_id))
