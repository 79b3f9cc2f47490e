"""Participatory budgets: phases, headings, projects, valuation, supports, secret ballots, results.

Who may do what, and when (checked here, not in the views):

* administrators create a process, change its rules until balloting starts (then they are
  locked), move it from phase to phase and close balloting;
* verified residents submit projects while *accepting* and support them while *selecting*
  (one support per project, in the city-wide heading and their own district's);
* valuators (clerks) review feasibility and set the official price while *reviewing* or
  *valuating*;
* verified residents cast one secret ballot per heading they may vote in while *balloting*,
  changeable until balloting closes with the change key given at casting (the shared ballot
  box, :mod:`agora.ballots`);
* when balloting closes, the allocation is computed by :mod:`voting.budget` with the announced
  rule, synchronously in the closing request (fast for city-sized votes; a background job can
  take over for very large ones), and stored on each heading.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from agora import audit, jobs
from agora.ballots import services as ballot_box
from agora.ballots.services import CastReceipt
from agora.budgets.models import (
    PHASES,
    BudgetHeading,
    BudgetMilestone,
    BudgetProcess,
    BudgetProject,
    BudgetSupport,
)
from agora.db import db, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.permissions import Permission, can, object_rule, require

if TYPE_CHECKING:
    from agora.accounts.models import User

PHASE_LABELS = {
    "informing": _l("Informing"),
    "accepting": _l("Accepting projects"),
    "reviewing": _l("Reviewing projects"),
    "selecting": _l("Selecting projects (supports)"),
    "valuating": _l("Valuating projects (prices)"),
    "balloting": _l("Balloting"),
    "reviewing_ballots": _l("Reviewing ballots"),
    "finished": _l("Finished: results published"),
}
RULES = {
    "mes": _l("Method of Equal Shares, completed by raising each voter's share (add1)"),
    "greedy": _l("Greedy: most votes first, skipping projects that no longer fit"),
}
BALLOT_TYPES = {
    "knapsack": _l("Approval within the heading's budget: pick projects until the money runs out"),
    "approval": _l("Approval of a minimum and maximum number of projects"),
    "cumulative": _l("Cumulative points: distribute a number of points among the projects"),
    "ranking": _l("Ranking: rank up to a number of projects, first choice first"),
}
# How each ballot type is stored in the .pb export and counted by voting.budget.
VOTE_TYPES = {"knapsack": "approval", "approval": "approval", "cumulative": "cumulative", "ranking": "ordinal"}
MAX_POINTS = 1000
MILESTONE_STATUSES = {"planned": _l("Planned"), "in_progress": _l("In progress"), "delayed": _l("Delayed"),
                      "done": _l("Done")}
# A funded project's execution, derived from its milestones (shown in this order on the process page).
EXECUTION_STATUSES = {"delayed": _l("Delayed"), "in_progress": _l("In progress"), "not_started": _l("Not started"),
                      "completed": _l("Completed")}
FOLLOW_TYPE = "budget_projects"
FEASIBILITY = {"pending": _l("Not reviewed yet"), "feasible": _l("Feasible"), "unfeasible": _l("Unfeasible")}
RESULTS_PHASES = ("reviewing_ballots", "finished")
MAX_AMOUNT = 10**12


def phase_index(phase: str) -> int:
    return PHASES.index(phase)


def rules_locked(process: BudgetProcess) -> bool:
    """The rules that decide the outcome are locked from the moment balloting starts."""
    return phase_index(process.phase) >= phase_index("balloting")


def results_published(process: BudgetProcess) -> bool:
    return process.phase in RESULTS_PHASES


# --- processes and headings ---------------------------------------------------------------------

@dataclass
class ProcessRules:
    """Everything an administrator decides about a process; validated as a whole."""

    title: str
    city_amount: int
    description: str = ""
    district_amounts: dict[int, int] = field(default_factory=dict)  # district id -> amount (absent: none)
    rule: str = "mes"
    ballot_type: str = "knapsack"
    min_projects: int = 0
    max_projects: int | None = None
    ballot_size: int = 10
    total_points: int | None = None
    max_points: int | None = None
    schedule: dict[str, date] = field(default_factory=dict)
    city_name: str = ""


def _clean_rules(rules: ProcessRules) -> ProcessRules:
    from agora.census.models import District

    title = " ".join((rules.title or "").split())
    if not 3 <= len(title) <= 200:
        raise InvalidInput(_("The title needs 3 to 200 characters."), field="title")
    if rules.rule not in RULES:
        raise InvalidInput(_("Choose an allocation rule from the list."), field="rule")
    if rules.ballot_type not in BALLOT_TYPES:
        raise InvalidInput(_("Choose a ballot type from the list."), field="ballot_type")
    if not rules.city_amount or not 0 < rules.city_amount <= MAX_AMOUNT:
        raise InvalidInput(_("The city-wide heading needs a positive amount."), field="city_amount")
    amounts = {}
    for district_id, amount in (rules.district_amounts or {}).items():
        if amount is None or amount == 0:
            continue
        if not 0 < amount <= MAX_AMOUNT:
            raise InvalidInput(_("A district's amount must be positive."), field="district_amounts")
        if db.session.get(District, district_id) is None:
            raise InvalidInput(_("There is no such district."), field="district_amounts")
        amounts[district_id] = int(amount)
    min_projects = int(rules.min_projects or 0)
    max_projects = int(rules.max_projects) if rules.max_projects else None
    if min_projects < 0 or (max_projects is not None and max_projects < max(min_projects, 1)):
        raise InvalidInput(_("The maximum number of projects must be at least the minimum, and at least 1."),
                           field="max_projects")
    if rules.ballot_type == "approval" and max_projects is None:
        raise InvalidInput(_("An approval ballot needs a maximum number of projects."), field="max_projects")
    if rules.ballot_type == "ranking" and max_projects is None:
        raise InvalidInput(_("A ranking ballot needs a maximum number of projects: the number of places to rank."),
                           field="max_projects")
    total_points = max_points = None
    if rules.ballot_type == "cumulative":
        total_points = int(rules.total_points or 0)
        if not 1 <= total_points <= MAX_POINTS:
            raise InvalidInput(_("A cumulative ballot needs between 1 and %(n)d points to distribute.", n=MAX_POINTS),
                               field="total_points")
        max_points = int(rules.max_points) if rules.max_points else total_points
        if not 1 <= max_points <= total_points:
            raise InvalidInput(_("The most points one project may get must be between 1 and the points to "
                                 "distribute (%(n)d).", n=total_points), field="max_points")
    if not 1 <= int(rules.ballot_size or 0) <= 200:
        raise InvalidInput(_("Between 1 and 200 projects per heading go to the ballot."), field="ballot_size")
    schedule = {p: d for p, d in (rules.schedule or {}).items() if d is not None}
    if any(p not in PHASES for p in schedule):
        raise InvalidInput(_("Unknown phase in the schedule."), field="schedule")
    dated = [schedule[p] for p in PHASES if p in schedule]
    if dated != sorted(dated):
        raise InvalidInput(_("The phases' dates must follow the order of the phases."), field="schedule")
    return ProcessRules(title=title, description=(rules.description or "").strip(), city_amount=int(rules.city_amount),
                        district_amounts=amounts, rule=rules.rule, ballot_type=rules.ballot_type,
                        min_projects=min_projects, max_projects=max_projects, ballot_size=int(rules.ballot_size),
                        total_points=total_points, max_points=max_points,
                        schedule=schedule, city_name=(rules.city_name or "").strip())


def _apply(process: BudgetProcess, rules: ProcessRules) -> None:
    from agora.census.models import District

    for name in ("title", "description", "rule", "ballot_type", "min_projects", "max_projects", "ballot_size",
                 "total_points", "max_points"):
        setattr(process, name, getattr(rules, name))
    process.schedule = {p: d.isoformat() for p, d in rules.schedule.items()}
    by_district = {h.district_id: h for h in process.headings}
    city = by_district.get(None)
    city_name = rules.city_name or (city.name if city else str(_("Whole city")))
    if city is None:
        city = BudgetHeading(name=city_name, district_id=None, position=0, amount=rules.city_amount)
        process.headings.append(city)
    city.amount, city.name = rules.city_amount, city_name
    for district_id, heading in list(by_district.items()):
        if district_id is not None and district_id not in rules.district_amounts:
            if db.session.scalar(select(func.count()).select_from(BudgetProject)
                                 .where(BudgetProject.heading_id == heading.id)):
                raise InvalidInput(_("The heading %(name)s already has projects; it cannot be removed.",
                                     name=heading.name), field="district_amounts")
            process.headings.remove(heading)
    for position, (district_id, amount) in enumerate(sorted(rules.district_amounts.items()), start=1):
        heading = by_district.get(district_id)
        if heading is None:
            district = db.session.get(District, district_id)
            heading = BudgetHeading(name=district.name, district_id=district_id, amount=amount)
            process.headings.append(heading)
        heading.amount, heading.position = amount, position


def create_process(actor: User, rules: ProcessRules) -> BudgetProcess:
    """Create a process (phase *informing*) with its headings and announced rules.

    Administrators; audited. Raises InvalidInput naming the field.
    """
    require(actor, Permission.BUDGETS_MANAGE)
    clean = _clean_rules(rules)
    process = BudgetProcess(created_by_id=actor.id, phase="informing")
    db.session.add(process)
    _apply(process, clean)
    db.session.flush()
    audit.record(actor, "budget.create", process, details=_rules_details(process))
    return process


def update_process(actor: User, process: BudgetProcess, rules: ProcessRules) -> BudgetProcess:
    """Change a process's rules, headings or schedule; PhaseClosed once balloting has started."""
    require(actor, Permission.BUDGETS_MANAGE)
    _lock(process)
    if rules_locked(process):
        raise PhaseClosed(_("Balloting has started: the rules of this budget are locked."))
    _apply(process, _clean_rules(rules))
    db.session.flush()
    audit.record(actor, "budget.update", process, details=_rules_details(process))
    return process


