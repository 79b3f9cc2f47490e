"""Budget forms: the process (administrators), a project (residents), valuation (valuators)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agora.budgets import services
from agora.budgets.models import PHASES


def _choices(mapping):
    return [SelectChoice(key, label) for key, label in mapping.items()]


class ProcessForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=10000)])
    city_name = StringField(_l("Name of the city-wide heading"), validators=[Optional(), Length(max=120)])
    city_amount = IntegerField(_l("City-wide budget (EUR)"),
                               validators=[InputRequired(), NumberRange(min=1, max=services.MAX_AMOUNT)])
    rule = SelectField(_l("Allocation rule"), choices=_choices(services.RULES), default="mes")
    ballot_type = SelectField(_l("Ballot type"), choices=_choices(services.BALLOT_TYPES), default="knapsack")
    min_projects = IntegerField(_l("Minimum number of projects per ballot"), default=0,
                                validators=[Optional(), NumberRange(min=0, max=200)])
    max_projects = IntegerField(_l("Maximum number of projects per ballot"),
                                validators=[Optional(), NumberRange(min=1, max=200)],
                                description=_l("Leave empty for no maximum (knapsack and cumulative ballots). For "
                                               "a ranking ballot: the number of places to rank."))
    total_points = IntegerField(_l("Points each voter distributes (cumulative ballots)"),
                                validators=[Optional(), NumberRange(min=1, max=services.MAX_POINTS)])
    max_points = IntegerField(_l("Most points one project may get (cumulative ballots)"),
                              validators=[Optional(), NumberRange(min=1, max=services.MAX_POINTS)],
                              description=_l("Leave empty to allow all the points on one project."))
    ballot_size = IntegerField(_l("Projects per heading on the ballot"), default=10,
                               validators=[InputRequired(), NumberRange(min=1, max=200)],
                               description=_l("The most supported feasible projects of each heading go to the ballot."))
    submit = SubmitField(_l("Save the budget"))


# One optional start date per phase, as announced in the calendar.
for _phase in PHASES:
    setattr(ProcessForm, f"date_{_phase}", DateField(services.PHASE_LABELS[_phase], validators=[Optional()]))


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[DataRequired(), Length(max=10000)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)],
                           description=_l("A street, square or building, so residents know where."))
    heading_id = SelectField(_l("Heading"), coerce=int, choices=[])
    estimated_cost = IntegerField(_l("Estimated cost (EUR)"),
                                  validators=[InputRequired(), NumberRange(min=1, max=services.MAX_AMOUNT)])
    image = FileField(_l("Image (optional)"), render_kw={"accept": "image/png,image/jpeg,image/webp"},
                      description=_l("A PNG, JPEG or WebP image, at most 1 MB. Location and camera details are "
                                     "removed before it is published."))
    image_alt = StringField(_l("Describe the image"), validators=[Optional(), Length(max=300)],
                            description=_l("For people who cannot see it. Required with an image."))
    panel_goal_id = SelectField(_l("Responds to a citizens' panel goal"), coerce=str, validators=[Optional()],
                                choices=[SelectChoice("", _l("No panel goal"))],
                                description=_l("Optional: an adopted panel goal this project helps reach."))
    submit = SubmitField(_l("Submit the project"))

    def set_panel_goals(self, goals) -> None:
        """``goals``: (id, label) pairs of adopted panel goals (agora.panelwork.services.goal_choices)."""
        self.panel_goal_id.choices = [SelectChoice("", _l("No panel goal"))] + [
            SelectChoice(str(goal_id), label) for goal_id, label in goals]


class ProjectImageForm(FlaskForm):
    image = FileField(_l("Image"), render_kw={"accept": "image/png,image/jpeg,image/webp"},
                      description=_l("A PNG, JPEG or WebP image, at most 1 MB. Location and camera details are "
                                     "removed before it is published."))
    image_alt = StringField(_l("Describe the image"), validators=[DataRequired(), Length(max=300)],
                            description=_l("For people who cannot see it."))
    submit = SubmitField(_l("Save the image"))


class ValuationForm(FlaskForm):
    feasibility = SelectField(_l("Feasibility"), choices=_choices(services.FEASIBILITY))
    price = IntegerField(_l("Official price (EUR)"), validators=[Optional(), NumberRange(min=1)])
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)],
                                description=_l("Required for an unfeasible project; published with it."))
    submit = SubmitField(_l("Save the valuation"))


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Phase"), choices=_choices(services.PHASE_LABELS))
    submit = SubmitField(_l("Change the phase"))


class DeleteMilestoneForm(FlaskForm):
    reason = StringField(_l("Why delete it?"), validators=[DataRequired(), Length(min=3, max=500)],
                         description=_l("The audit log keeps the milestone with this reason."))
    submit = SubmitField(_l("Delete the milestone"))


class ActionForm(FlaskForm):
    """A bare button (support, close balloting): only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup by GET

    receipt = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=40)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), validators=[DataRequired(), Length(min=3, max=200)],
                        description=_l("For example: “Design approved” or “Works finished”."))
    due_on = DateField(_l("Date (planned or reached)"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=_choices(services.MILESTONE_STATUSES), default="planned")
    percent = IntegerField(_l("Progress (%)"), default=0, validators=[Optional(), NumberRange(min=0, max=100)],
                           description=_l("0 to 100. A milestone marked done counts as 100%."))
    description = TextAreaField(_l("What happened or what is planned"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save the milestone"))
