from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

STANCE_LABELS = {"for": _l("For"), "neutral": _l("Neutral"), "against": _l("Against")}


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=2000)],
                         description=_l("Markdown allowed; mention someone with @ and their name without spaces."),
                         render_kw={"rows": 4})
    stance = SelectField(_l("Your stance"), choices=[SelectChoice("", _l("No stance"))] + [
        SelectChoice(k, v) for k, v in STANCE_LABELS.items()],
                         validators=[Optional()])
    parent_id = HiddenField()
    submit = SubmitField(_l("Publish comment"))


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 5})
    submit = SubmitField(_l("Save the change"))
