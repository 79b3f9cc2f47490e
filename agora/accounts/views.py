"""Account pages. Each POST calls one service inside one unit of work."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from agora.accounts import services
from agora.accounts.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmailNotificationsForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from agora.db import unit_of_work
from agora.errors import InvalidInput
from agora.extensions import limiter
from agora.web import form_error, safe_next_url

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _limit(name: str):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])




@bp.route("/register", methods=["GET", "POST"])
@_limit("RATELIMIT_REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = services.register_user(
                    email=form.email.data,
                    display_name=form.display_name.data,
                    password=form.password.data,
                    locale=session.get("locale")
                    or request.accept_languages.best_match(current_app.config["LANGUAGES"]),
                )
        except InvalidInput as error:
            form_error(form, error)
        else:
            if user is not None:
                login_user(user)
            # Same answer whether or not the address already had an account.
            return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    try:
        with unit_of_work():
            services.confirm_email(token)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("main.index"))
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    return redirect(url_for("census.verify") if current_user.is_authenticated else url_for("accounts.login"))


@bp.post("/confirm/resend")
@login_required
@_limit("RATELIMIT_SENSITIVE")
def resend_confirmation():
    if ResendConfirmationForm().validate_on_submit():
        with unit_of_work():
            services.resend_confirmation(current_user)
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("accounts.settings"))


@bp.route("/login", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@_limit("RATELIMIT_SENSITIVE")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.request_password_reset(form.email.data)
        flash(_("If an account uses this address, we have sent it a link to reset the password."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@_limit("RATELIMIT_SENSITIVE")
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.reset_password(token, form.password.data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            logout_user()
            flash(_("Your password has been changed. You can log in now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/settings")
@login_required
def settings():
    return _settings_page()


def _settings_page(**forms):
    from agora.notifications.services import mail_enabled

    defaults = {
        "password_form": ChangePasswordForm, "delete_form": DeleteAccountForm, "resend_form": ResendConfirmationForm,
        "language_form": lambda: LanguageForm(locale=current_user.locale or "en"),
        "mail_form": lambda: EmailNotificationsForm(enabled=current_user.email_notifications),
    }
    for name, make in defaults.items():
        forms.setdefault(name, make())
    return render_template("accounts/settings.html", mail_enabled=mail_enabled(), **forms)


@bp.post("/notifications")
@login_required
def email_notifications():
    form = EmailNotificationsForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.set_email_notifications(current_user, form.enabled.data)
        flash(_("Your notifications will also come by e-mail.") if form.enabled.data
              else _("Your notifications will no longer come by e-mail."), "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.change_password(
                    current_user, current_password=form.current_password.data, new_password=form.new_password.data
                )
        except InvalidInput as error:
            form_error(form, error)
        else:
            login_user(current_user._get_current_object())  # keep this session: the version changed
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(password_form=form), 400


@bp.post("/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.delete_account(current_user, password=form.password.data)
        except InvalidInput as error:
            form_error(form, error)
        else:
            logout_user()
            flash(_("Your account has been deleted. What you wrote stays, without your name."), "info")
            return redirect(url_for("main.index"))
    return _settings_page(delete_form=form), 400
