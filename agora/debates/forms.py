from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class DebateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=4, max=150)])
    body = TextAreaField(_l("What should we discuss?"), validators=[DataRequired(), Length(min=10, max=10000)],
                         description=_l("Markdown: **bold**, *italic*, lists and links. HTML is not allowed."),
                         render_kw={"rows": 10})
    submit = SubmitField(_l("Open the debate"))
