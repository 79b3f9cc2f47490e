"""Vote pages: list, announced rules, the ballot, results and exports; administration."""

from __future__ import annotations

import json
from datetime import UTC

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from agora.census.services import list_districts
from agora.db import unit_of_work
from agora.errors import Conflict, InvalidInput, PhaseClosed
from agora.extensions import limiter
from agora.permissions import Permission, can, require
from agora.text import render_markdown
from agora.votes import services
from agora.votes.charts import round_charts, show_number
from agora.votes.forms import ActionForm, ReceiptForm, VoteForm
from agora.web import download as _download
from agora.web import form_error

bp = Blueprint("votes", __name__, url_prefix="/votes")


@bp.app_template_filter("local_time")
def _local_time(moment):
    return to_user_timezone(services._aware(moment))


@bp.app_template_filter("tie_step")
def _tie_step(step: str) -> str:
    return str(services.TIE_BREAK_STEPS.get(step, step))


@bp.context_processor
def _vote_labels():
    return {"methods": services.METHODS, "stv_rules": services.STV_RULES, "overvote_rules": services.OVERVOTE_RULES,
            "skipped_rules": services.SKIPPED_RULES, "tie_breaks": services.TIE_BREAKS,
            "eligibility": services.ELIGIBILITY, "show_number": show_number}


@bp.get("/")
def index():
    """Every vote, with its status."""
    votes = services.list_votes()
    return render_template("votes/index.html", votes=votes, status=services.status)


def _form_rules(form: VoteForm) -> services.VoteRules:
    def utc(moment):
        return to_utc(moment).replace(tzinfo=UTC) if moment else None

    return services.VoteRules(
        title=form.title.data or "", description=form.description.data or "",
        options=(form.options.data or "").splitlines(), seats=form.seats.data or 1,
        method=form.method.data or None, stv_rule=form.stv_rule.data, overvote_rule=form.overvote_rule.data,
        skipped_rule=form.skipped_rule.data, tie_break=form.tie_break.data or None, lot_seed=form.lot_seed.data,
        eligibility=form.eligibility.data, district_id=form.district_id.data, panel_id=form.panel_id.data,
        opens_at=utc(form.opens_at.data), closes_at=utc(form.closes_at.data))


def _vote_form(vote=None) -> VoteForm:
    form = VoteForm(obj=vote) if vote is not None and request.method == "GET" else VoteForm()
    form.district_id.choices = [SelectChoice("", _("— any district —"))] + [
        SelectChoice(str(d.id), d.name) for d in list_districts()]
    form.panel_id.choices = [SelectChoice("", _("— no panel —"))] + [
        SelectChoice(str(p.id), p.title) for p in services.panels_with_members()]
    if vote is not None and request.method == "GET":
        form.options.data = "\n".join(o.label for o in vote.options)
        form.opens_at.data = to_user_timezone(services._aware(vote.opens_at)).replace(tzinfo=None)
        form.closes_at.data = to_user_timezone(services._aware(vote.closes_at)).replace(tzinfo=None)
    return form


def _save(form: VoteForm, vote=None, proposal=None):
    if not form.validate_on_submit():
        return None
    try:
        with unit_of_work():
            rules = _form_rules(form)
            if proposal is not None:
                from agora.proposals.services import create_vote_from_proposal

                saved = create_vote_from_proposal(current_user, proposal, rules)
            elif vote is None:
                saved = services.create_vote(current_user, rules)
            else:
                saved = services.update_vote(current_user, vote, rules)
            saved_id = saved.id
    except InvalidInput as error:
        form_error(form, error)
        return None
    return saved_id


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Administrators create a vote and announce its rules."""
    require(current_user, Permission.VOTES_MANAGE)
    form = _vote_form()
    proposal = _from_proposal(form)
    saved_id = _save(form, proposal=proposal)
    if saved_id is not None:
        flash(_("The vote is saved. Its rules are published and lock when it opens."), "success")
        return redirect(url_for("votes.show", vote_id=saved_id))
    return render_template("votes/form.html", form=form, vote=None, proposal=proposal), \
        400 if request.method == "POST" else 200


def _from_proposal(form: VoteForm):
    """A new vote started from a successful proposal's page: the proposal is pre-filled as an option."""
    from agora.proposals.services import get_proposal
    from agora.votes.services import option_label

    raw = request.values.get("proposal", "")
    if not raw.isdigit():
        return None
    proposal = get_proposal(int(raw), current_user)
    require(current_user, Permission.PROPOSAL_SEND, proposal)
    if request.method == "GET":
        form.options.data = option_label(proposal.title) + "\n"
        form.description.data = _("This vote includes the successful proposal “%(title)s”.", title=proposal.title)
    return proposal


@bp.route("/<int:vote_id>/edit", methods=["GET", "POST"])
@login_required
def edit(vote_id: int):
    """Change an upcoming vote; refused once it has opened."""
    require(current_user, Permission.VOTES_MANAGE)
    vote = services.get_vote(vote_id)
    if services.status(vote) != "upcoming":
        raise PhaseClosed(_("The vote has opened: its rules and options are locked."))
    form = _vote_form(vote)
    saved_id = _save(form, vote)
    if saved_id is not None:
        flash(_("The vote is updated."), "success")
        return redirect(url_for("votes.show", vote_id=saved_id))
    return render_template("votes/form.html", form=form, vote=vote), 400 if request.method == "POST" else 200


