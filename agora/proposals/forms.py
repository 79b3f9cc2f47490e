from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.proposals.models import RETIRE_REASONS

RETIRE_LABELS = {
    "duplicate": _l("It duplicates another proposal"),
    "started": _l("The work has already started"),
    "unfeasible": _l("It is not feasible"),
    "done": _l("It is done"),
    "other": _l("Another reason"),
}


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=4, max=150)])
    summary = StringField(_l("Summary"), validators=[DataRequired(), Length(min=10, max=300)],
                          description=_l("One sentence shown in the list of proposals."))
    body = TextAreaField(_l("Proposal"), validators=[DataRequired(), Length(min=10, max=20000)],
                         description=_l("Markdown: **bold**, *italic*, lists and links. HTML is not allowed."),
                         render_kw={"rows": 12})
    district_id = SelectField(_l("Where"), coerce=str, validators=[Optional()])
    panel_goal_id = SelectField(_l("Responds to a citizens' panel goal"), coerce=str, validators=[Optional()],
                                choices=[SelectChoice("", _l("No panel goal"))],
                                description=_l("Optional: an adopted panel goal this proposal helps reach."))
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=220)],
                       description=_l("Up to five, separated by commas, for example: mobility, trees."))
    attachments = MultipleFileField(
        _l("Images and PDF documents"), render_kw={"accept": "image/png,image/jpeg,image/webp,application/pdf"},
        description=_l("Optional. Up to three files: images up to 1 MB, PDF documents up to 3 MB."))
    preview = SubmitField(_l("Preview"))
    save_draft = SubmitField(_l("Save as draft"))
    publish = SubmitField(_l("Publish"))

    def set_panel_goals(self, goals) -> None:
        """``goals``: (id, label) pairs of adopted panel goals (agora.panelwork.services.goal_choices)."""
        self.panel_goal_id.choices = [SelectChoice("", _l("No panel goal"))] + [
            SelectChoice(str(goal_id), label) for goal_id, label in goals]

    def set_districts(self, districts) -> None:
        self.district_id.choices = [SelectChoice("", _l("The whole city"))] + [
            SelectChoice(str(d.id), d.name) for d in districts]


class RetireForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=[SelectChoice(r, RETIRE_LABELS[r]) for r in RETIRE_REASONS],
                         validators=[DataRequired()])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=500)],
                                description=_l("Shown on the proposal, for example a link to the duplicate."),
                                render_kw={"rows": 3})
    submit = SubmitField(_l("Retire the proposal"))


class SendToVoteForm(FlaskForm):
    """Administrators: a successful proposal becomes an option of a vote that has not opened yet."""

    vote_id = SelectField(_l("Vote"), coerce=int, validators=[InputRequired()])
    label = StringField(_l("Option on the ballot"), validators=[Optional(), Length(max=120)],
                        description=_l("Leave empty to use the proposal's title."))
    submit = SubmitField(_l("Add to this vote"))

    def set_votes(self, votes) -> None:
        self.vote_id.choices = [SelectChoice(v.id, v.title) for v in votes]


class SendToBudgetForm(FlaskForm):
    """Administrators: a successful proposal becomes a project of a budget that accepts projects."""

    heading_id = SelectField(_l("Budget and heading"), coerce=int, validators=[InputRequired()])
    estimated_cost = IntegerField(_l("Estimated cost"), validators=[InputRequired(), NumberRange(min=1)],
                                  description=_l("In the budget's currency, whole units."))
    submit = SubmitField(_l("Create the project"))

    def set_headings(self, headings) -> None:
        self.heading_id.choices = [SelectChoice(h.id, f"{h.process.title} · {h.name}") for h in headings]
