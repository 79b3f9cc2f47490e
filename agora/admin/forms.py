from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class RoleForm(FlaskForm):
    role = HiddenField(validators=[])
    action = HiddenField(validators=[])
    submit = SubmitField(_l("Apply"))
