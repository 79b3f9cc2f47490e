"""Forms of the invitation lottery, the public sign-up and the confirm/decline page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.panels.invitation_services import MAX_INVITATIONS


class InvitationDrawForm(FlaskForm):
    count = IntegerField(_l("Number of invitations"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_INVITATIONS)],
        description=_l("Letters to send, shared over the districts in proportion to their population."))
    seed = StringField(_l("Published seed"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Chosen in public (dice, a lottery number) and published with the list: "
                                      "the same register and seed always give the same list."))
    submit = SubmitField(_l("Draw the invitations"))


class ActionForm(FlaskForm):
    """A bare button (verify, mail the links, confirm): only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)],
                           description=_l("It helps the city; you do not have to give one."))
    submit = SubmitField(_l("Decline my seat"))


class SignupForm(FlaskForm):
    """The fixed part of the sign-up form; :func:`signup_form` adds one select per panel question."""

    code = StringField(_l("Invitation code"), validators=[Optional(), Length(max=20)],
                       description=_l("The 10 letters and digits printed on your letter, e.g. ABCDE-23456."))
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(min=2, max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       description=_l("We write to you here if you are drawn."))
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])
    consent = BooleanField(
        _l("I agree that the city processes my name, contact details and answers to organise this panel. "
           "Only city clerks see my name and contact details."),
        validators=[DataRequired(message=_l("Agree to the processing of your personal data to sign up."))])
    submit = SubmitField(_l("Sign up"))


def signup_form(features: list[dict], *, code_required: bool, formdata=None, **kwargs) -> SignupForm:
    """A sign-up form with a required select per feature question (field ``feature_<index>``)."""

    class PanelSignupForm(SignupForm):
        pass

    for index, feature in enumerate(features or []):
        label = feature.get("label") or feature.get("name")
        choices = [SelectChoice("", _l("— choose —"))] + [SelectChoice(str(v), str(v)) for v in feature["values"]]
        setattr(PanelSignupForm, f"feature_{index}", SelectField(
            label, choices=choices, default="",
            validators=[DataRequired(message=_l("Answer this question."))]))
    form = PanelSignupForm(formdata=formdata, **kwargs) if formdata is not None else PanelSignupForm(**kwargs)
    if code_required:
        form.code.validators = [DataRequired(message=_l("Enter the invitation code printed on your letter.")),
                                Length(max=20)]
        form.code.flags.required = True
    return form


def feature_fields(form: SignupForm, features: list[dict]):
    return [getattr(form, f"feature_{i}") for i in range(len(features or []))]
