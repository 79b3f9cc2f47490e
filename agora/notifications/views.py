from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from agora.db import unit_of_work
from agora.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    page = services.list_notifications(current_user, page=request.args.get("page", 1, type=int))
    return render_template("notifications/index.html", page=page, form=FlaskForm())


@bp.post("/read")
@login_required
def mark_read():
    if FlaskForm().validate_on_submit():
        with unit_of_work():
            services.mark_all_read(current_user)
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
