"""Comment actions shared by every thread: post or reply, vote, edit, history."""

from __future__ import annotations

import functools

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup

from agora.comments import services
from agora.comments.forms import COMMENT_MAX_LENGTH, COMMENT_TEXTS, STANCE_LABELS, CommentForm, EditCommentForm
from agora.db import unit_of_work
from agora.errors import AgoraError, InvalidInput
from agora.moderation.forms import FLAG_LABELS
from agora.moderation.web import posting_limits
from agora.permissions import Permission, require
from agora.text import render_markdown
from agora.web import TranslatedOnce

bp = Blueprint("comments", __name__, url_prefix="/comments")


@bp.app_template_filter("markdown")
def markdown_filter(source: str):
    return render_markdown(source)


# What a thread says around each comment, translated once per process and language, not for each comment
# (a page of comments made a hundred gettext calls). Formatted in the template with ``%``, which escapes.
thread_texts = TranslatedOnce({
    "comment": _l("Comment"), "edited": _l("edited: see history"), "score": _l("%(up)d up, %(down)d down"),
    "vote_up": _l("Vote up"), "vote_down": _l("Vote down"), "comment_by": _l("comment by %(name)s"),
    "edit": _l("Edit"), "hide": _l("Hide"), "moderator": _l("moderator"), "report": _l("Report"),
    "report_reason": _l("Reason for the report"), "send_report": _l("Send the report"), "reply": _l("Reply"),
    "reply_to": _l("to %(name)s"), "your_reply": _l("Your reply"), "publish_reply": _l("Publish reply"),
})
comment_form_texts = TranslatedOnce(COMMENT_TEXTS)
stance_texts = TranslatedOnce(STANCE_LABELS)
_flag_reasons = TranslatedOnce(FLAG_LABELS)


def flag_options() -> Markup:
    """The report form's reasons, as the options of its select (built once per process and language)."""
    return _flag_options(str(get_locale()))


@functools.cache
def _flag_options(locale: str) -> Markup:  # noqa: ARG001 (the key: the reasons come in the request's language)
    return Markup("").join(
        Markup('<option value="{}">{}</option>').format(value, label) for value, label in _flag_reasons().items())


@bp.app_context_processor
def comment_helpers():
    # The thread's forms are written out in comments/_macros.html with these texts (no form objects per page).
    return {"comment_max_length": COMMENT_MAX_LENGTH, "thread_texts": thread_texts,
            "comment_form_texts": comment_form_texts, "stance_texts": stance_texts, "flag_options": flag_options}


def _back(target_type: str, target_id: int, comment_id: int | None = None) -> str:
    target = services.TARGETS.get(target_type)
    if target is None:
        return url_for("main.index")
    return url_for(target.endpoint, id=target_id, _anchor=f"comment-{comment_id}" if comment_id else "comments")


@bp.post("/<target_type>/<int:target_id>")
@login_required
@posting_limits
def create(target_type: str, target_id: int):
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Write a comment first.") if not form.body.data else _("The comment could not be sent. Please try "
                                                                          "again."), "error")
        return redirect(_back(target_type, target_id))
    try:
        with unit_of_work():
            comment = services.add_comment(
                current_user, target_type, target_id, body=form.body.data,
                parent_id=int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None,
                stance=form.stance.data or None)
    except (InvalidInput, AgoraError) as error:
        if error.status_code == 404 and target_type not in services.TARGETS:
            raise
        flash(error.message, "error")
        return redirect(_back(target_type, target_id))
    flash(_("Your comment is published."), "success")
    return redirect(_back(target_type, target_id, comment.id))


@bp.post("/<int:id>/vote")
@login_required
@posting_limits
def vote(id: int):
    comment = services.get_comment(id)
    if FlaskForm().validate_on_submit():
        value = {"up": 1, "down": -1}.get(request.form.get("value", ""), 0)
        try:
            with unit_of_work():
                services.vote_comment(current_user, comment.id, value)
        except AgoraError as error:
            if error.status_code == 403:
                raise
            flash(error.message, "info")
        else:
            flash(_("Your vote is counted."), "success")
    return redirect(_back(comment.target_type, comment.target_id, comment.id))


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
@posting_limits
def edit(id: int):
    comment = services.get_comment(id)
    require(current_user, Permission.COMMENT_EDIT, comment)
    form = EditCommentForm(obj=comment if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.edit_comment(current_user, comment.id, body=form.body.data)
        except InvalidInput as error:
            form.body.errors = [*form.body.errors, error.message]
        else:
            flash(_("Your comment is updated; its earlier text stays visible in its history."), "success")
            return redirect(_back(comment.target_type, comment.target_id, comment.id))
    return render_template("comments/edit.html", form=form, comment=comment,
                           back=_back(comment.target_type, comment.target_id, comment.id))


@bp.route("/<int:id>/history")
def history(id: int):
    comment, revisions = services.comment_history(id)
    return render_template("comments/history.html", comment=comment, revisions=revisions,
                           back=_back(comment.target_type, comment.target_id, comment.id))