@bp.post("/<int:vote_id>/open")
@login_required
def open_now(vote_id: int):
    """Open an upcoming vote now."""
    with unit_of_work():
        services.open_vote(current_user, services.get_vote(vote_id))
    flash(_("The vote is open. Its rules are now locked."), "success")
    return redirect(url_for("votes.show", vote_id=vote_id))


@bp.post("/<int:vote_id>/close")
@login_required
def close_now(vote_id: int):
    """Close an open vote now."""
    with unit_of_work():
        services.close_vote(current_user, services.get_vote(vote_id))
    flash(_("The vote is closed. The results are published."), "success")
    return redirect(url_for("votes.results", vote_id=vote_id))


@bp.get("/<int:vote_id>")
def show(vote_id: int):
    """The question, the options and the announced rules."""
    vote = services.get_vote(vote_id)
    return render_template(
        "votes/show.html", vote=vote, state=services.status(vote), voted=services.has_voted(current_user, vote),
        eligible=can(current_user, Permission.VOTE_CAST, vote), turnout=services.turnout(vote),
        description=render_markdown(vote.description), action_form=ActionForm(),
        manage=can(current_user, Permission.VOTES_MANAGE))


def _ranks_from_form(vote) -> tuple[dict[int, int | None], dict[int, str]]:
    ranks: dict[int, int | None] = {}
    raw: dict[int, str] = {}
    for option in vote.options:
        value = (request.form.get(f"rank-{option.id}") or "").strip()
        raw[option.id] = value
        if not value:
            ranks[option.id] = None
        elif value.isdigit():
            ranks[option.id] = int(value)
        else:
            raise InvalidInput(_("Choose a rank from the list for %(option)s.", option=option.label))
    return ranks, raw


@bp.route("/<int:vote_id>/ballot", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_BALLOT"], methods=["POST"])
def ballot(vote_id: int):
    """The ballot: a rank select per option (enhanced by JavaScript), checked by the server."""
    vote = services.get_vote(vote_id)
    require(current_user, Permission.VOTE_CAST, vote)
    state = services.status(vote)
    if state != "open":
        raise PhaseClosed(_("This vote is not open for voting."))
    if services.has_voted(current_user, vote):
        flash(_("You have already voted in this vote."), "info")
        return redirect(url_for("votes.show", vote_id=vote.id))
    error, raw = None, {}
    if request.method == "POST":
        try:
            ranks, raw = _ranks_from_form(vote)
            with unit_of_work():
                receipt = services.cast_vote(current_user, vote, ranks)
        except InvalidInput as exc:
            error = exc.message
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("votes.show", vote_id=vote.id)), 303
        else:
            response = Response(render_template("votes/receipt.html", vote=vote, receipt=receipt.receipt))
            response.headers["Cache-Control"] = "no-store"  # the receipt is shown once
            return response
    return render_template("votes/ballot.html", vote=vote, error=error, raw=raw,
                           description=render_markdown(vote.description)), 400 if error else 200


@bp.get("/<int:vote_id>/results")
def results(vote_id: int):
    """Winners, the round-by-round table, inactive ballots, tie-breaks and a chart per round."""
    vote = services.get_vote(vote_id)
    with unit_of_work():
        result = services.get_results(vote)
    if result is None:
        return render_template("votes/counting.html", vote=vote, job=services.tally_job(vote),
                               turnout=services.turnout(vote)), 202
    form = ReceiptForm(request.args)
    checked = None
    if request.args.get("receipt"):
        if form.validate():
            checked = services.find_receipt(vote, form.receipt.data)
            if checked is None:
                form.receipt.errors = [_("No ballot in this vote has this receipt code.")]
    return render_template("votes/results.html", vote=vote, result=result, charts=round_charts(result),
                           command=services.reproduce_command(vote), form=form, checked=checked,
                           csv_command=services.reproduce_command(vote, "cvr.csv"),
                           causes=services.INACTIVE_CAUSES, steps=services.TIE_BREAK_STEPS,
                           turnout=services.turnout(vote))



@bp.get("/<int:vote_id>/cvr.csv")
def cvr_csv(vote_id: int):
    vote = services.get_vote(vote_id)
    return _download(services.cvr_csv(vote), services.export_name(vote, "cvr.csv"), "text/csv")


@bp.get("/<int:vote_id>/cvr.toi")
def cvr_toi(vote_id: int):
    vote = services.get_vote(vote_id)
    return _download(services.cvr_toi(vote), services.export_name(vote, "cvr.toi"), "text/plain")


@bp.get("/<int:vote_id>/result.json")
def result_json(vote_id: int):
    vote = services.get_vote(vote_id)
    with unit_of_work():
        result = services.get_results(vote)
    if result is None:
        response = jsonify({"vote": vote.id, "status": "counting",
                            "message": _("The ballots are being counted. Try again in a moment.")})
        response.status_code, response.headers["Retry-After"] = 202, "5"
        return response
    body = json.dumps({"vote": vote.id, "title": vote.title, "command": services.reproduce_command(vote),
                       "csv_command": services.reproduce_command(vote, "cvr.csv"), "result": result},
                      indent=2, ensure_ascii=False)
    return _download(body, services.export_name(vote, "result.json"), "application/json")

