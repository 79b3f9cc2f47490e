from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from agora.accounts import services as accounts
from agora.accounts.forms import LanguageForm
from agora.db import unit_of_work
from agora.web import safe_next_url

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data
        if current_user.is_authenticated:
            with unit_of_work():
                accounts.set_locale(current_user, locale)
        session["locale"] = locale
        with force_locale(locale):
            flash(_("Language changed."), "success")
    back = safe_next_url(request.form.get("next")) or url_for("main.index")
    return redirect(back)


@bp.route("/healthz")
def health():
    return {"status": "ok", "version": current_app.config.get("VERSION", "")}
