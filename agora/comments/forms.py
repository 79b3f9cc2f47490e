from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

STANCE_LABELS = {"for": _l("For"), "neutral": _l("Neutral"), "against": _l("Against")}


# A thread's comment form is written out in its template (comments/_macros.html: building the form
# for every page cost more than the rest of its forms); its texts are these, shared with CommentForm,
# which checks what is posted.
COMMENT_TEXTS = {
    "body": _l("Your comment"),
    "help": _l("Markdown allowed; mention someone with @ and their name without spaces."),
    "stance": _l("Your stance"),
    "no_stance": _l("No stance"),
    "submit": _l("Publish comment"),
}
COMMENT_MAX_LENGTH = 2000


class CommentForm(FlaskForm):
    body = TextAreaField(COMMENT_TEXTS["body"], validators=[DataRequired(), Length(max=COMMENT_MAX_LENGTH)],
                         description=COMMENT_TEXTS["help"], render_kw={"rows": 4})
    stance = SelectField(COMMENT_TEXTS["stance"], choices=[SelectChoice("", COMMENT_TEXTS["no_stance"])] + [
        SelectChoice(k, v) for k, v in STANCE_LABELS.items()],
                         validators=[Optional()])
    parent_id = HiddenField()
    submit = SubmitField(COMMENT_TEXTS["submit"])


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 5})
    submit = SubmitField(_l("Save the change"))
