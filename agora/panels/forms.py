"""Forms of the clerk's panel pages (CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.panels import services


class PanelForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=10000)])
    size = IntegerField(_l("Panel size"), default=24, validators=[InputRequired(), NumberRange(min=2, max=1000)],
                        description=_l("How many panellists are drawn."))
    features = TextAreaField(
        _l("Feature questions"), validators=[DataRequired(), Length(max=5000)],
        description=_l("One question per line: name (Label): value, value, … — for example "
                       "“gender (Gender): female, male, other” or “age_band (Age): 16-29, 30-44, 45-64, 65+”. "
                       "The name is the column of the respondents file."))
    district_ids = SelectMultipleField(_l("Districts"), coerce=int, choices=[], validate_choice=False,
                                       description=_l("Leave empty for the whole city."))
    open_to_volunteers = BooleanField(_l("Verified residents may volunteer"))
    signup_closes_at = DateTimeLocalField(_l("Sign-up closes"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    draw_at = DateTimeLocalField(_l("Public draw"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    work_ends_at = DateTimeLocalField(_l("Work ends"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    submit = SubmitField(_l("Save the panel"))


class RespondentsUploadForm(FlaskForm):
    file = FileField(_l("Respondents file (CSV)"), validators=[FileRequired()],
                     description=_l("One row per respondent: a column per feature question; optional columns "
                                    "number, name, email, phone, address, postal_code, language."))
    replace = BooleanField(_l("Replace the respondents of earlier uploads"))
    submit = SubmitField(_l("Upload"))


class QuotasForm(FlaskForm):
    """The min/max inputs are read from the request by name (min-<i>, max-<i>); this carries the CSRF token."""

    check = SubmitField(_l("Check feasibility"))
    propose = SubmitField(_l("Propose quotas"))
    save = SubmitField(_l("Save the quotas"))


class CommitForm(FlaskForm):
    method = SelectField(_l("Selection method"), default="leximin",
                         choices=[SelectChoice(k, v) for k, v in services.METHODS.items()])
    lottery_panels = IntegerField(
        _l("Lottery of m panels (for a physical draw)"), validators=[Optional(), NumberRange(min=2, max=100000)],
        description=_l("Leave empty to draw directly from the fair distribution; give m (e.g. 1000) to round it "
                       "to a list of m equally likely panels, one of which the seed picks."))
    alternates = IntegerField(_l("Alternates"), validators=[InputRequired(), NumberRange(min=0, max=1000)],
                              description=_l("Ranked reserve list drawn with the panel, for replacements."))
    submit = SubmitField(_l("Publish the commitment"))


class SeedForm(FlaskForm):
    seed = StringField(_l("Seed"), validators=[DataRequired(), Length(max=200)],
                       description=_l("The result of the dice or lottery at the public session, exactly as announced."))
    submit = SubmitField(_l("Enter the seed and draw"))


class DropoutForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record the drop-out"))


class ActionForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
