"""Panel invitations (clerks), public sign-up, and the confirm-or-decline page of the selected."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from agora.db import unit_of_work
from agora.errors import AgoraError, Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.extensions import limiter
from agora.panels import invitation_services as services
from agora.panels.signup_forms import ActionForm, DeclineForm, InvitationDrawForm, feature_fields, signup_form
from agora.permissions import Permission, can, require
from agora.text import render_markdown
from agora.web import download
from agora.web import form_error as _field_error

bp = Blueprint("panel_signup", __name__, url_prefix="/panels")


@bp.context_processor
def _labels():
    return {"status_label": lambda status: services.STATUS_LABELS.get(status, status)}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # personal data or personal codes
    return response


def _download(body: str, filename: str) -> Response:
    return _no_store(download(body, filename, "text/csv"))




# --- clerks: the invitation lottery ----------------------------------------------------------------

def _invitations_page(panel, form, status=200):
    draws = services.list_draws(current_user, panel)
    page = render_template(
        "panels/invitations/index.html", panel=panel, draws=draws, form=form, action_form=ActionForm(),
        counts=services.invitation_counts(panel), signups=services.list_signups(current_user, panel),
        drawable=panel.status in services.DRAWABLE_STATUSES, signup_url=services.public_url(
            "panel_signup.signup", panel_id=panel.id))
    return _no_store(Response(page, status=status))


@bp.get("/<int:panel_id>/invitations")
@login_required
def invitations(panel_id: int):
    """The invitation draws of a panel, the draw form and the sign-ups so far (clerks)."""
    require(current_user, Permission.PANELS_INVITE)
    return _invitations_page(services.get_panel(panel_id), InvitationDrawForm())


@bp.post("/<int:panel_id>/invitations")
@login_required
def draw(panel_id: int):
    """Draw the invitation list with the published seed."""
    require(current_user, Permission.PANELS_INVITE)
    panel = services.get_panel(panel_id)
    form = InvitationDrawForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                drawn = services.draw_invitations(current_user, panel, count=form.count.data, seed=form.seed.data)
                count = len(drawn.invitations)
        except InvalidInput as error:
            _field_error(form, error)
        else:
            flash(_("%(n)d invitations drawn. Print the letters or export the addresses.", n=count), "success")
            return redirect(url_for("panel_signup.invitations", panel_id=panel_id))
    return _invitations_page(services.get_panel(panel_id), form, status=400)


@bp.post("/<int:panel_id>/invitations/<int:draw_id>/verify")
@login_required
def verify(panel_id: int, draw_id: int):
    """Re-run a draw on the current register and say whether it reproduces."""
    panel = services.get_panel(panel_id)
    if ActionForm().validate_on_submit():
        check = services.verify_draw(current_user, services.get_draw(panel, draw_id))
        if check.ok:
            flash(_("Draw %(id)d reproduces: same register, same seed, same list.", id=draw_id), "success")
        elif not check.frame_matches:
            flash(_("Draw %(id)d does not reproduce on today's register: the register changed since "
                    "(frame hash now %(hash)s).", id=draw_id, hash=check.frame_hash[:16]), "error")
        else:
            flash(_("Draw %(id)d does not reproduce: the list differs.", id=draw_id), "error")
    return redirect(url_for("panel_signup.invitations", panel_id=panel_id))


def _selected_draw(panel):
    draw_id = request.args.get("draw", type=int)
    return services.get_draw(panel, draw_id) if draw_id else None


@bp.get("/<int:panel_id>/invitations/addresses.csv")
@login_required
def addresses_csv(panel_id: int):
    """The invitation list with codes, for a mail merge (clerks; audited)."""
    panel = services.get_panel(panel_id)
    with unit_of_work():
        body = services.addresses_csv(current_user, panel, _selected_draw(panel))
    return _download(body, f"panel-{panel_id}-invitations.csv")


@bp.get("/<int:panel_id>/invitations/letters")
@login_required
def letters(panel_id: int):
    """Printable letters, one page each, in each resident's language (clerks; audited)."""
    panel = services.get_panel(panel_id)
    with unit_of_work():
        chosen = services.letters(current_user, panel, _selected_draw(panel))
    return _no_store(Response(render_letters(panel, chosen)))


def render_letters(panel, chosen, *, standalone: bool = False) -> str:
    """The letters page: each letter rendered in its own language, then put together."""
    signup_url = services.public_url("panel_signup.signup", panel_id=panel.id)
    rendered = []
    for letter in chosen:
        with force_locale(letter.language):
            # Autoescaped template output: safe to embed as is.
            rendered.append(Markup(render_template(  # noqa: S704
                "panels/invitations/_letter.html", panel=panel, letter=letter, signup_url=signup_url)))
    return render_template("panels/invitations/letters.html", panel=panel, letters=rendered, count=len(chosen),
                           standalone=standalone)


@bp.get("/<int:panel_id>/confirmations")
@login_required
def confirmations(panel_id: int):
    """The selected people and their confirm/decline links (clerks)."""
    panel = services.get_panel(panel_id)
    links = services.list_seat_links(current_user, panel)
    return _no_store(Response(render_template("panels/invitations/confirmations.html", panel=panel, links=links,
                                              action_form=ActionForm())))