def _rules_details(process: BudgetProcess) -> dict[str, Any]:
    return {"title": process.title, "rule": process.rule, "ballot_type": process.ballot_type,
            "min_projects": process.min_projects, "max_projects": process.max_projects,
            "total_points": process.total_points, "max_points": process.max_points,
            "ballot_size": process.ballot_size, "schedule": process.schedule,
            "headings": {h.name: h.amount for h in process.headings}}


def _lock(process: BudgetProcess) -> None:
    db.session.execute(select(BudgetProcess.id).where(BudgetProcess.id == process.id).with_for_update())
    db.session.refresh(process)


def set_phase(actor: User, process: BudgetProcess, phase: str) -> BudgetProcess:
    """Move the process to ``phase``. Administrators; audited.

    Phases before balloting may be moved back and forth. Entering *balloting* puts the most
    supported feasible, priced projects of each heading on the ballot (``ballot_size`` per
    heading) and locks the rules. Leaving *balloting* is only possible through
    :func:`close_balloting`; once balloting has started, the process only moves forward.
    """
    require(actor, Permission.BUDGETS_MANAGE)
    _lock(process)
    if phase not in PHASES:
        raise InvalidInput(_("Unknown phase."), field="phase")
    current, target = phase_index(process.phase), phase_index(phase)
    if target == current:
        return process
    if process.phase == "balloting":
        raise PhaseClosed(_("Close balloting to count the ballots; it cannot be left otherwise."))
    if rules_locked(process) and target < current:
        raise PhaseClosed(_("Balloting has started: the process can only move forward."))
    if target > phase_index("balloting") and current < phase_index("balloting"):
        raise PhaseClosed(_("Open balloting first: results come only from ballots."))
    if phase == "balloting":
        _fill_ballots(process)
    before = process.phase
    process.phase = phase
    db.session.flush()
    audit.record(actor, "budget.phase", process, details={"from": before, "to": phase})
    return process


def _fill_ballots(process: BudgetProcess) -> None:
    """Put the ``ballot_size`` most supported feasible, priced projects of each heading on the ballot."""
    for heading in process.headings:
        projects = db.session.scalars(
            select(BudgetProject).where(BudgetProject.heading_id == heading.id)
            .order_by(BudgetProject.supports_count.desc(), BudgetProject.id)).all()
        chosen = [p for p in projects if p.feasibility == "feasible" and p.price is not None][: process.ballot_size]
        for project in projects:
            project.on_ballot = project in chosen


def list_processes() -> list[BudgetProcess]:
    return list(db.session.scalars(select(BudgetProcess).order_by(BudgetProcess.created_at.desc(),
                                                                  BudgetProcess.id.desc())))


