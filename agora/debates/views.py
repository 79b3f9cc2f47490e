"""Debate pages: list, open, show with its comment thread and stance balance, edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from agora import page_cache
from agora.comments.services import SMALL_THREAD, get_thread, stance_balance
from agora.db import reads_only, unit_of_work
from agora.debates import services
from agora.debates.forms import DebateForm
from agora.errors import AgoraError, InvalidInput
from agora.moderation.services import get_block
from agora.moderation.web import posting_limits
from agora.notifications import services as notifications
from agora.permissions import Permission, require
from agora.web import form_error

bp = Blueprint("debates", __name__, url_prefix="/debates")


@bp.route("/")
@reads_only
def index():
    sort = request.args.get("sort", "newest")
    sort = sort if sort in services.SORTS else "newest"
    page = services.list_debates(sort=sort, page=request.args.get("page", 1, type=int))
    return render_template("debates/index.html", page=page, sort=sort)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@posting_limits
def new():
    form = DebateForm()
    error = None
    try:
        services.ensure_can_open_debate(current_user)
    except AgoraError as refused:
        error = refused.message
    if error is None and form.validate_on_submit():
        try:
            with unit_of_work():
                debate = services.create_debate(current_user, title=form.title.data, body=form.body.data)
        except InvalidInput as invalid:
            form_error(form, invalid)
        else:
            flash(_("Your debate is open."), "success")
            return redirect(url_for("debates.show", id=debate.id))
    return render_template("debates/form.html", form=form, debate=None, refused=error), 403 if error else 200


@bp.route("/<int:id>")
@page_cache.for_visitors("debates")
@reads_only
def show(id: int):
    debate = services.get_debate(id)
    # A debate counts its comments as they come: a long thread is paged by queries at once (same thread).
    thread = get_thread("debates", debate.id, viewer=current_user, page=request.args.get("page", 1, type=int),
                        known_long=debate.comment_count > SMALL_THREAD)
    return render_template(
        "debates/show.html", debate=debate, thread=thread, balance=stance_balance("debates", debate.id),
        block=get_block(current_user),
        following=notifications.is_following(current_user, "debates", debate.id),
        revision_count=services.count_revisions(debate), target_type="debates", target=debate)


@bp.route("/<int:id>/history")
def history(id: int):
    """Earlier texts of an edited debate (Markdown rendered and sanitised)."""
    debate, revisions = services.debate_history(id)
    return render_template("main/history.html", item=debate, revisions=revisions,
                           current_at=debate.updated_at or debate.created_at,
                           back=url_for("debates.show", id=debate.id))


@bp.post("/<int:id>/follow")
@login_required
def follow(id: int):
    debate = services.get_debate(id)
    if FlaskForm().validate_on_submit():
        with unit_of_work():
            if request.form.get("stop"):
                notifications.unfollow(current_user, "debates", debate.id)
                flash(_("You no longer follow this debate."), "info")
            else:
                notifications.follow(current_user, "debates", debate.id)
                flash(_("You follow this debate: you will be notified of new comments."), "success")
    return redirect(url_for("debates.show", id=debate.id))


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
@posting_limits
def edit(id: int):
    debate = services.get_debate(id)
    require(current_user, Permission.DEBATE_EDIT, debate)
    form = DebateForm(obj=debate if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_debate(current_user, debate, title=form.title.data, body=form.body.data)
        except InvalidInput as invalid:
            form_error(form, invalid)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("debates.show", id=debate.id))
    return render_template("debates/form.html", form=form, debate=debate, refused=None)
