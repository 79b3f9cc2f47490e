from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

FLAG_LABELS = {"spam": _l("Spam or advertising"), "offensive": _l("Offensive or abusive"),
               "off_topic": _l("Off topic")}
ACTION_LABELS = {"hide": _l("Hide"), "restore": _l("Restore"), "dismiss": _l("Dismiss the reports"),
                 "block": _l("Block the authors")}


class FlagForm(FlaskForm):
    reason = SelectField(_l("Reason for the report"), choices=[SelectChoice(k, v) for k, v in FLAG_LABELS.items()],
                         validators=[DataRequired()])
    submit = SubmitField(_l("Report"))


class BulkForm(FlaskForm):
    action = SelectField(_l("Action"), choices=[SelectChoice(k, v) for k, v in ACTION_LABELS.items()],
                         validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)],
                         description=_l("Required to hide or block. Recorded in the audit log and shown to the "
                                        "author."))
    submit = SubmitField(_l("Apply to the selected items"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)],
                         description=_l("Recorded in the audit log and shown to the person concerned."))
    submit = SubmitField(_l("Confirm"))
