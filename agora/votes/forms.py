from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.votes import services


def _choices(mapping):
    return [SelectChoice(key, label) for key, label in mapping.items()]


class VoteForm(FlaskForm):
    title = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Explanation (Markdown)"), validators=[Optional(), Length(max=5000)])
    options = TextAreaField(_l("Options"), validators=[DataRequired()],
                            description=_l("One option per line, in the order they appear on the ballot."))
    seats = IntegerField(_l("Seats to fill"), default=1, validators=[InputRequired(), NumberRange(min=1, max=29)])
    method = SelectField(_l("Counting method"), default="",
                         choices=[SelectChoice("", _l("Default: IRV for one seat, STV for several")),
                                  *_choices(services.METHODS)])
    stv_rule = SelectField(_l("STV rule"), choices=_choices(services.STV_RULES), default="wigm")
    overvote_rule = SelectField(_l("Two options at the same rank"), choices=_choices(services.OVERVOTE_RULES),
                                default="reject")
    skipped_rule = SelectField(_l("Skipped ranks"), choices=_choices(services.SKIPPED_RULES), default="reject")
    tie_break = SelectField(_l("Tie-break rule"), choices=[SelectChoice("", _l("Default for the method"))]
                            + _choices(services.TIE_BREAKS), default="")
    lot_seed = IntegerField(_l("Lot seed"), validators=[Optional(), NumberRange(min=0, max=services.MAX_SEED - 1)],
                            description=_l("Published before voting; leave empty to draw one at random."))
    eligibility = SelectField(_l("Who may vote"), choices=_choices(services.ELIGIBILITY), default="all")
    district_id = SelectField(_l("District"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                              choices=[], validate_choice=False)
    panel_id = SelectField(_l("Citizens' panel"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                           choices=[], validate_choice=False)
    opens_at = DateTimeLocalField(_l("Opens at"), validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at"), validators=[InputRequired()], format="%Y-%m-%dT%H:%M")
    submit = SubmitField(_l("Save the vote"))


class ActionForm(FlaskForm):
    """A bare button (open now, close now): only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup by GET

    receipt = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=40)])
