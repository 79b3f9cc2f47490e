from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.panelwork.models import CHOICES, MAJORITY_RULES

MARKDOWN_HELP = _l("Markdown: **bold**, *italic*, lists and links. HTML is not allowed.")


class MemberForm(FlaskForm):
    email = EmailField(_l("E-mail address of the account"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("member", _l("Member")),
                                            SelectChoice("facilitator", _l("Facilitator"))], default="member")
    submit = SubmitField(_l("Add to the panel"))


class SettingsForm(FlaskForm):
    quorum_percent = IntegerField(_l("Quorum (percent of the active members who must vote)"),
                                  validators=[InputRequired(), NumberRange(min=0, max=100)],
                                  description=_l("Abstentions count towards the quorum."))
    majority = SelectField(_l("Majority needed to adopt a goal"),
                           choices=[SelectChoice(k, v) for k, v in MAJORITY_RULES.items()])
    submit = SubmitField(_l("Save the adoption rule"))


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    starts_at = DateTimeLocalField(_l("Date and time"), validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=20000)], description=MARKDOWN_HELP,
                           render_kw={"rows": 8})
    submit = SubmitField(_l("Save the session"))


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(min=10, max=50000)],
                            description=MARKDOWN_HELP, render_kw={"rows": 14})
    submit = SubmitField(_l("Publish the minutes"))


class GoalForm(FlaskForm):
    title = StringField(_l("Goal"), validators=[DataRequired(), Length(min=5, max=200)],
                        description=_l("One short sentence, e.g. “More safe bicycle routes to schools”."))
    text = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(min=10, max=10000)],
                         description=MARKDOWN_HELP, render_kw={"rows": 8})
    theme = StringField(_l("Theme"), validators=[Optional(), Length(max=80)],
                        description=_l("Optional, e.g. mobility, green space, housing."))
    submit = SubmitField(_l("Save the goal"))


class AmendmentForm(FlaskForm):
    text = TextAreaField(_l("New text"), validators=[DataRequired(), Length(min=10, max=10000)],
                         description=_l("The whole explanation as you would like it to read."),
                         render_kw={"rows": 8})
    reason = TextAreaField(_l("Reason for the amendment"), validators=[DataRequired(), Length(min=5, max=2000)],
                           render_kw={"rows": 3})
    submit = SubmitField(_l("Propose the amendment"))


class BallotForm(FlaskForm):
    choice = RadioField(_l("Your vote"), choices=[SelectChoice(k, v) for k, v in CHOICES.items()],
                        validators=[InputRequired(message=_l("Choose for, against or abstain."))])
    submit = SubmitField(_l("Cast my vote"))


class ActionForm(FlaskForm):
    """A bare button (accept, reject, remove, open, close): only the CSRF token."""

    submit = SubmitField(_l("Confirm"))
