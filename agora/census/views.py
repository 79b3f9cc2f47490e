"""Census pages: clerks import the register; residents verify against it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agora.census import services
from agora.census.forms import CensusImportForm, VerifyResidencyForm
from agora.db import unit_of_work
from agora.errors import Conflict, InvalidInput
from agora.extensions import limiter
from agora.permissions import Permission, require

bp = Blueprint("census", __name__, url_prefix="/census")


@bp.route("/", methods=["GET"])
@login_required
def index():
    summary = services.census_summary(current_user)
    return render_template("census/index.html", summary=summary, form=CensusImportForm())


@bp.post("/import")
@login_required
def import_register():
    require(current_user, Permission.CENSUS_REGISTER_IMPORT)
    form = CensusImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["CENSUS_MAX_UPLOAD_BYTES"] + 1)
        if len(data) > current_app.config["CENSUS_MAX_UPLOAD_BYTES"]:
            form.file.errors = [_("The file is larger than we accept.")]
        else:
            try:
                with unit_of_work():
                    report = services.import_census(current_user, data, filename=upload.filename or "census.csv")
            except services.CensusFileError as error:
                return render_template("census/index.html", summary=services.census_summary(current_user),
                                       form=form, file_error=error), 400
            except InvalidInput as error:
                form.file.errors = [error.message]
            else:
                flash(_("Imported %(rows)d residents: %(added)d new, %(updated)d updated.",
                        rows=report.rows, added=report.added, updated=report.updated), "success")
                return redirect(url_for("census.index"))
    return render_template("census/index.html", summary=services.census_summary(current_user), form=form), 400


@bp.route("/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_SENSITIVE"], methods=["POST"])
def verify():
    if current_user.is_verified:
        return render_template("census/verified.html")
    form = VerifyResidencyForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.verify_residency(
                    current_user,
                    document_number=form.document_number.data,
                    date_of_birth=form.date_of_birth.data,
                    postal_code=form.postal_code.data,
                )
        except (InvalidInput, Conflict) as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Your residency is verified. You can now take part."), "success")
            return redirect(url_for("main.index"))
    return render_template("census/verify.html", form=form)
