"""Flag content; the moderation queue with bulk acts; lock debates; block and unblock accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agora.accounts.models import User
from agora.db import db, unit_of_work
from agora.errors import AgoraError, Conflict, InvalidInput, PermissionDenied
from agora.moderation import services
from agora.moderation.forms import ACTION_LABELS, FLAG_LABELS, BulkForm, FlagForm, ReasonForm
from agora.moderation.models import CONTENT_TYPES
from agora.moderation.web import posting_limits
from agora.permissions import Permission, require
from agora.web import form_error

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


def content_url(target_type: str, item) -> str:
    if target_type == "comments":
        from agora.comments.services import comment_url  # comments build on moderation, not the reverse

        return comment_url(item) or url_for("main.index")
    return url_for(f"{target_type}.show", id=item.id)


@bp.post("/flag/<target_type>/<int:target_id>")
@login_required
@posting_limits
def flag(target_type: str, target_id: int):
    if target_type not in CONTENT_TYPES:
        abort(404)
    item = services.get_content(target_type, target_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                hidden = services.flag_content(current_user, target_type, target_id, reason=form.reason.data)
        except (Conflict, InvalidInput) as error:
            flash(error.message, "info")
        else:
            flash(_("Thank you: moderators will review your report.") if not hidden else
                  _("Thank you: after several reports this is hidden until a moderator reviews it."), "success")
    return redirect(content_url(target_type, item))


@bp.route("/")
@login_required
def queue():
    require(current_user, Permission.MODERATION_QUEUE_VIEW)
    target_type = request.args.get("type", "comments")
    state = request.args.get("state", "pending")
    page = services.moderation_queue(current_user, target_type, state=state,
                                     page=request.args.get("page", 1, type=int))
    return render_template(
        "moderation/queue.html", page=page, target_type=target_type, state=state, form=BulkForm(),
        counts=services.queue_counts(current_user), flag_labels=FLAG_LABELS, action_labels=ACTION_LABELS,
        reasons=services.open_flag_reasons(target_type, [i.id for i in page.items]),
        content_url=lambda item: content_url(target_type, item), types=list(CONTENT_TYPES))


@bp.post("/bulk/<target_type>")
@login_required
def bulk(target_type: str):
    require(current_user, Permission.MODERATION_QUEUE_VIEW)
    form = BulkForm()
    state = request.form.get("state", "pending")
    if form.validate_on_submit():
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        try:
            with unit_of_work():  # one transaction: the whole batch or nothing
                count = services.moderate(current_user, form.action.data, target_type, ids, reason=form.reason.data)
        except (InvalidInput, PermissionDenied, Conflict) as error:
            flash(error.message, "error")
        else:
            if form.action.data == "block":
                flash(_("Authors blocked: %(count)d.", count=count), "success")
            else:
                flash(_("%(action)s: %(count)d item(s).", action=ACTION_LABELS[form.action.data], count=count),
                      "success")
    return redirect(url_for("moderation.queue", type=target_type, state=state))


@bp.route("/hide/<target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
def hide(target_type: str, target_id: int):
    """Hide one item straight from its page (flagged or not), with a reason."""
    if target_type not in CONTENT_TYPES:
        abort(404)
    item = services.get_content(target_type, target_id)
    require(current_user, Permission.MODERATION_CONTENT_HIDE, item)
    back = content_url(target_type, item)
    form = ReasonForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.moderate(current_user, "hide", target_type, [item.id], reason=form.reason.data)
        flash(_("Hidden. The author is told the reason."), "success")
        return redirect(back)
    return render_template("moderation/reason.html", form=form, title=_("Hide this content"),
                           subject=getattr(item, "title", None) or item.body[:200], back=back)


@bp.route("/debates/<int:id>/lock", methods=["GET", "POST"])
@login_required
def lock_debate(id: int):
    debate = services.get_content("debates", id)
    require(current_user, Permission.MODERATION_DEBATE_LOCK, debate)
    form = ReasonForm()
    unlock = debate.is_locked
    if form.validate_on_submit():
        with unit_of_work():
            services.lock_debates(current_user, [debate.id], reason=form.reason.data, lock=not unlock)
        flash(_("The debate is reopened.") if unlock else _("The debate is closed to new comments."), "success")
        return redirect(url_for("debates.show", id=debate.id))
    return render_template("moderation/reason.html", form=form, title=_("Reopen the debate") if unlock
                           else _("Close the debate to new comments"), subject=debate.title,
                           back=url_for("debates.show", id=debate.id))


@bp.route("/users/<int:id>/block", methods=["GET", "POST"])
@login_required
def block_user(id: int):
    target = db.session.get(User, id) or abort(404)
    require(current_user, Permission.MODERATION_USER_BLOCK, target)
    blocked = services.get_block(target) is not None
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                if blocked:
                    services.unblock_user(current_user, target.id, reason=form.reason.data)
                else:
                    services.block_users(current_user, [target.id], reason=form.reason.data)
        except AgoraError as error:
            form_error(form, error)
        else:
            flash(_("%(name)s is unblocked.", name=target.display_name) if blocked else
                  _("%(name)s is blocked and can no longer post.", name=target.display_name), "success")
            return redirect(url_for("moderation.blocks"))
    return render_template("moderation/reason.html", form=form,
                           title=_("Unblock %(name)s", name=target.display_name) if blocked
                           else _("Block %(name)s", name=target.display_name),
                           subject=None, back=url_for("moderation.queue"))


@bp.route("/blocks")
@login_required
def blocks():
    return render_template("moderation/blocks.html", rows=services.list_blocks(current_user))
