"""Proposal pages: list, search, submit (draft, preview, publish), edit, support, retire, follow, feed."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import escape

from agora import page_cache
from agora.comments.services import get_thread
from agora.db import db, reads_only, unit_of_work
from agora.errors import AgoraError, Conflict, InvalidInput, PhaseClosed
from agora.moderation.services import get_block
from agora.moderation.web import posting_limits
from agora.notifications import services as notifications
from agora.panelwork.services import goal_choices as panel_goal_choices
from agora.permissions import Permission, can, require
from agora.proposals import listing_cache, services
from agora.proposals.forms import RETIRE_LABELS, ProposalForm, RetireForm, SendToBudgetForm, SendToVoteForm
from agora.proposals.models import ProposalStatus
from agora.text import render_markdown
from agora.web import form_error

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

STATUS_LABELS = {
    "draft": _l("Draft"), "published": _l("Collecting supports"), "successful": _l("Successful"),
    "retired": _l("Retired"), "archived": _l("Archived"),
}


@bp.app_template_filter("atomdate")
def atom_date(moment: datetime | None) -> str:
    """RFC 3339 in UTC (SQLite gives naive datetimes back; they were stored as UTC)."""
    if moment is None:
        return "1970-01-01T00:00:00Z"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.app_context_processor
def proposal_helpers():
    return {"status_labels": STATUS_LABELS, "tag_url": _tag_url}


def _tag_url(tag: str) -> str:
    """The listing of a tag, built once per request: a page of 25 cards links the same few tags again and again."""
    urls = g.setdefault("_tag_urls", {})
    if tag not in urls:
        urls[tag] = url_for("proposals.index", tag=tag)
    return urls[tag]


_SEARCH_TEXT = "\x00search\x00"  # where the listing's cached filter form takes the search text


@bp.route("/")
@reads_only
def index():
    args = request.args
    status = args.get("status", "active")
    sort = args.get("sort", "newest")
    filters = {k: v for k, v in {
        "q": args.get("q", "").strip()[:200], "district": args.get("district", ""), "tag": args.get("tag", ""),
        "status": status if status in services.STATUS_FILTERS else "active",
        "sort": sort if sort in services.SORTS else "newest"}.items() if v}
    page_number = args.get("page", 1, type=int)

    def render_results() -> str:
        page = services.list_proposals(page=page_number, **filters)
        return render_template("proposals/_results.html", page=page, filters=filters)

    # One process may serve several databases (the test suite does): the engine is part of the key. With
    # shared page versions (agora.page_cache) the listings' version is too: a change outdates every worker's.
    copies = current_app.extensions.get("page_cache")
    version = copies.version(page_cache.PROPOSAL_LISTINGS) if copies else None
    key = (str(db.engine.url), str(get_locale()), page_number, *sorted(filters.items()), ("version", version))
    # Shared with the other workers only under a shared version (a change then changes the key).
    redis = copies.shared_store if copies and version is not None else None
    shared = listing_cache.SharedStore(redis, current_app.config["PAGE_CACHE_PREFIX"]) if redis else None
    results = listing_cache.get_or_render(key, current_app.config["PROPOSALS_LISTING_CACHE_SECONDS"], render_results,
                                          shared)
    # The filter form (districts, tags, the current choices) is the same for everyone: cached likewise, once
    # for every search text (each search is new: the text goes in after).
    form_filters = {name: value for name, value in filters.items() if name != "q"}
    filters_html = listing_cache.get_or_render(
        (key[0], key[1], "filters", *sorted(form_filters.items()), key[-1]),
        current_app.config["PROPOSALS_LISTING_CACHE_SECONDS"],
        lambda: render_template("proposals/_filters.html", filters={**form_filters, "q": _SEARCH_TEXT},
                                districts=services.district_choices(), tags=services.list_tags()), shared)
    filters_html = filters_html.replace(_SEARCH_TEXT, escape(filters.get("q", "")))  # Markup: the text is escaped
    drafts = services.list_drafts(current_user) if current_user.is_authenticated else []
    return render_template("proposals/index.html", results_html=results, filters_html=filters_html, filters=filters,
                           drafts=drafts, threshold=services.support_threshold())


@bp.route("/feed.atom")
def feed():
    response = make_response(render_template("proposals/feed.xml", proposals=services.recent_for_feed()))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response


def _uploads(form) -> list[tuple[str, bytes]]:
    limit = max(current_app.config["PROPOSALS_MAX_IMAGE_BYTES"], current_app.config["PROPOSALS_MAX_PDF_BYTES"])
    files = []
    for upload in form.attachments.data or []:
        if getattr(upload, "filename", None):
            files.append((upload.filename, upload.read(limit + 1)))
    return files


def _preview(form):
    return render_markdown(form.body.data or "")


@bp.route("/new", methods=["GET", "POST"])
@login_required
@posting_limits
def new():
    form = ProposalForm()
    form.set_districts(services.list_districts())
    form.set_panel_goals(panel_goal_choices())
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = _preview(form)
        else:
            try:
                with unit_of_work():
                    proposal = services.create_proposal(
                        current_user, title=form.title.data, summary=form.summary.data, body=form.body.data,
                        district_id=int(form.district_id.data) if form.district_id.data else None,
                        tags=form.tags.data, publish=False,
                        panel_goal_id=int(form.panel_goal_id.data) if form.panel_goal_id.data else None)
                    services.add_attachments(current_user, proposal, _uploads(form))
                    if form.publish.data:
                        services.publish_proposal(current_user, proposal)
            except InvalidInput as error:
                form_error(form, error)
            else:
                flash(_("Your proposal is published.") if proposal.status == ProposalStatus.PUBLISHED
                      else _("Your draft is saved. Only you can see it until you publish it."), "success")
                return redirect(url_for("proposals.show", id=proposal.id))
    return render_template("proposals/form.html", form=form, preview=preview, proposal=None,
                           block=get_block(current_user))


@bp.route("/<int:id>")
@page_cache.for_visitors("proposals")
@reads_only
def show(id: int):
    proposal, facts = services.get_proposal_page(id, current_user if current_user.is_authenticated else None)
    thread = get_thread("proposals", proposal.id, viewer=current_user, page=request.args.get("page", 1, type=int),
                        known_long=facts.long_thread)
    vote_options, projects = services.proposal_outcomes(proposal) if facts.has_outcomes else ([], [])
    send_vote_form = send_budget_form = None
    if proposal.status == ProposalStatus.SUCCESSFUL and can(current_user, Permission.PROPOSAL_SEND, proposal):
        send_vote_form, send_budget_form = _send_forms()
    return render_template(
        "proposals/show.html", proposal=proposal, thread=thread, threshold=services.support_threshold(),
        supported=facts.supported,
        attachments=services.list_attachments(proposal) if facts.has_attachments else [],
        vote_options=vote_options, projects=projects, revision_count=facts.revision_count,
        send_vote_form=send_vote_form, send_budget_form=send_budget_form,
        retire_labels=RETIRE_LABELS,
        following=facts.following, block=get_block(current_user), target_type="proposals", target=proposal)


def _send_forms() -> tuple[SendToVoteForm, SendToBudgetForm]:
    votes, headings = services.send_targets()
    vote_form, budget_form = SendToVoteForm(), SendToBudgetForm()
    vote_form.set_votes(votes)
    budget_form.set_headings(headings)
    return vote_form, budget_form


@bp.post("/<int:id>/send/vote")
@login_required
def send_to_vote(id: int):
    """Administrators add a successful proposal to a vote that has not opened yet."""
    from agora.votes.services import get_vote

    proposal = services.get_proposal(id, current_user)
    require(current_user, Permission.PROPOSAL_SEND, proposal)
    form, _budget_form = _send_forms()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                vote = get_vote(form.vote_id.data)
                option = services.send_to_vote(current_user, proposal, vote, label=form.label.data or None)
                message = _("The proposal is now the option “%(option)s” in the vote “%(vote)s”.",
                            option=option.label, vote=vote.title)
        except (Conflict, InvalidInput, PhaseClosed) as error:
            flash(error.message, "error")
        else:
            flash(message, "success")
    else:
        flash(_("Choose a vote that has not opened yet."), "error")
    return redirect(url_for("proposals.show", id=proposal.id))


@bp.post("/<int:id>/send/budget")
@login_required
def send_to_budget(id: int):
    """Administrators turn a successful proposal into a project of a budget that accepts projects."""
    from agora.budgets.services import get_heading

    proposal = services.get_proposal(id, current_user)
    require(current_user, Permission.PROPOSAL_SEND, proposal)
    _vote_form, form = _send_forms()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                heading = get_heading(form.heading_id.data)
                project = services.send_to_budget(current_user, proposal, heading,
                                                  estimated_cost=form.estimated_cost.data)
                project_id, message = project.id, _("The proposal is now a project in the budget “%(budget)s”.",
                                                    budget=heading.process.title)
        except (Conflict, InvalidInput, PhaseClosed) as error:
            flash(error.message, "error")
        else:
            flash(message, "success")
            return redirect(url_for("budgets.project", project_id=project_id))
    else:
        flash(_("Choose a budget heading and give a whole, positive estimated cost."), "error")
    return redirect(url_for("proposals.show", id=proposal.id))


@bp.route("/<int:id>/history")
def history(id: int):
    """Earlier texts of a published proposal (Markdown rendered and sanitised)."""
    proposal, revisions = services.proposal_history(id, current_user if current_user.is_authenticated else None)
    return render_template("main/history.html", item=proposal, revisions=revisions,
                           current_at=proposal.updated_at or proposal.published_at or proposal.created_at,
                           back=url_for("proposals.show", id=proposal.id))


@bp.route("/attachments/<int:attachment_id>/<name>")
def attachment(attachment_id: int, name: str):  # noqa: ARG001 (the name is for people and downloads)
    item = services.get_attachment(attachment_id, current_user if current_user.is_authenticated else None)
    response = make_response(item.data)
    response.headers["Content-Type"] = item.content_type
    # PDFs download rather than open inside the site; images display. nosniff is set globally.
    disposition = "inline" if item.is_image else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{item.filename}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
@posting_limits
def edit(id: int):
    proposal = services.get_proposal(id, current_user)
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    form.set_districts(services.list_districts())
    form.set_panel_goals(panel_goal_choices())
    if request.method == "GET":
        form.district_id.data = str(proposal.district_id or "")
        form.panel_goal_id.data = str(proposal.panel_goal_id or "")
        form.tags.data = ", ".join(proposal.tags)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = _preview(form)
        else:
            try:
                with unit_of_work():
                    services.update_proposal(
                        current_user, proposal, title=form.title.data, summary=form.summary.data,
                        body=form.body.data, tags=form.tags.data,
                        district_id=int(form.district_id.data) if form.district_id.data else None,
                        panel_goal_id=int(form.panel_goal_id.data) if form.panel_goal_id.data else None)
                    services.add_attachments(current_user, proposal, _uploads(form))
                    if form.publish.data and proposal.status == ProposalStatus.DRAFT:
                        services.publish_proposal(current_user, proposal)
            except InvalidInput as error:
                form_error(form, error)
            else:
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("proposals.show", id=proposal.id))
    else:
        # Show the permission error before the author types anything.
        from agora.permissions import Permission, require

        require(current_user, Permission.PROPOSAL_EDIT, proposal)
    return render_template("proposals/form.html", form=form, preview=preview, proposal=proposal,
                           block=get_block(current_user))


@bp.post("/<int:id>/publish")
@login_required
def publish(id: int):
    proposal = services.get_proposal(id, current_user)
    if FlaskForm().validate_on_submit():
        with unit_of_work():
            services.publish_proposal(current_user, proposal)
        flash(_("Your proposal is published."), "success")
    return redirect(url_for("proposals.show", id=proposal.id))


@bp.post("/<int:id>/support")
@login_required
@posting_limits
def support(id: int):
    # Choose the language now, while the user's row is loaded: the commit expires it and the flashed
    # messages would read it again (with roles and residency). Supporting does not change the language.
    get_locale()
    # No FlaskForm: CSRFProtect has checked the token of every POST before the view (a test walks them
    # all), and an empty form only checked it again (0.58 million instructions, of a support's 8.6 million).
    try:
        with unit_of_work():
            successful = services.support_proposal(current_user, id) == ProposalStatus.SUCCESSFUL
    except AgoraError as error:
        if error.status_code in (403, 404):
            raise
        flash(error.message, "info")  # a second click, or no longer open: a message, not an error page
    else:
        flash(_("Thank you for your support."), "success")
        if successful:
            flash(_("This proposal has reached its support threshold."), "success")
    return redirect(url_for("proposals.show", id=id))


@bp.route("/<int:id>/retire", methods=["GET", "POST"])
@login_required
def retire(id: int):
    from agora.permissions import Permission, require

    proposal = services.get_proposal(id, current_user)
    require(current_user, Permission.PROPOSAL_RETIRE, proposal)
    form = RetireForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.retire_proposal(current_user, proposal, reason=form.reason.data,
                                         explanation=form.explanation.data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            flash(_("The proposal is retired."), "success")
            return redirect(url_for("proposals.show", id=proposal.id))
    return render_template("proposals/retire.html", form=form, proposal=proposal)


@bp.post("/<int:id>/follow")
@login_required
def follow(id: int):
    proposal = services.get_proposal(id, current_user)
    if FlaskForm().validate_on_submit():
        with unit_of_work():
            if request.form.get("stop"):
                notifications.unfollow(current_user, "proposals", proposal.id)
                flash(_("You no longer follow this proposal."), "info")
            else:
                notifications.follow(current_user, "proposals", proposal.id)
                flash(_("You follow this proposal: you will be notified of its news."), "success")
    return redirect(url_for("proposals.show", id=proposal.id))