def get_process(process_id: int) -> BudgetProcess:
    process = db.session.get(BudgetProcess, process_id)
    if process is None:
        raise NotFound(_("There is no such budget."))
    return process


def get_heading(heading_id: int) -> BudgetHeading:
    heading = db.session.get(BudgetHeading, heading_id)
    if heading is None:
        raise NotFound(_("There is no such heading."))
    return heading


def get_project(project_id: int) -> BudgetProject:
    project = db.session.get(BudgetProject, project_id)
    if project is None:
        raise NotFound(_("There is no such project."))
    return project


def headings_for(user: User | None, process: BudgetProcess) -> list[BudgetHeading]:
    """The headings a resident takes part in: the city-wide one and their own district's."""
    return [h for h in process.headings if _in_heading(user, h)]


def _in_heading(user: User | None, heading: BudgetHeading) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_verified:
        return False
    return heading.district_id is None or (user.district is not None and user.district.id == heading.district_id)


# --- projects, valuation, supports ----------------------------------------------------------------

@dataclass
class ProjectData:
    title: str
    heading_id: int
    estimated_cost: int
    description: str = ""
    location: str = ""
    image: bytes | None = None
    image_alt: str = ""
    panel_goal_id: int | None = None  # an adopted citizens' panel goal the project helps reach


