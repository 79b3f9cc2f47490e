from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, FloatField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from agora.commitments.models import COMMITMENT_KINDS, ORGANISATION_KINDS, VISIBILITIES


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class GoalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)],
                                description=_l("Markdown: **bold**, *italic*, lists and links."))
    district_id = SelectField(_l("District"), coerce=str, validators=[Optional()])
    indicator_name = StringField(_l("Indicator"), validators=[DataRequired(), Length(max=200)],
                                 description=_l("What is measured, e.g. “share of school trips by bike or on foot”."))
    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=40)],
                       description=_l("For example “percent” or “km”."))
    baseline = FloatField(_l("Baseline (value today)"), validators=[InputRequired(message=_l("Enter a number."))])
    target = FloatField(_l("Target"), validators=[InputRequired(message=_l("Enter a number."))])
    deadline = DateField(_l("Deadline"), validators=[DataRequired()])
    source_panel_goal_id = SelectField(_l("Responds to a citizens' panel goal"), coerce=str, validators=[Optional()],
                                       description=_l("Optional: the adopted panel goal this shared goal takes up."))
    submit = SubmitField(_l("Create the goal"))


class MeasurementForm(FlaskForm):
    measured_on = DateField(_l("Measured on"), validators=[DataRequired()])
    value = FloatField(_l("Measured value"), validators=[InputRequired(message=_l("Enter a number."))])
    note = StringField(_l("Source or note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record the value"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices(ORGANISATION_KINDS))
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    submit = SubmitField(_l("Register the organisation"))


class MemberForm(FlaskForm):
    email = StringField(_l("E-mail address of the member"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Add member"))


class CommitmentForm(FlaskForm):
    actor = SelectField(_l("Who commits"), coerce=str)
    kind = RadioField(_l("Kind of commitment"), choices=_choices(COMMITMENT_KINDS), default="pledge")
    title = StringField(_l("Your commitment in one sentence"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Length(max=10000)],
                                description=_l("What you will do. Markdown is allowed."))
    baseline_value = FloatField(_l("Starting value"), validators=[Optional()],
                                description=_l("Result commitments: the value today. Leave empty to start "
                                               "from your first measured value."))
    target_value = FloatField(_l("Target value"), validators=[Optional()],
                              description=_l("Required for a result commitment."))
    target_unit = StringField(_l("Unit of the target"), validators=[Optional(), Length(max=40)],
                              description=_l("Required for a result commitment, for example “percent of trips”."))
    deadline = DateField(_l("Deadline"), validators=[Optional()],
                         description=_l("Required for a result commitment."))
    visibility = SelectField(_l("Who can see it"), choices=_choices(VISIBILITIES), default="public")
    submit = SubmitField(_l("Commit"))


class WordingForm(FlaskForm):
    """The title and description of a goal or a commitment, reworded after it was made."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)],
                                description=_l("Markdown: **bold**, *italic*, lists and links."))
    submit = SubmitField(_l("Save the changes"))


class UpdateForm(FlaskForm):
    happened_on = DateField(_l("Date"), validators=[DataRequired()])
    text = TextAreaField(_l("What happened"), validators=[Length(max=5000)])
    value = FloatField(_l("Measured value"), validators=[Optional()])
    photo = FileField(_l("Photo (optional)"), description=_l("JPEG, PNG or WebP, at most 2 MB."))
    photo_alt = StringField(_l("Describe the photo"), validators=[Optional(), Length(max=300)],
                            description=_l("For people who cannot see it. Required with a photo."))
    submit = SubmitField(_l("Post the update"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why do you withdraw it?"), validators=[DataRequired(), Length(min=10, max=1000)],
                           description=_l("Shown publicly with the commitment."))
    submit = SubmitField(_l("Withdraw the commitment"))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment from the city"), validators=[DataRequired(), Length(max=3000)])
    submit = SubmitField(_l("Post the comment"))