@bp.get("/<int:panel_id>/confirmations.csv")
@login_required
def confirmations_csv(panel_id: int):
    panel = services.get_panel(panel_id)
    with unit_of_work():
        body = services.seat_links_csv(current_user, panel)
    return _download(body, f"panel-{panel_id}-confirmation-links.csv")


@bp.post("/<int:panel_id>/confirmations/mail")
@login_required
def mail_confirmations(panel_id: int):
    panel = services.get_panel(panel_id)
    if ActionForm().validate_on_submit():
        with unit_of_work():
            sent = services.mail_seat_links(current_user, panel)
        flash(_("%(n)d confirmation links sent by e-mail.", n=sent), "success")
    return redirect(url_for("panel_signup.confirmations", panel_id=panel_id))


# --- public: sign-up ---------------------------------------------------------------------------------

def _bad_code_attempt(response: Response) -> bool:
    return bool(g.get("panel_bad_code"))


@bp.route("/<int:panel_id>/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PANEL_SIGNUP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PANEL_CODE"], methods=["POST"], deduct_when=_bad_code_attempt)
def signup(panel_id: int):
    """Sign up for a panel with an invitation code, or volunteer (verified residents, if open)."""
    panel = services.get_panel(panel_id)
    description = render_markdown(panel.description or "")
    if not services.signup_open(panel):
        return render_template("panels/invitations/signup_closed.html", panel=panel, description=description)
    volunteer_ok = panel.open_to_volunteers and can(current_user, Permission.PARTICIPATE)
    data = request.form if request.method == "POST" else None
    defaults = {}
    if request.method == "GET" and volunteer_ok:
        defaults = {"full_name": current_user.display_name, "email": current_user.email}
    form = signup_form(panel.features, code_required=not volunteer_ok, formdata=data, **defaults)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            answers = {f["name"]: getattr(form, f"feature_{i}").data for i, f in enumerate(panel.features or [])}
            try:
                with unit_of_work():
                    respondent = services.sign_up(current_user, panel, services.SignupData(
                        answers=answers, full_name=form.full_name.data, email=form.email.data,
                        phone=form.phone.data or "", consent=form.consent.data, code=form.code.data or "",
                        language=str(get_locale() or "")))
                    number = respondent.number
            except (InvalidInput, Conflict, PermissionDenied) as error:
                if error.field == "code":
                    g.panel_bad_code = True
                _field_error(form, error)
            except PhaseClosed as error:
                flash(error.message, "error")
                return redirect(url_for("panel_signup.signup", panel_id=panel_id))
            else:
                session[f"panel_signup_{panel_id}"] = number
                return redirect(url_for("panel_signup.thanks", panel_id=panel_id), code=303)
    page = render_template("panels/invitations/signup.html", panel=panel, form=form, description=description,
                           features=feature_fields(form, panel.features), volunteer_ok=volunteer_ok)
    return _no_store(Response(page, status=status))


@bp.get("/<int:panel_id>/signup/thanks")
def thanks(panel_id: int):
    """The confirmation page after signing up."""
    panel = services.get_panel(panel_id)
    number = session.get(f"panel_signup_{panel_id}")
    return render_template("panels/invitations/thanks.html", panel=panel, number=number)


# --- public: confirm or decline a seat ------------------------------------------------------------------

@bp.get("/<int:panel_id>/seat/<token>")
def seat(panel_id: int, token: str):
    """The selected person's page: confirm (logged in with the sign-up e-mail) or decline."""
    panel = services.get_panel(panel_id)
    respondent = services.respondent_from_token(panel, token)
    page = render_template(
        "panels/invitations/seat.html", panel=panel, respondent=respondent, token=token,
        masked_email=services.mask_email(respondent.email), action_form=ActionForm(), decline_form=DeclineForm(),
        login_url=url_for("accounts.login", next=request.path),
        register_url=url_for("accounts.register", next=request.path))
    return _no_store(Response(page))


@bp.post("/<int:panel_id>/seat/<token>/confirm")
@login_required
def confirm(panel_id: int, token: str):
    panel = services.get_panel(panel_id)
    respondent = services.respondent_from_token(panel, token)
    if ActionForm().validate_on_submit():
        try:
            with unit_of_work():
                services.confirm_seat(current_user, respondent)
        except (PermissionDenied, PhaseClosed, Conflict) as error:
            flash(error.message, "error")
            return redirect(url_for("panel_signup.seat", panel_id=panel_id, token=token))
        flash(_("Thank you: your seat on the panel is confirmed."), "success")
    return redirect(url_for("panel_signup.seat", panel_id=panel_id, token=token))


@bp.post("/<int:panel_id>/seat/<token>/decline")
def decline(panel_id: int, token: str):
    panel = services.get_panel(panel_id)
    respondent = services.respondent_from_token(panel, token)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.decline_seat(current_user, respondent, reason=form.reason.data or "")
        except AgoraError as error:  # already answered, or the replacement service refused
            flash(error.message, "error")
        else:
            flash(_("You have declined your seat. Thank you for letting us know; someone else will be drawn."),
                  "info")
    return redirect(url_for("panel_signup.seat", panel_id=panel_id, token=token))