def _check_image(data: bytes, alt: str) -> tuple[bytes, str, str]:
    """The image without metadata, its type and alt text; InvalidInput naming the field otherwise."""
    from agora import uploads

    limit = int(current_app.config["BUDGETS_MAX_IMAGE_BYTES"])
    if len(data) > limit:
        raise InvalidInput(_("The image is larger than %(n)d kB.", n=limit // 1024), field="image")
    content_type = uploads.sniff_type(data)
    not_accepted = InvalidInput(_("The image must be a PNG, JPEG or WebP file."), field="image")
    if content_type not in uploads.IMAGE_TYPES:
        raise not_accepted
    try:  # no GPS position, device or owner name in a published photo
        data = uploads.strip_metadata(data, content_type)
    except uploads.DamagedImage:
        raise not_accepted from None
    alt = " ".join((alt or "").split())
    if not alt:
        raise InvalidInput(_("Describe the image for people who cannot see it."), field="image_alt")
    if len(alt) > 300:
        raise InvalidInput(_("The image description is at most 300 characters."), field="image_alt")
    return data, content_type, alt


def submit_project(actor: User, process: BudgetProcess, data: ProjectData) -> BudgetProject:
    """A verified resident proposes a project while the process accepts projects.

    An optional image (``BUDGETS_MAX_IMAGE_BYTES``; PNG, JPEG or WebP by content) is stored without
    its metadata and needs a description (alt text).
    Raises PermissionDenied (not verified), PhaseClosed (not accepting), InvalidInput (naming the field).
    """
    require(actor, Permission.PARTICIPATE)
    if process.phase != "accepting":
        raise PhaseClosed(_("This budget does not accept projects now."))
    title = " ".join((data.title or "").split())
    if not 3 <= len(title) <= 200:
        raise InvalidInput(_("The title needs 3 to 200 characters."), field="title")
    heading = db.session.get(BudgetHeading, data.heading_id) if data.heading_id else None
    if heading is None or heading.process_id != process.id:
        raise InvalidInput(_("Choose the heading (city-wide or a district) from the list."), field="heading_id")
    if not data.estimated_cost or not 0 < data.estimated_cost <= heading.amount:
        raise InvalidInput(_("The estimated cost must be positive and at most the heading's budget (%(amount)s).",
                             amount=money(heading.amount, process)), field="estimated_cost")
    from agora.panelwork.services import check_linkable_goal

    project = BudgetProject(process_id=process.id, heading_id=heading.id, title=title,
                            description=(data.description or "").strip(), location=(data.location or "").strip()[:200],
                            estimated_cost=int(data.estimated_cost), author_id=actor.id,
                            panel_goal_id=check_linkable_goal(data.panel_goal_id))
    if data.image:
        project.image, project.image_type, project.image_alt = _check_image(data.image, data.image_alt)
    db.session.add(project)
    db.session.flush()
    follow_project(actor, project)  # the author hears of its milestones if it is funded
    return project


def may_set_image(actor: User | None, project: BudgetProject) -> bool:
    """The author while projects are submitted and reviewed; clerks at any time (a photo of the works)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if can(actor, Permission.BUDGETS_MILESTONE_MANAGE):
        return True
    return project.author_id == actor.id and project.heading.process.phase in ("accepting", "reviewing")


def set_project_image(actor: User, project: BudgetProject, image: bytes, alt: str) -> BudgetProject:
    """Add or replace a project's image after submission (checked, metadata removed, alt text required).
    Raises PermissionDenied (see :func:`may_set_image`) or InvalidInput naming the field. Audited."""
    if not may_set_image(actor, project):
        raise PermissionDenied(_("Only the project's author, while projects are submitted and reviewed, or a "
                                 "clerk can change its image."))
    if not image:
        raise InvalidInput(_("Choose an image file."), field="image")
    replaced = project.image_type is not None
    project.image, project.image_type, project.image_alt = _check_image(image, alt)
    db.session.flush()
    audit.record(actor, "budget.project.image", project, details={"replaced": replaced, "alt": project.image_alt})
    return project


def valuate_project(actor: User, project: BudgetProject, *, feasibility: str, explanation: str = "",
                    price: int | None = None) -> BudgetProject:
    """A valuator records feasibility and the official price while reviewing or valuating. Audited.

    Unfeasible needs an explanation (published); feasible may carry the price. Raises
    PermissionDenied, PhaseClosed, InvalidInput.
    """
    require(actor, Permission.BUDGETS_PROJECT_VALUATE)
    process = project.heading.process
    if process.phase not in ("reviewing", "valuating"):
        raise PhaseClosed(_("Projects are valuated only while reviewing or valuating."))
    if feasibility not in FEASIBILITY:
        raise InvalidInput(_("Choose the feasibility from the list."), field="feasibility")
    explanation = (explanation or "").strip()
    if feasibility == "unfeasible" and not explanation:
        raise InvalidInput(_("Explain why the project is unfeasible; the explanation is published."),
                           field="explanation")
    if price is not None and not 0 < price <= project.heading.amount:
        raise InvalidInput(_("The price must be positive and at most the heading's budget (%(amount)s).",
                             amount=money(project.heading.amount, process)), field="price")
    if feasibility == "unfeasible":
        price = None
    project.feasibility, project.feasibility_explanation, project.price = feasibility, explanation, price
    project.valuated_by_id, project.valuated_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "budget.project.valuate", project,
                 details={"feasibility": feasibility, "price": price, "explanation": explanation})
    return project


def support_project(actor: User, project: BudgetProject) -> None:
    """Support a project while selecting: one per resident per project (DB unique), in the city-wide
    heading or the resident's own district's. Raises PermissionDenied, PhaseClosed, Conflict."""
    require(actor, Permission.PARTICIPATE)
    if project.heading.process.phase != "selecting":
        raise PhaseClosed(_("Projects can be supported only while selecting."))
    if not _in_heading(actor, project.heading):
        raise PermissionDenied(_("You can support projects of the whole city and of your own district only."))
    if project.feasibility == "unfeasible":
        raise InvalidInput(_("This project was found unfeasible and cannot be supported."))
    try:
        with db.session.begin_nested():
            db.session.add(BudgetSupport(project_id=project.id, user_id=actor.id))
    except IntegrityError:
        raise Conflict(_("You already support this project.")) from None
    # An atomic increment: concurrent supports of other residents all count.
    db.session.execute(update(BudgetProject).where(BudgetProject.id == project.id)
                       .values(supports_count=BudgetProject.supports_count + 1))
    db.session.flush()
    db.session.refresh(project)


def supported_ids(user: User | None, process: BudgetProcess) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(
        select(BudgetSupport.project_id).join(BudgetProject, BudgetProject.id == BudgetSupport.project_id)
        .where(BudgetSupport.user_id == user.id, BudgetProject.process_id == process.id)))


def list_projects(process: BudgetProcess, heading: BudgetHeading | None = None, *,
                  ballot_only: bool = False) -> list[BudgetProject]:
    query = select(BudgetProject).where(BudgetProject.process_id == process.id)
    if heading is not None:
        query = query.where(BudgetProject.heading_id == heading.id)
    if ballot_only:
        query = query.where(BudgetProject.on_ballot.is_(True))
    return list(db.session.scalars(query.order_by(BudgetProject.supports_count.desc(), BudgetProject.id)))


# --- ballots ---------------------------------------------------------------------------------------

@object_rule(Permission.BUDGETS_BALLOT_CAST)
def _eligible(user: User, heading: BudgetHeading) -> bool:
    # Administrators hold every permission but vote only as verified residents of the heading.
    return _in_heading(user, heading)


def contest(heading: BudgetHeading) -> str:
    return ballot_box.contest_key("budget-heading", heading.id)


def money(amount: int | None, process: BudgetProcess | None = None) -> str:
    """An amount with thousands separated by a narrow space, e.g. ``"12 500 EUR"``."""
    if amount is None:
        return ""
    unit = process.currency if process is not None else "EUR"
    return f"{amount:,}".replace(",", "\u202f") + f"\u00a0{unit}"


Choice = list[int] | dict[int, int]


def validate_ballot(heading: BudgetHeading, choice: Choice) -> dict[str, list[int]]:
    """Check a ballot against the announced ballot type; return the content to store.

    ``choice`` is, by ballot type: *knapsack* and *approval*, the chosen project ids; *cumulative*,
    ``{project id: points}``; *ranking*, ``{project id: rank}`` (1 = first choice) or the ids in rank
    order. The content is ``{"projects": [...]}`` (ballot order; rank order for a ranking) plus
    ``"points"`` (same order) for a cumulative ballot; projects given 0 points or no rank are left out.

    Raises InvalidInput with the reason: an unknown project, over the budget (and by how much), too
    few or too many projects, too many points in all or for one project, a rank given twice or missing.
    """
    process = heading.process
    on_ballot = {p.id: p for p in list_projects(process, heading, ballot_only=True)}
    order = list(on_ballot)
    kind = process.ballot_type
    if kind == "ranking" and not isinstance(choice, dict):
        choice = {pid: rank for rank, pid in enumerate(choice, start=1)}
    if kind == "cumulative" and not isinstance(choice, dict):
        raise InvalidInput(_("Give each project a number of points."))
    if isinstance(choice, dict):
        values = {}
        for pid, value in choice.items():
            if pid not in on_ballot:
                raise InvalidInput(_("This ballot names a project that is not on this heading's ballot."))
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(_("Give %(project)s a whole number, 0 or more.", project=on_ballot[pid].title))
            if value:
                values[pid] = value
        chosen = list(values)
    else:
        values, chosen = {}, []
        for pid in choice:
            if pid not in on_ballot:
                raise InvalidInput(_("This ballot names a project that is not on this heading's ballot."))
            if pid not in chosen:
                chosen.append(pid)
    if not chosen:
        if kind == "cumulative":
            raise InvalidInput(_("Give points to at least one project."))
        if kind == "ranking":
            raise InvalidInput(_("Rank at least one project."))
        raise InvalidInput(_("Choose at least one project."))
    content: dict[str, list[int]]
    if kind == "cumulative":
        for pid in chosen:
            if values[pid] > (process.max_points or 0):
                raise InvalidInput(_("You gave %(points)d points to %(project)s; a project can get at most %(max)d.",
                                     points=values[pid], project=on_ballot[pid].title, max=process.max_points or 0))
        given = sum(values.values())
        if given > (process.total_points or 0):
            raise InvalidInput(_("You gave %(given)d points, %(over)d more than the %(total)d you have. Take some "
                                 "away and try again.", given=given, over=given - (process.total_points or 0),
                                 total=process.total_points or 0))
        chosen.sort(key=order.index)
        content = {"projects": chosen, "points": [values[pid] for pid in chosen]}
    elif kind == "ranking":
        by_rank: dict[int, list[int]] = {}
        for pid in chosen:
            by_rank.setdefault(values[pid], []).append(pid)
        places = process.max_projects or len(order)
        if len(chosen) > places:
            raise InvalidInput(_("Rank at most %(n)d projects; you ranked %(k)d.", n=places, k=len(chosen)))
        for rank in sorted(by_rank):
            if rank > places:
                raise InvalidInput(_("Ranks go from 1 to %(n)d; %(project)s has rank %(rank)d.", n=places,
                                     project=on_ballot[by_rank[rank][0]].title, rank=rank))
            if len(by_rank[rank]) > 1:
                raise InvalidInput(_("Rank %(rank)d is given to more than one project (%(projects)s). Give each "
                                     "rank once.", rank=rank,
                                     projects=", ".join(on_ballot[pid].title for pid in by_rank[rank])))
        missing = next((r for r in range(1, len(chosen) + 1) if r not in by_rank), None)
        if missing is not None:
            raise InvalidInput(_("Ranks must follow on from 1 without gaps: rank %(rank)d is missing.", rank=missing))
        content = {"projects": [by_rank[r][0] for r in range(1, len(chosen) + 1)]}
    else:
        if kind == "knapsack":
            total = sum(on_ballot[pid].price or 0 for pid in chosen)
            if total > heading.amount:
                raise InvalidInput(_("Your choice costs %(total)s, which is %(over)s over this heading's budget of "
                                     "%(budget)s. Remove a project and try again.", total=money(total, process),
                                     over=money(total - heading.amount, process),
                                     budget=money(heading.amount, process)))
        content = {"projects": sorted(chosen, key=order.index)}
    if process.min_projects and len(chosen) < process.min_projects:
        raise InvalidInput(_("Choose at least %(n)d projects; you chose %(k)d.", n=process.min_projects, k=len(chosen)))
    if process.max_projects and len(chosen) > process.max_projects:
        raise InvalidInput(_("Choose at most %(n)d projects; you chose %(k)d.", n=process.max_projects, k=len(chosen)))
    return content


def cast_budget_ballot(actor: User, heading: BudgetHeading, choice: Choice,
                       change_key: str | None = None) -> CastReceipt:
    """Cast (or, with the change key, change) the actor's secret ballot in a heading while balloting.

    ``choice`` as :func:`validate_ballot` takes it. One ballot per verified resident per heading,
    stored in the shared ballot box without any link to the voter. The whole ballot is validated at
    once, so no submission (concurrent or not) can exceed the heading's budget or points; a second
    concurrent first ballot raises Conflict.
    Raises PermissionDenied (not this resident's heading), PhaseClosed, InvalidInput, Conflict.
    """
    require(actor, Permission.BUDGETS_BALLOT_CAST, heading)
    if heading.process.phase != "balloting":
        raise PhaseClosed(_("This budget is not open for voting."))
    content = validate_ballot(heading, choice)
    if change_key:
        receipt = ballot_box.change_ballot(actor, contest(heading), change_key, content)
        return CastReceipt(receipt, None)
    return ballot_box.cast_ballot(actor, contest(heading), content, changeable=True)


def has_voted(user: User | None, heading: BudgetHeading) -> bool:
    return ballot_box.has_voted(user, contest(heading))


def turnout(heading: BudgetHeading) -> int:
    return ballot_box.count_voters(contest(heading))


# --- closing, results, exports -----------------------------------------------------------------

def close_balloting(actor: User, process: BudgetProcess) -> BudgetProcess:
    """Close balloting and count every heading with the announced rule. Administrators; audited. The
    process moves to *reviewing ballots* and the results are published. With more than
    ``BUDGETS_BACKGROUND_TALLY_BALLOTS`` ballots in all, a background job counts (:func:`tally_job`)
    and the results page says so until every heading is counted."""
    require(actor, Permission.BUDGETS_MANAGE)
    _lock(process)
    if process.phase != "balloting":
        raise PhaseClosed(_("Only a budget in balloting can be closed."))
    process.phase = "reviewing_ballots"
    process.closed_at = utcnow()
    ballots = sum(turnout(h) for h in process.headings)
    if ballots > current_app.config["BUDGETS_BACKGROUND_TALLY_BALLOTS"]:
        db.session.flush()
        audit.record(actor, "budget.close", process, details={"ballots": ballots, "counting": "background"})
        jobs.enqueue("budgets.tally", {"process_id": process.id}, actor=actor)
        return process
    for heading in process.headings:
        heading.result = count_heading(heading)
    db.session.flush()
    audit.record(actor, "budget.close", process, details=_tally_details(process))
    return process


def _tally_details(process: BudgetProcess) -> dict[str, Any]:
    return {h.name: {"funded": h.result["selected"], "ballots": h.result["n_ballots"]} for h in process.headings}


def counting(process: BudgetProcess) -> bool:
    """Results are published but a background job is still counting some heading."""
    return results_published(process) and any(h.result is None for h in process.headings)


def tally_job(process: BudgetProcess) -> jobs.Job | None:
    """The newest background count of this process, if it was counted in the background."""
    newest_first = select(jobs.Job).where(jobs.Job.kind == "budgets.tally").order_by(jobs.Job.id.desc())
    return next((j for j in db.session.scalars(newest_first) if (j.payload or {}).get("process_id") == process.id),
                None)


@jobs.handler("budgets.tally")
def _tally_job(job_id: int, payload: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Count each heading outside any transaction, then store it with the process locked."""
    process_id = int(payload["process_id"])
    heading_ids = [h.id for h in get_process(process_id).headings]
    for done, heading_id in enumerate(heading_ids):
        report(done / max(len(heading_ids), 1), f"counting heading {done + 1} of {len(heading_ids)}")
        heading = db.session.get(BudgetHeading, heading_id)
        result = count_heading(heading) if heading.result is None else None
        db.session.remove()
        with unit_of_work():
            process = get_process(process_id)
            _lock(process)
            heading = db.session.get(BudgetHeading, heading_id)
            if heading.result is None and result is not None:
                heading.result = result
    with unit_of_work():
        process = get_process(process_id)
        details = _tally_details(process)
        audit.record(None, "budget.tally", process, details=details)
    return details


def require_results(process: BudgetProcess) -> None:
    if not results_published(process):
        raise PermissionDenied(_("Results and ballots stay hidden from everyone until balloting closes."))


def _ballot_rows(heading: BudgetHeading) -> list[tuple[str, list[int], list[int] | None]]:
    """``(receipt, project ids, points or None)`` per ballot, in receipt order."""
    return [(b.receipt, list(b.content["projects"]), b.content.get("points"))
            for b in ballot_box.list_ballots(contest(heading))]


def vote_type(process: BudgetProcess) -> str:
    return VOTE_TYPES[process.ballot_type]


def election(heading: BudgetHeading) -> Any:
    """The heading's vote as a :class:`voting.budget.Election`: projects on the ballot (ids as text, official
    prices), anonymised ballots numbered in receipt order, and META naming the announced rule and limits.

    Knapsack and approval ballots are Pabulib ``approval`` ballots; cumulative ballots ``cumulative``
    with their points (META ``max_sum_points``, ``max_points``); ranking ballots ``ordinal``, best first,
    with META ``max_length`` the number of places, which makes ``voting.budget`` score them as Pabulib's
    default Borda does: with N places a first choice scores N points, a second N - 1, ..., the last 1.
    """
    from voting.budget import Ballot, make_election

    process = heading.process
    kind = vote_type(process)
    projects = list_projects(process, heading, ballot_only=True)
    ballots = [Ballot(projects=tuple(str(p) for p in ids), points=tuple(points) if kind == "cumulative" else None,
                      voter_id=str(i))
               for i, (_receipt, ids, points) in enumerate(_ballot_rows(heading), start=1)]
    meta = {"description": f"{process.title} / {heading.name}", "country": "", "unit": heading.name,
            "instance": str(process.id), "currency": process.currency,
            "rule": "equalshares/add1" if process.rule == "mes" else "greedy",
            "date_begin": process.schedule.get("balloting", ""), "date_end": (process.closed_at.date().isoformat()
                                                                              if process.closed_at else "")}
    if process.max_projects and process.ballot_type != "knapsack":
        meta["max_length"] = str(process.max_projects)
    if process.min_projects:
        meta["min_length"] = str(process.min_projects)
    if kind == "cumulative":
        meta["max_sum_points"] = str(process.total_points)
        meta["max_points"] = str(process.max_points)
    if kind == "ordinal":
        meta["scoring_fn"] = "Borda"
    return make_election([{"id": str(p.id), "cost": p.price, "name": p.title} for p in projects], ballots,
                         heading.amount, vote_type=kind, meta=meta)


def allocate(heading: BudgetHeading, elect: Any) -> dict[str, Any]:
    """Run the announced rule on an election (from the database or read back from the ``.pb`` file).

    MES uses cost utilities for approval ballots (a voter's utility is the project's cost), and the
    points (cumulative) or Borda scores (ranking) as utilities otherwise, as ``voting.budget.rule_from_meta``
    reads an exported file; greedy funds by votes, total points or total Borda score.
    """
    from voting.budget import equal_shares, greedy

    if not elect.ballots or not elect.projects:  # nothing to fund; the library needs ballots and projects
        return {"rule": "equal_shares" if heading.process.rule == "mes" else "greedy", "selected": [],
                "total_cost": 0, "budget": heading.amount, "leftover": heading.amount, "steps": []}
    if heading.process.rule == "mes":
        utility = "cost" if elect.vote_type == "approval" else "cardinality"
        return equal_shares(elect, completion="add1", utility=utility).to_dict()
    return greedy(elect).to_dict()


def count_heading(heading: BudgetHeading) -> dict[str, Any]:
    """The heading's allocation plus the number of votes of every project on the ballot (and, for points or
    ranking ballots, its total points or Borda score)."""
    elect = election(heading)
    result = allocate(heading, elect)
    votes = Counter(p for b in elect.ballots for p in b.projects)
    result["project_votes"] = {p.id: votes.get(p.id, 0) for p in elect.projects}
    if elect.vote_type != "approval":
        scores: Counter = Counter()
        for b in elect.ballots:
            for pid, score in elect.ballot_scores(b):
                scores[pid] += int(score)
        result["project_scores"] = {p.id: scores.get(p.id, 0) for p in elect.projects}
    result["n_ballots"] = len(elect.ballots)
    return result


def export_name(heading: BudgetHeading, suffix: str) -> str:
    return f"budget-{heading.process_id}-heading-{heading.id}-{suffix}"


def export_pb(heading: BudgetHeading) -> str:
    """The whole vote of a heading as an anonymised Pabulib ``.pb`` file (after closing)."""
    from voting.budget import format_pb

    require_results(heading.process)
    return format_pb(election(heading))


def results_csv(heading: BudgetHeading) -> str:
    """One line per project of the heading: cost, supports, votes, funded."""
    require_results(heading.process)
    result = heading.result or {}
    votes, funded = result.get("project_votes", {}), set(result.get("selected", []))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["project_id", "title", "heading", "estimated_cost", "price", "feasibility", "supports",
                     "on_ballot", "votes", "funded"])
    for p in list_projects(heading.process, heading):
        writer.writerow([p.id, _csv_safe(p.title), heading.name, p.estimated_cost, p.price or "", p.feasibility,
                         p.supports_count, int(p.on_ballot), votes.get(str(p.id), "") if p.on_ballot else "",
                         int(str(p.id) in funded)])
    return out.getvalue()


def ballots_csv(heading: BudgetHeading) -> str:
    """The published ballot list: receipt code and chosen projects (in rank order for a ranking; with the
    points, same order, for a cumulative ballot), in receipt order (after closing)."""
    require_results(heading.process)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    cumulative = heading.process.ballot_type == "cumulative"
    writer.writerow(["receipt", "projects"] + (["points"] if cumulative else []))
    for receipt, ids, points in _ballot_rows(heading):
        writer.writerow([receipt, " ".join(str(i) for i in ids)]
                        + ([" ".join(str(x) for x in points or [])] if cumulative else []))
    return out.getvalue()


def find_receipt(heading: BudgetHeading, receipt: str) -> list[BudgetProject] | None:
    require_results(heading.process)
    ballot = ballot_box.find_ballot(contest(heading), receipt)
    if ballot is None:
        return None
    return [db.session.get(BudgetProject, pid) for pid in ballot.content["projects"]]


def receipt_lines(heading: BudgetHeading, receipt: str) -> list[str] | None:
    """The ballot with this receipt, for display: titles, with points or ranks by ballot type (after closing)."""
    require_results(heading.process)
    ballot = ballot_box.find_ballot(contest(heading), receipt)
    if ballot is None:
        return None
    titles = [db.session.get(BudgetProject, pid).title for pid in ballot.content["projects"]]
    if heading.process.ballot_type == "cumulative":
        return [_("%(project)s (points: %(n)d)", project=t, n=n)
                for t, n in zip(titles, ballot.content["points"], strict=True)]
    if heading.process.ballot_type == "ranking":
        return [f"{rank}. {t}" for rank, t in enumerate(titles, start=1)]
    return titles


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def reproduce_command(heading: BudgetHeading) -> str:
    return f"python -m voting budget {export_name(heading, 'votes.pb')} --rule meta"


def _fmt(value: Any) -> str:
    from fractions import Fraction

    x = float(Fraction(str(value))) if isinstance(value, str) else float(value or 0)
    return f"{x:,.2f}".replace(",", "\u202f")


def result_rows(heading: BudgetHeading) -> list[dict[str, Any]]:
    """One row per project on the ballot, most voted first: cost, votes, funded, and why (or why not).

    The explanation comes from the rule's recorded steps: for MES, the step at which the project
    was bought and how its supporters paid, or how much money its supporters had left at the last
    step; for greedy, whether it fitted in what was left.
    """
    require_results(heading.process)
    result = heading.result or {}
    votes = result.get("project_votes", {})
    scores = result.get("project_scores")  # points or Borda scores; None for approval ballots
    cardinal = scores is not None
    selected = list(result.get("selected", []))
    steps = result.get("steps", [])
    mes = [s for s in steps if s.get("kind") == "MESStep"]
    greedy_steps = {s["project"]: s for s in steps if s.get("kind") == "GreedyStep"}
    last_candidates = {c["project"]: c for c in (mes[-1]["candidates"] if mes else [])}
    rows = []
    for project in list_projects(heading.process, heading, ballot_only=True):
        key = str(project.id)
        funded = key in selected
        step = next((i for i, s in enumerate(mes, start=1) if s["project"] == key), None)
        if step is not None:
            s = mes[step - 1]
            if cardinal:
                why = _("Funded at step %(step)d: its supporters paid %(price)s per point they gave it; %(full)d "
                        "paid in full and %(partial)d paid all they had left.", step=step, full=s["full_payers"],
                        price=_fmt(s["price_per_voter"]), partial=s["partial_payers"])
            else:
                why = _("Funded at step %(step)d: %(full)d supporters paid %(price)s each and %(partial)d paid all "
                        "they had left (%(effective)s effective votes).", step=step, full=s["full_payers"],
                        price=_fmt(s["price_per_voter"]), partial=s["partial_payers"],
                        effective=_fmt(s["effective_votes"]))
        elif key in greedy_steps:
            g = greedy_steps[key]
            if g["status"] == "selected" and cardinal:
                why = _("Funded in order of points: it fitted in what was left (%(left)s left after it).",
                        left=money(int(float(g["remaining"])), heading.process))
            elif g["status"] == "selected":
                why = _("Funded in order of votes: it fitted in what was left (%(left)s left after it).",
                        left=money(int(float(g["remaining"])), heading.process))
            elif cardinal:
                why = _("Not funded: with %(points)s points it came when only %(left)s were left, less than its "
                        "cost.", points=g["score"], left=money(int(float(g["remaining"])), heading.process))
            else:
                why = _("Not funded: with %(votes)s votes it came when only %(left)s were left, less than its "
                        "cost.", votes=g["score"], left=money(int(float(g["remaining"])), heading.process))
        elif funded:
            why = _("Funded.")
        elif key in last_candidates and not last_candidates[key]["affordable"]:
            why = _("Not funded: its supporters had only %(money)s left in total from their equal shares, less "
                    "than its cost.", money=_fmt(last_candidates[key]["money_behind"]))
        elif key in last_candidates and cardinal:
            why = _("Not funded: its supporters would have had to pay %(price)s per point, more than for the projects "
                    "funded instead.", price=_fmt(last_candidates[key]["price_per_voter"]))
        elif key in last_candidates:
            why = _("Not funded: each supporter would have had to pay %(price)s, more than for the projects funded "
                    "instead.", price=_fmt(last_candidates[key]["price_per_voter"]))
        elif not votes.get(key):
            why = _("Not funded: nobody voted for it.")
        else:
            why = _("Not funded: its supporters' equal shares could not pay for it.")
        rows.append({"id": project.id, "title": project.title, "cost": project.price, "votes": votes.get(key, 0),
                     "score": scores.get(key, 0) if cardinal else None,
                     "funded": funded, "why": why, "order": selected.index(key) if funded else None})
    rows.sort(key=lambda r: (-(r["score"] if cardinal else r["votes"]), -r["votes"], r["id"]))
    return rows


# --- execution tracking: milestones of funded projects ------------------------------------------

def _link(endpoint: str, **values: Any) -> str:
    """A site-relative link, also from the CLI (an app context without a request)."""
    from flask import current_app, url_for

    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        with current_app.test_request_context():
            return url_for(endpoint, **values)


def is_funded(project: BudgetProject) -> bool:
    result = project.heading.result or {}
    return str(project.id) in result.get("selected", [])


def funded_projects(process: BudgetProcess) -> list[BudgetProject]:
    """The funded projects of every heading, in heading order then order of funding."""
    out = []
    for heading in process.headings:
        selected = (heading.result or {}).get("selected", [])
        by_id = {str(p.id): p for p in list_projects(process, heading, ballot_only=True)}
        out += [by_id[pid] for pid in selected if pid in by_id]
    return out


@dataclass
class MilestoneData:
    title: str
    status: str = "planned"
    percent: int | None = 0
    due_on: date | None = None
    description: str = ""


def _clean_milestone(data: MilestoneData) -> MilestoneData:
    title = " ".join((data.title or "").split())
    if not 3 <= len(title) <= 200:
        raise InvalidInput(_("The title needs 3 to 200 characters."), field="title")
    if data.status not in MILESTONE_STATUSES:
        raise InvalidInput(_("Choose the status from the list."), field="status")
    percent = 100 if data.status == "done" else data.percent
    if percent is None or isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInput(_("The progress is a whole percentage from 0 to 100."), field="percent")
    if percent == 100 and data.status != "done":
        raise InvalidInput(_("A milestone at %(n)d%% is done: choose the status Done, or a lower percentage.",
                             n=100), field="percent")
    description = (data.description or "").strip()
    if len(description) > 5000:
        raise InvalidInput(_("The description is at most 5000 characters."), field="description")
    return MilestoneData(title=title, status=data.status, percent=percent, due_on=data.due_on,
                         description=description)


def _check_execution(actor: User, project: BudgetProject) -> None:
    require(actor, Permission.BUDGETS_MILESTONE_MANAGE)
    if project.heading.process.phase != "finished":
        raise PhaseClosed(_("Milestones are recorded once the budget is finished."))
    if not is_funded(project):
        raise InvalidInput(_("Only funded projects have milestones."))


def _milestone_details(m: BudgetMilestone) -> dict[str, Any]:
    return {"title": m.title, "status": m.status, "percent": m.percent,
            "due_on": m.due_on.isoformat() if m.due_on else None}


def add_milestone(actor: User, project: BudgetProject, data: MilestoneData) -> BudgetMilestone:
    """Add a milestone to a funded project of a finished budget. Clerks and administrators; audited; the
    project's followers are notified. Raises PermissionDenied, PhaseClosed, InvalidInput (naming the field)."""
    _check_execution(actor, project)
    clean = _clean_milestone(data)
    milestone = BudgetMilestone(project_id=project.id, title=clean.title, status=clean.status,
                                percent=clean.percent, due_on=clean.due_on, description=clean.description,
                                created_by_id=actor.id)
    db.session.add(milestone)
    db.session.flush()
    audit.record(actor, "budget.milestone.add", project, details={"milestone": milestone.id,
                                                                   **_milestone_details(milestone)})
    _notify_progress(actor, project, milestone, new=True)
    return milestone


def update_milestone(actor: User, milestone: BudgetMilestone, data: MilestoneData) -> BudgetMilestone:
    """Change a milestone (status, progress, date, text). Clerks and administrators; audited with the values
    before and after; followers notified. Raises PermissionDenied, PhaseClosed, InvalidInput."""
    project = milestone.project
    _check_execution(actor, project)
    clean = _clean_milestone(data)
    before = _milestone_details(milestone)
    milestone.title, milestone.status, milestone.percent = clean.title, clean.status, clean.percent
    milestone.due_on, milestone.description, milestone.updated_at = clean.due_on, clean.description, utcnow()
    db.session.flush()
    audit.record(actor, "budget.milestone.update", project,
                 details={"milestone": milestone.id, "before": before, "after": _milestone_details(milestone)})
    _notify_progress(actor, project, milestone, new=False)
    return milestone


def delete_milestone(actor: User, milestone: BudgetMilestone, *, reason: str) -> BudgetProject:
    """Remove a milestone recorded by mistake. Clerks and administrators, with a reason; the audit log keeps
    the milestone and the reason (followers are not notified: nothing happened to the project). Returns the
    project. Raises PermissionDenied, PhaseClosed, InvalidInput (field ``reason``)."""
    project = milestone.project
    _check_execution(actor, project)
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 500:
        raise InvalidInput(_("Say in a few words why the milestone is deleted (at most 500 characters)."),
                           field="reason")
    audit.record(actor, "budget.milestone.delete", project,
                 details={"milestone": milestone.id, "reason": reason, **_milestone_details(milestone)})
    db.session.delete(milestone)
    db.session.flush()
    return project


def _notify_progress(actor: User, project: BudgetProject, milestone: BudgetMilestone, *, new: bool) -> None:
    from agora.notifications import services as notifications

    percent = execution(project)["percent"]
    title, name = milestone.title, project.title

    def message() -> str:
        status = str(MILESTONE_STATUSES[milestone.status])
        if new:
            return _("New milestone for “%(project)s”: %(title)s (%(status)s). The project is %(percent)d%% done.",
                     project=name, title=title, status=status, percent=percent)
        return _("Milestone updated for “%(project)s”: %(title)s (%(status)s). The project is %(percent)d%% done.",
                 project=name, title=title, status=status, percent=percent)

    notifications.notify_followers(FOLLOW_TYPE, project.id, "budget.milestone", message,
                                   _link("budgets.project", project_id=project.id), exclude=actor)


def get_milestone(milestone_id: int) -> BudgetMilestone:
    milestone = db.session.get(BudgetMilestone, milestone_id)
    if milestone is None:
        raise NotFound(_("There is no such milestone."))
    return milestone


def list_milestones(project: BudgetProject) -> list[BudgetMilestone]:
    """The project's milestones as a timeline: by date (undated last), then in the order they were added."""
    rows = db.session.scalars(select(BudgetMilestone).where(BudgetMilestone.project_id == project.id)
                              .order_by(BudgetMilestone.id)).all()
    return sorted(rows, key=lambda m: (m.due_on is None, m.due_on or date.min, m.id))


def execution(project: BudgetProject, milestones: list[BudgetMilestone] | None = None) -> dict[str, Any]:
    """A funded project's progress: the mean of its milestones' percentages, and a status: *completed*
    when every milestone is done, *delayed* when one is delayed, *in progress* once any work is recorded,
    else *not started* (also with no milestone yet)."""
    milestones = list_milestones(project) if milestones is None else milestones
    if not milestones:
        return {"percent": 0, "status": "not_started", "milestones": []}
    percent = round(sum(m.percent for m in milestones) / len(milestones))
    if all(m.status == "done" for m in milestones):
        status = "completed"
    elif any(m.status == "delayed" for m in milestones):
        status = "delayed"
    elif any(m.status in ("in_progress", "done") or m.percent > 0 for m in milestones):
        status = "in_progress"
    else:
        status = "not_started"
    return {"percent": percent, "status": status, "milestones": milestones}


def execution_overview(process: BudgetProcess) -> list[tuple[str, list[dict[str, Any]]]]:
    """The funded projects grouped by execution status (delayed, in progress, not started, completed),
    each with its heading and progress; only once results are published."""
    require_results(process)
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in EXECUTION_STATUSES}
    for project in funded_projects(process):
        state = execution(project)
        groups[state["status"]].append({"project": project, **state})
    return [(key, rows) for key, rows in groups.items() if rows]


def follow_project(user: User, project: BudgetProject, *, stop: bool = False) -> bool:
    """Follow (or stop following) a project to be told of its news, e.g. milestones. Any logged-in user."""
    from agora.notifications import services as notifications

    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in to follow."))
    if stop:
        return notifications.unfollow(user, FOLLOW_TYPE, project.id)
    return notifications.follow(user, FOLLOW_TYPE, project.id)


def is_following(user: User | None, project: BudgetProject) -> bool:
    from agora.notifications import services as notifications

    return bool(user) and notifications.is_following(user, FOLLOW_TYPE, project.id)
