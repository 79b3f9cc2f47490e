from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class CensusImportForm(FlaskForm):
    file = FileField(
        _l("Census register (CSV)"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))],
        description=_l("Columns: document_number, date_of_birth, postal_code, district. One header line."),
    )
    submit = SubmitField(_l("Import"))


class VerifyResidencyForm(FlaskForm):
    document_number = StringField(
        _l("Identity document number"), validators=[DataRequired(), Length(max=40)],
        description=_l("As printed on your identity card or residence permit."),
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[DataRequired()])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=16)])
    submit = SubmitField(_l("Verify my residency"))
