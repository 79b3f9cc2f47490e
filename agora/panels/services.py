"""Citizens' panels: the clerk's draw pipeline (issue 7, steps 3 to 6).

A clerk creates a panel with its feature questions, builds the pool (respondents from the
invitations and sign-ups, or an uploaded CSV), sets quotas (min/max per feature value) with a
proposal proportional to the census or the pool and a live feasibility check, then publishes a
**commitment**: the anonymised pool (pseudonymous numbers and answers only) and the quotas are
frozen as the exact CSV texts whose SHA-256 is published, with the method and library version.
Only then is the seed entered; the draw runs in a background job (:mod:`agora.jobs`) by the pure
:mod:`sortition` library, and the stored result can be re-checked by anyone with
``python -m sortition verify``. Drop-outs are replaced from the alternates, keeping every quota met.

Every function takes the actor explicitly and checks permissions first; services only flush.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import re
import secrets
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from agora import audit, jobs
from agora.census.models import CensusEntry, District
from agora.db import db, paginate, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.panels.models import Panel, PanelDraw, PanelMember, Respondent
from agora.permissions import Permission, can, require

if TYPE_CHECKING:
    from agora.accounts.models import User

STATUSES = {
    "draft": _l("Draft"),
    "inviting": _l("Invitations sent"),
    "signup": _l("Sign-up open"),
    "committed": _l("Commitment published"),
    "drawn": _l("Drawn"),
    "working": _l("At work"),
    "closed": _l("Closed"),
}
RESPONDENT_STATUSES = {
    "pool": _l("In the pool"),
    "selected": _l("Selected"),
    "alternate": _l("Alternate"),
    "confirmed": _l("Confirmed"),
    "declined": _l("Declined"),
    "dropped": _l("Dropped out"),
}
SOURCES = {"upload": _l("Uploaded"), "invitation": _l("Invitation"), "volunteer": _l("Volunteer")}
METHODS = {
    "leximin": _l("LEXIMIN: the fairest selection probabilities (default)"),
    "maximin": _l("MAXIMIN: the highest minimum probability"),
    "nash": _l("Nash: the highest geometric mean of probabilities"),
    "legacy": _l("Legacy greedy draw (no fairness guarantee)"),
}
# Before the commitment the pool and quotas may change; after it they are frozen.
OPEN_STATUSES = ("draft", "inviting", "signup")
ON_PANEL = ("selected", "confirmed")
PERSONAL_COLUMNS = {"name": "full_name", "full_name": "full_name", "email": "email", "phone": "phone",
                    "address": "address", "postal_code": "postal_code", "language": "language"}
NUMBER_COLUMNS = ("number", "id")
# With the household rule, the anonymised pool carries a keyed hash of each address in this column:
# it shows who shares an address, never the address.
HOUSEHOLD_COLUMN = "household"
_SPACES_RE = re.compile(r"\s+")
_FEATURE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FEATURE_LINE_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_AGE_RANGE_RE = re.compile(r"^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$")
_AGE_OPEN_RE = re.compile(r"^\s*(\d{1,3})\s*(?:\+|\s*(?:and over|or more|en ouder|et plus|y más))\s*$", re.I)
MAX_VALUES_PER_FEATURE = 40
MAX_FEATURES = 12
MAX_RESPONDENTS = 100_000
MAX_ROW_ERRORS = 50


def _sortition():
    """The pure selection library (imported lazily: the app starts without it)."""
    import sortition

    return sortition


# --- panels -------------------------------------------------------------------------------------

@dataclass
class PanelData:
    """Everything a clerk decides about a panel; validated as a whole."""

    title: str
    size: int
    features: str | list[dict[str, Any]]  # the form's text ("gender: female, male, other") or the parsed list
    description: str = ""
    district_ids: list[int] = field(default_factory=list)
    open_to_volunteers: bool = False
    signup_closes_at: datetime | None = None
    draw_at: datetime | None = None
    work_ends_at: datetime | None = None


def parse_features(text: str) -> list[dict[str, Any]]:
    """Parse the feature questions, one per line: ``name (Label): value, value, ...``.

    ``name`` is the CSV column (lower case, digits, underscores); the label is optional.
    Raises InvalidInput naming the line.
    """
    features: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _FEATURE_LINE_RE.match(line)
        if not match:
            raise InvalidInput(_("Feature questions, line %(n)d: write “name: value, value, …” (got “%(line)s”).",
                                 n=number, line=line.strip()[:80]), field="features")
        name = match.group(1).strip().lower()
        label = (match.group(2) or "").strip() or name.replace("_", " ").capitalize()
        values = [v.strip() for v in match.group(3).split(",") if v.strip()]
        if (not _FEATURE_NAME_RE.match(name) or name in NUMBER_COLUMNS or name in PERSONAL_COLUMNS
                or name == HOUSEHOLD_COLUMN):
            raise InvalidInput(_("Feature questions, line %(n)d: “%(name)s” cannot be a feature name (use lower-case "
                                 "letters, digits and _, not id, number or a personal-data column).",
                                 n=number, name=name), field="features")
        if name in seen:
            raise InvalidInput(_("Feature questions, line %(n)d: the feature “%(name)s” appears twice.",
                                 n=number, name=name), field="features")
        if len(values) < 2:
            raise InvalidInput(_("Feature questions, line %(n)d: give at least two values for “%(name)s”.",
                                 n=number, name=name), field="features")
        folded = [v.casefold() for v in values]
        if len(set(folded)) != len(folded):
            raise InvalidInput(_("Feature questions, line %(n)d: a value of “%(name)s” appears twice.",
                                 n=number, name=name), field="features")
        if len(values) > MAX_VALUES_PER_FEATURE or any(len(v) > 60 for v in values):
            raise InvalidInput(_("Feature questions, line %(n)d: at most %(max)d values of at most 60 characters.",
                                 n=number, max=MAX_VALUES_PER_FEATURE), field="features")
        seen.add(name)
        features.append({"name": name, "label": label[:80], "values": values})
    if not features:
        raise InvalidInput(_("Give at least one feature question (for example “gender: female, male, other”)."),
                           field="features")
    if len(features) > MAX_FEATURES:
        raise InvalidInput(_("At most %(max)d feature questions.", max=MAX_FEATURES), field="features")
    return features


def features_text(features: list[dict[str, Any]]) -> str:
    """The inverse of :func:`parse_features`, for the edit form."""
    lines = []
    for f in features or []:
        default_label = f["name"].replace("_", " ").capitalize()
        label = f" ({f['label']})" if f.get("label") and f["label"] != default_label else ""
        lines.append(f"{f['name']}{label}: {', '.join(f['values'])}")
    return "\n".join(lines)


def _apply(panel: Panel, data: PanelData) -> None:
    title = (data.title or "").strip()
    if not title:
        raise InvalidInput(_("Give the panel a title."), field="title")
    if not isinstance(data.size, int) or not 2 <= data.size <= 1000:
        raise InvalidInput(_("The panel size must be between 2 and 1000."), field="size")
    features = parse_features(data.features) if isinstance(data.features, str) else data.features
    if panel.id is not None and panel.respondents and features != panel.features:
        _check_features_keep_answers(panel, features)
    districts = []
    for district_id in data.district_ids or []:
        district = db.session.get(District, district_id)
        if district is None:
            raise InvalidInput(_("Unknown district."), field="district_ids")
        districts.append(district)
    dates = [("signup_closes_at", data.signup_closes_at), ("draw_at", data.draw_at),
             ("work_ends_at", data.work_ends_at)]
    known = [(name, moment) for name, moment in dates if moment is not None]
    for (_first, a), (second, b) in zip(known, known[1:], strict=False):
        if b < a:
            raise InvalidInput(_("The timeline must go forward: sign-up closes, then the draw, then the work ends."),
                               field=second)
    panel.title = title[:200]
    panel.description = (data.description or "").strip()
    panel.size = data.size
    panel.features = features
    panel.districts = districts
    panel.open_to_volunteers = bool(data.open_to_volunteers)
    panel.signup_closes_at, panel.draw_at, panel.work_ends_at = data.signup_closes_at, data.draw_at, data.work_ends_at
    # Quotas on features or values that no longer exist are dropped.
    valid = {(f["name"], v) for f in features for v in f["values"]}
    panel.quotas = [q for q in (panel.quotas or []) if (q["feature"], q["value"]) in valid]


def _check_features_keep_answers(panel: Panel, features: list[dict[str, Any]]) -> None:
    """Respondents' answers must stay valid: no feature or answered value may disappear."""
    values = {f["name"]: set(f["values"]) for f in features}
    for respondent in panel.respondents:
        for name, answer in (respondent.features or {}).items():
            if name not in values or answer not in values[name]:
                raise InvalidInput(_("Respondents already answered “%(feature)s” with “%(value)s”: keep that "
                                     "feature and value, or remove those respondents first.",
                                     feature=name, value=answer), field="features")
        missing = [name for name in values if name not in (respondent.features or {})]
        if missing:
            raise InvalidInput(_("Respondents have no answer to the new question “%(feature)s”: add questions "
                                 "before the pool is built.", feature=missing[0]), field="features")


def create_panel(actor: User | str, data: PanelData) -> Panel:
    """Clerks create a panel in draft. Raises PermissionDenied, InvalidInput."""
    _require_manage(actor)
    panel = Panel(created_by_id=getattr(actor, "id", None), status="draft", quotas=[], features=[])
    _apply(panel, data)
    db.session.add(panel)
    db.session.flush()
    audit.record(actor, "panel.create", target=panel, details={"title": panel.title, "size": panel.size})
    return panel


def update_panel(actor: User | str, panel: Panel, data: PanelData) -> Panel:
    """Change a panel until its commitment is published. Raises PermissionDenied, PhaseClosed, InvalidInput."""
    _require_manage(actor, panel)
    _require_open(panel)
    _apply(panel, data)
    db.session.flush()
    audit.record(actor, "panel.update", target=panel, details={"title": panel.title, "size": panel.size})
    return panel


def open_signup(actor: User | str, panel: Panel) -> Panel:
    """Publish a draft panel (it becomes public, open for sign-up)."""
    _require_manage(actor, panel)
    if panel.status != "draft":
        raise Conflict(_("This panel is already published."))
    panel.status = "signup"
    db.session.flush()
    audit.record(actor, "panel.publish", target=panel)
    return panel


def _require_manage(actor: User | str, panel: Panel | None = None) -> None:
    """Clerks (and administrators); a ``str`` actor is the command line or the system, trusted."""
    if not isinstance(actor, str):
        require(actor, Permission.PANELS_MANAGE, panel)


def _lock(panel: Panel) -> Panel:
    """Lock the panel's row until the transaction ends (PostgreSQL) and reload it and its draw.

    Commitment, seed, result and drop-outs read then change the panel's state: two clerks (or a
    clerk and the decline link) acting at once must not both pass the check.
    """
    db.session.execute(select(Panel.id).where(Panel.id == panel.id).with_for_update())
    db.session.refresh(panel)
    if panel.draw is not None:
        db.session.refresh(panel.draw)
    return panel


def _require_open(panel: Panel) -> None:
    if panel.status not in OPEN_STATUSES:
        raise PhaseClosed(_("The commitment of this panel is published: its pool, quotas and questions are frozen."))


def is_public(panel: Panel) -> bool:
    return panel.status != "draft"


def get_panel(panel_id: int, user: User | None = None) -> Panel:
    """A panel that ``user`` may see: drafts only for clerks. Raises NotFound."""
    panel = db.session.get(Panel, panel_id)
    if panel is None or (not is_public(panel) and not can(user, Permission.PANELS_MANAGE)):
        raise NotFound(_("There is no such panel."))
    return panel


def list_panels(user: User | None = None) -> list[Panel]:
    """Panels past draft for everyone; drafts too for clerks."""
    stmt = select(Panel).order_by(Panel.created_at.desc(), Panel.id.desc())
    if not can(user, Permission.PANELS_MANAGE):
        stmt = stmt.where(Panel.status != "draft")
    return list(db.session.scalars(stmt))


def pool_counts(panel: Panel) -> dict[str, Counter]:
    """Per feature, how many respondents in the pool gave each value."""
    counts: dict[str, Counter] = {f["name"]: Counter() for f in panel.features}
    for respondent in _pool_respondents(panel):
        for name, counter in counts.items():
            counter[respondent.features.get(name)] += 1
    return counts


def _pool_respondents(panel: Panel) -> list[Respondent]:
    return list(db.session.scalars(select(Respondent).where(Respondent.panel_id == panel.id,
                                                            Respondent.status == "pool")
                                   .order_by(Respondent.number)))


def pool_size(panel: Panel) -> int:
    return db.session.scalar(select(func.count()).select_from(Respondent).where(
        Respondent.panel_id == panel.id, Respondent.status == "pool")) or 0


# --- respondents --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.line}, column {self.column or '-'}: {self.message} ({self.value!r})"


class RespondentsFileError(InvalidInput):
    """The respondents file has problems; nothing was imported. ``errors`` lists them (up to 50)."""

    def __init__(self, filename: str, errors: list[RowError], total: int | None = None) -> None:
        super().__init__(_("%(file)s has %(n)d problem(s); nothing was imported.", file=filename,
                           n=total or len(errors)), field="file")
        self.filename = filename
        self.errors = errors


@dataclass
class RespondentsImport:
    filename: str
    added: int = 0
    replaced: int = 0


def new_respondent_number(panel: Panel, taken: set[int] | None = None) -> int:
    """A random, unused pseudonymous number (six digits): numbers reveal no order of sign-up."""
    if taken is None:
        taken = set(db.session.scalars(select(Respondent.number).where(Respondent.panel_id == panel.id)))
    while True:
        number = 100_000 + secrets.randbelow(900_000)
        if number not in taken:
            taken.add(number)
            return number


def _decode(data: bytes | str, filename: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RespondentsFileError(filename, [RowError(0, "", "", _("the file is not UTF-8 text (byte %(at)d)",
                                                                       at=error.start))]) from error


def import_respondents(actor: User | str, panel: Panel, data: bytes | str, *, filename: str = "respondents.csv",
                       replace: bool = False) -> RespondentsImport:
    """Add the respondents of a CSV to the pool, all or nothing.

    Columns: one per feature question (values must be the panel's values; case is forgiven),
    optional ``number`` (or ``id``: the pseudonymous number, a positive integer; drawn at random
    otherwise) and optional personal columns ``name``, ``email``, ``phone``, ``address``,
    ``postal_code``, ``language``. Any other column is refused. With ``replace``, earlier uploaded
    respondents still in the pool are removed first. Raises RespondentsFileError naming file, row,
    column and value of every problem (up to 50), PermissionDenied, PhaseClosed.
    """
    _require_manage(actor, panel)
    _require_open(panel)
    text = _decode(data, filename)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    errors: list[RowError] = []
    total_errors = 0

    def fail(line: int, column: str, value: str, message: str) -> None:
        nonlocal total_errors
        total_errors += 1
        if len(errors) < MAX_ROW_ERRORS:
            errors.append(RowError(line, column, value, message))

    if not header:
        raise RespondentsFileError(filename, [RowError(1, "", "", _("the file is empty"))])
    features = {f["name"]: f["values"] for f in panel.features}
    number_column = next((c for c in NUMBER_COLUMNS if c in header), None)
    for column in header:
        if column not in features and column not in PERSONAL_COLUMNS and column != number_column:
            fail(1, column, column, _("unknown column (expected the feature questions %(features)s, and optionally "
                                      "number, name, email, phone, address, postal_code, language)",
                                      features=", ".join(features)))
    for name in features:
        if name not in header:
            fail(1, name, "", _("missing column for the feature question “%(name)s”", name=name))
    if len(set(header)) != len(header):
        fail(1, "", ",".join(header), _("a column appears twice"))
    if total_errors:
        raise RespondentsFileError(filename, errors, total_errors)

    if replace:
        kept = [r for r in panel.respondents if not (r.source == "upload" and r.status == "pool")]
    else:
        kept = list(panel.respondents)
    taken = {r.number for r in kept}
    in_file: dict[int, int] = {}
    rows: list[tuple[int | None, dict[str, str], dict[str, str]]] = []
    folded = {name: {v.casefold(): v for v in values} for name, values in features.items()}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            fail(line, "", ",".join(raw[None]), _("more fields than columns"))
            continue
        if not any(row.values()):
            continue  # blank line
        answers: dict[str, str] = {}
        for name, values in features.items():
            value = row.get(name, "")
            canonical = folded[name].get(value.casefold())
            if canonical is None:
                fail(line, name, value, _("unknown value (expected one of: %(values)s)", values=", ".join(values))
                     if value else _("missing answer"))
            else:
                answers[name] = canonical
        number = None
        if number_column:
            value = row.get(number_column, "")
            if not value.isdigit() or not 0 < int(value) < 2**31:
                fail(line, number_column, value, _("the number must be a positive whole number"))
            else:
                number = int(value)
                if number in taken:
                    fail(line, number_column, value, _("this number is already used in the panel's pool"))
                elif number in in_file:
                    fail(line, number_column, value, _("this number is already used on row %(row)d",
                                                       row=in_file[number]))
                in_file[number] = line
        personal = {}
        for column, attribute in PERSONAL_COLUMNS.items():
            if column in row and row[column]:
                limit = Respondent.__table__.c[attribute].type.length
                if len(row[column]) > limit:
                    fail(line, column, row[column][:40] + "…", _("longer than %(n)d characters", n=limit))
                personal[attribute] = row[column]
        if "email" in personal and "@" not in personal["email"]:
            fail(line, "email", personal["email"], _("not an e-mail address"))
        rows.append((number, answers, personal))
        if len(rows) + len(kept) > MAX_RESPONDENTS:
            fail(line, "", "", _("more than %(n)d respondents", n=MAX_RESPONDENTS))
            break
    if not rows and not total_errors:
        fail(2, "", "", _("the file has no respondents"))
    if total_errors:
        raise RespondentsFileError(filename, errors, total_errors)

    report = RespondentsImport(filename)
    if replace:
        for respondent in [r for r in panel.respondents if r not in kept]:
            panel.respondents.remove(respondent)
            report.replaced += 1
        db.session.flush()
    for number, answers, personal in rows:
        db.session.add(Respondent(panel=panel, number=number or new_respondent_number(panel, taken),
                                  features=answers, source="upload", status="pool", **personal))
        report.added += 1
    db.session.flush()
    audit.record(actor, "panel.respondents.import", target=panel, details={
        "file": filename, "added": report.added, "replaced": report.replaced})
    return report


def respondents_page(actor: User | str, panel: Panel, page: int = 1, per_page: int = 100):
    """The respondents with their personal data: clerks only."""
    _require_manage(actor, panel)
    return paginate(select(Respondent).where(Respondent.panel_id == panel.id).order_by(Respondent.number),
                    page=page, per_page=per_page)


# --- quotas -------------------------------------------------------------------------------------

@dataclass
class QuotaRow:
    feature: str
    label: str
    value: str
    min: int | None
    max: int | None
    pool: int
    census_share: float | None = None


def quota_rows(panel: Panel, quotas: list[dict[str, Any]] | None = None) -> list[QuotaRow]:
    """Every feature value with its quota (if set), the pool count and the census share when known."""
    current = {(q["feature"], q["value"]): q for q in (panel.quotas if quotas is None else quotas)}
    counts = pool_counts(panel)
    rows = []
    for f in panel.features:
        shares = census_shares(panel, f)
        for value in f["values"]:
            q = current.get((f["name"], value))
            rows.append(QuotaRow(f["name"], f.get("label") or f["name"], value, q and q["min"], q and q["max"],
                                 counts[f["name"]][value], shares.get(value) if shares else None))
    return rows


def parse_quotas(panel: Panel, raw: Iterable[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
    """Turn (feature, value, min, max) strings into quotas, checking each. Raises InvalidInput naming the value."""
    valid = {f["name"]: f["values"] for f in panel.features}
    quotas = []
    seen = set()
    for feature, value, low, high in raw:
        if feature not in valid or value not in valid[feature]:
            raise InvalidInput(_("Unknown feature value %(feature)s = %(value)s.", feature=feature, value=value))
        try:
            lo, hi = int(str(low).strip()), int(str(high).strip())
        except ValueError:
            raise InvalidInput(_("%(feature)s = %(value)s: the minimum and maximum must be whole numbers "
                                 "(got “%(low)s” and “%(high)s”).", feature=feature, value=value, low=low,
                                 high=high)) from None
        if lo < 0 or hi < lo:
            raise InvalidInput(_("%(feature)s = %(value)s: need 0 ≤ minimum ≤ maximum (got %(low)d and %(high)d).",
                                 feature=feature, value=value, low=lo, high=hi))
        if lo > panel.size:
            raise InvalidInput(_("%(feature)s = %(value)s: the minimum %(low)d is more than the panel size %(k)d.",
                                 feature=feature, value=value, low=lo, k=panel.size))
        seen.add((feature, value))
        quotas.append({"feature": feature, "value": value, "min": lo, "max": min(hi, panel.size)})
    missing = [(f, v) for f, values in valid.items() for v in values if (f, v) not in seen]
    if missing:
        raise InvalidInput(_("Set a minimum and maximum for every value (missing: %(feature)s = %(value)s).",
                             feature=missing[0][0], value=missing[0][1]))
    return quotas


def set_quotas(actor: User | str, panel: Panel, quotas: list[dict[str, Any]]) -> Panel:
    """Store the quotas (from :func:`parse_quotas`) until the commitment."""
    _require_manage(actor, panel)
    _require_open(panel)
    panel.quotas = quotas
    db.session.flush()
    audit.record(actor, "panel.quotas", target=panel, details={"quotas": quotas})
    return panel


def _age_band(value: str) -> tuple[int, int] | None:
    match = _AGE_RANGE_RE.match(value)
    if match:
        return int(match.group(1)), int(match.group(2))
    match = _AGE_OPEN_RE.match(value)
    if match:
        return int(match.group(1)), 200
    return None


def census_shares(panel: Panel, feature: dict[str, Any]) -> dict[str, float] | None:
    """Population share of each value of a district or age-band feature, from the census register.

    A feature counts as "district" when its values are district names, as "age" when every value
    is a band such as ``16-29`` or ``65+``. The census is limited to the panel's districts when it has
    some. None when the feature is neither or the census has no one in it.
    """
    values = feature["values"]
    by_name = {d.name.casefold(): d for d in db.session.scalars(select(District))}
    entries = select(CensusEntry.district_id, CensusEntry.date_of_birth)
    if panel.districts:
        entries = entries.where(CensusEntry.district_id.in_([d.id for d in panel.districts]))
    if all(v.casefold() in by_name for v in values):
        ids = {by_name[v.casefold()].id: v for v in values}
        counts = dict(db.session.execute(
            select(CensusEntry.district_id, func.count()).where(CensusEntry.district_id.in_(list(ids)))
            .group_by(CensusEntry.district_id)).all())
        tally = {ids[i]: counts.get(i, 0) for i in ids}
    else:
        bands = {v: _age_band(v) for v in values}
        if None in bands.values():
            return None
        today = date.today()
        tally = dict.fromkeys(values, 0)
        for _district, born in db.session.execute(entries):
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            for value, (low, high) in bands.items():
                if low <= age <= high:
                    tally[value] += 1
                    break
    total = sum(tally.values())
    return {v: tally[v] / total for v in values} if total else None


def propose_quotas(actor: User | str, panel: Panel, *, slack: float = 0.1) -> list[dict[str, Any]]:
    """Quotas proportional to the census (district, age band) or else to the pool, not stored.

    For a share p the target is k·p; the range is the target ± max(1, slack·target) rounded outwards,
    capped by the number of respondents in the pool with that value.
    """
    _require_manage(actor, panel)
    counts = pool_counts(panel)
    size = pool_size(panel)
    k = panel.size
    quotas = []
    for f in panel.features:
        shares = census_shares(panel, f)
        if shares is None:
            shares = {v: (counts[f["name"]][v] / size if size else 1 / len(f["values"])) for v in f["values"]}
        for value in f["values"]:
            target = k * shares[value]
            margin = max(1.0, slack * target)
            available = counts[f["name"]][value] if size else k
            low = max(0, min(math.floor(target - margin), available))
            high = min(k, max(low, math.ceil(target + margin)), available if size else k)
            quotas.append({"feature": f["name"], "value": value, "min": low, "max": max(low, high)})
    return quotas


# --- the library's inputs ----------------------------------------------------------------------

def household_key(panel: Panel, respondent: Respondent) -> str:
    """A keyed hash of the normalised address and postal code ("" without an address).

    Equal for people at the same address (case and spacing ignored); without the app's secret it
    does not reveal the address. Keyed per panel, so keys cannot be linked across panels.
    """
    address = _SPACES_RE.sub(" ", f"{respondent.address} | {respondent.postal_code}").strip().casefold()
    if not respondent.address.strip():
        return ""
    key = hashlib.sha256(f"agora-household:{current_app.config['SECRET_KEY']}:{panel.id}".encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:16]


def anonymised_rows(panel: Panel, *, households: bool = False) -> list[dict[str, str]]:
    """The pool as the library and the public see it: the pseudonymous number and the answers only
    (and, with the household rule, the keyed household hash)."""
    names = [f["name"] for f in panel.features]
    rows = []
    for r in _pool_respondents(panel):
        row = {"id": str(r.number), **{n: r.features.get(n, "") for n in names}}
        if households:
            row[HOUSEHOLD_COLUMN] = household_key(panel, r)
        rows.append(row)
    return rows


def _address_columns(households: bool) -> tuple[str, ...]:
    return (HOUSEHOLD_COLUMN,) if households else ()


def build_pool(panel: Panel, *, households: bool = False):
    sortition = _sortition()
    rows = anonymised_rows(panel, households=households)
    if not rows:
        raise InvalidInput(_("The pool is empty: add respondents first."))
    return sortition.Pool.from_rows(rows, id_column="id", feature_columns=[f["name"] for f in panel.features],
                                    address_columns=_address_columns(households), source=f"panel-{panel.id}-pool")


def quotas_rows(quotas: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"feature": q["feature"], "value": q["value"], "min": str(q["min"]), "max": str(q["max"])}
            for q in quotas]


def build_quotas(panel: Panel, quotas: list[dict[str, Any]] | None = None):
    quotas = panel.quotas if quotas is None else quotas
    if not quotas:
        raise InvalidInput(_("Set the quotas first."))
    return _sortition().Quotas.from_rows(quotas_rows(quotas), source=f"panel-{panel.id}-quotas")


def _pool_from_csv(text: str, source: str, households: bool = False):
    return _sortition().Pool.from_rows(csv.DictReader(io.StringIO(text)), id_column="id",
                                       address_columns=_address_columns(households), source=source)


def _quotas_from_csv(text: str, source: str):
    return _sortition().Quotas.from_rows(csv.DictReader(io.StringIO(text)), source=source)


def _library_message(error: Exception) -> str:
    """What the selection library said, in the reader's language where its code is known (else in English)."""
    code, value = getattr(error, "code", None), getattr(error, "value", None)
    if code == "empty_pool":
        return _("The pool is empty: nobody can be drawn.")
    if code == "panel_larger_than_pool":
        return _("The panel size %(size)s is larger than the pool.", size=value)
    if code == "unknown_value":
        return _("This value has no quota.")
    if code == "missing_feature_column":
        return _("The quotas name a feature the pool does not have.")
    if code == "no_replacement":
        return _("Not enough people are left in the pool to replace them.")
    if code == "solver_failed":
        return _("The solver ran into numerical trouble on this input. Try again; if it persists, report it.")
    if code == "infeasible" and getattr(error, "report", None) is not None:
        reasons = [text for text in map(conflict_text, error.report.conflict_details) if text]
        return " ".join([_("No panel meets the quotas."), *reasons])
    return getattr(error, "message", None) or str(error)


def _library_error(error: Exception) -> InvalidInput:
    """A SortitionError as a translated InvalidInput that says where (file, row, column, value)."""
    parts = []
    if getattr(error, "file", None) is not None:
        parts.append(str(error.file))
    if getattr(error, "row", None) is not None:
        parts.append(_("row %(row)d", row=error.row))
    if getattr(error, "column", None) is not None:
        parts.append(_("column “%(column)s”", column=error.column))
    if getattr(error, "value", None) is not None:
        parts.append(_("value “%(value)s”", value=error.value))
    message = _library_message(error)
    return InvalidInput(_("The selection library refused the input (%(where)s): %(error)s",
                          where=", ".join(parts), error=message) if parts
                        else _("The selection library refused the input: %(error)s", error=message))


@dataclass
class Feasibility:
    feasible: bool
    conflicts: list[str]
    relaxations: list[dict[str, Any]]
    pool: int
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"feasible": self.feasible, "conflicts": self.conflicts, "relaxations": self.relaxations,
                "pool": self.pool, "size": self.size,
                "summary": (_("These quotas can be met: a panel of %(k)d can be drawn from %(n)d respondents.",
                              k=self.size, n=self.pool) if self.feasible
                            else _("These quotas cannot be met by any panel of %(k)d from these %(n)d respondents.",
                                   k=self.size, n=self.pool)),
                "suggestions": [relaxation_text(r) for r in self.relaxations]}


def relaxation_text(r: dict[str, Any]) -> str:
    """A suggested relaxation in plain words."""
    if r["new_min"] != r["old_min"] and r["new_max"] != r["old_max"]:
        return _("For %(feature)s = %(value)s, change the range from %(old_min)d–%(old_max)d to "
                 "%(new_min)d–%(new_max)d.", **r)
    if r["new_min"] != r["old_min"]:
        return _("For %(feature)s = %(value)s, lower the minimum from %(old_min)d to %(new_min)d.", **r)
    return _("For %(feature)s = %(value)s, raise the maximum from %(old_max)d to %(new_max)d.", **r)


def conflict_text(detail: dict[str, Any]) -> str | None:
    """A conflict the library found, in the reader's language (None for its smallest change: the suggestions say it)."""
    kind = detail["kind"]
    if kind == "minimums_above_size":
        return _("The minimums for %(feature)s add up to %(total)d, more than the panel size %(size)d.", **detail)
    if kind == "maximums_below_size":
        return _("The maximums for %(feature)s add up to %(total)d, fewer than the panel size %(size)d.", **detail)
    if kind == "too_few_in_pool":
        if detail["available"] == 0:
            return _("Nobody in the pool has %(feature)s = %(value)s, but the minimum is %(minimum)d.", **detail)
        return ngettext("Only %(num)d person in the pool has %(feature)s = %(value)s, but the minimum is %(minimum)d.",
                        "Only %(num)d people in the pool have %(feature)s = %(value)s, but the minimum is %(minimum)d.",
                        detail["available"], **detail)
    if kind == "households_too_few":
        return _("With at most one person per household, only %(selectable)d people can be chosen together, "
                 "fewer than the panel size %(size)d.", **detail)
    if kind == "quotas_in_conflict":
        named = "; ".join(_("%(feature)s = %(value)s (min %(min)d, max %(max)d)", **q) for q in detail["quotas"])
        return _("No panel of %(size)d meets all the quotas at once. The quotas in conflict: %(quotas)s.",
                 size=detail["size"], quotas=named)
    if kind == "no_quota_change_helps":
        return _("No change of the quotas alone allows a panel of %(size)d.", **detail)
    return None  # smallest_change


def check_feasibility(actor: User | str, panel: Panel, quotas: list[dict[str, Any]] | None = None, *,
                      households: bool = False) -> Feasibility:
    """Can a panel of the panel's size meet these quotas (default: the stored ones) in this pool?

    With ``households``, at most one person per address (the household rule) is required too.
    """
    _require_manage(actor, panel)
    sortition = _sortition()
    pool = build_pool(panel, households=households)
    try:
        report = sortition.check_feasibility(pool, build_quotas(panel, quotas), panel.size,
                                             address_columns=_address_columns(households))
    except sortition.SortitionError as error:
        raise _library_error(error) from error
    relaxations = [{"feature": r.feature, "value": r.value, "old_min": r.old_min, "old_max": r.old_max,
                    "new_min": r.new_min, "new_max": r.new_max} for r in report.relaxations]
    conflicts = [text for text in map(conflict_text, report.conflict_details) if text]
    return Feasibility(bool(report.feasible), conflicts, relaxations, len(pool.ids), panel.size)


# --- commitment and draw ------------------------------------------------------------------------

def publish_commitment(actor: User | str, panel: Panel, *, method: str = "leximin", lottery_panels: int | None = None,
                       alternates: int | None = None, households: bool = False) -> PanelDraw:
    """Freeze the anonymised pool and the quotas and publish their SHA-256, the method and the library version.

    Refused when the quotas are missing or infeasible (InvalidInput with the conflict report in
    ``details``), or when a commitment exists (Conflict). Sign-ups close: the status becomes "committed".
    """
    _require_manage(actor, panel)
    _lock(panel)
    if panel.draw is not None:
        raise Conflict(_("The commitment of this panel is already published."))
    _require_open(panel)
    if method not in METHODS:
        raise InvalidInput(_("Unknown selection method."), field="method")
    if lottery_panels is not None and not 2 <= lottery_panels <= 100_000:
        raise InvalidInput(_("The lottery needs between 2 and 100,000 panels."), field="lottery_panels")
    alternates = config_alternates(panel) if alternates is None else alternates
    if not 0 <= alternates <= 1000:
        raise InvalidInput(_("Between 0 and 1000 alternates."), field="alternates")
    sortition = _sortition()
    feasibility = check_feasibility(actor, panel, households=households)
    if not feasibility.feasible:
        raise InvalidInput(_("These quotas cannot be met; the commitment was not published."),
                           details=feasibility.to_dict())
    quotas = build_quotas(panel)
    # The pool as the library hashes it in results: the id and the quota features in its order.
    pool = build_pool(panel, households=households).select(quotas.features, _address_columns(households))
    draw = PanelDraw(panel=panel, method=method, lottery_panels=lottery_panels, alternates=alternates,
                     households=households,
                     size=panel.size, pool_csv=pool.canonical_csv(), pool_sha256=pool.sha256,
                     quotas_csv=quotas.canonical_csv(), quotas_sha256=quotas.sha256,
                     library_version=sortition.__version__, committed_at=utcnow(),
                     committed_by_id=getattr(actor, "id", None), replacements=[])
    db.session.add(draw)
    panel.status = "committed"
    db.session.flush()
    audit.record(actor, "panel.commit", target=panel, details={
        "pool_sha256": draw.pool_sha256, "quotas_sha256": draw.quotas_sha256, "method": method,
        "lottery_panels": lottery_panels, "alternates": alternates, "size": panel.size, "households": households,
        "pool": len(pool.ids), "library_version": draw.library_version})
    return draw


def enter_seed(actor: User | str, panel: Panel, seed: str, *, background: bool = True) -> jobs.Job | None:
    """Record the public seed and queue the draw (runs after this transaction commits).

    A seed is entered once; if the draw job failed, :func:`retry_draw` runs it again with the same seed.
    With ``background=False`` (the CLI) no job is queued: the caller runs :func:`run_draw` itself.
    """
    _require_manage(actor, panel)
    draw = _lock(panel).draw
    if draw is None:
        raise Conflict(_("Publish the commitment before entering the seed."))
    if draw.seed is not None:
        raise Conflict(_("The seed of this draw was already entered."))
    seed = (seed or "").strip()
    if not seed or len(seed) > 200:
        raise InvalidInput(_("Enter the seed (the dice, the lottery number…), at most 200 characters."),
                           field="seed")
    draw.seed, draw.seed_entered_at, draw.seed_entered_by_id = seed, utcnow(), getattr(actor, "id", None)
    job = jobs.enqueue("panels.draw", {"panel_id": panel.id}, actor=actor) if background else None
    draw.job_id = job.id if job else None
    db.session.flush()
    audit.record(actor, "panel.seed", target=panel, details={"seed": seed, "job": job.id if job else None})
    return job


def retry_draw(actor: User | str, panel: Panel) -> jobs.Job:
    """Queue the draw again with the same seed after its job failed."""
    _require_manage(actor, panel)
    draw = _lock(panel).draw
    if draw is None or draw.seed is None or draw.result is not None:
        raise Conflict(_("There is no failed draw to run again."))
    if draw.job is not None and not draw.job.finished:
        raise Conflict(_("The draw is still running."))
    job = jobs.enqueue("panels.draw", {"panel_id": panel.id}, actor=actor)
    draw.job_id = job.id
    db.session.flush()
    audit.record(actor, "panel.draw.retry", target=panel, details={"job": job.id})
    return job


_SETTLED_RE = re.compile(r"(\d+) of (\d+) groups settled")


def _progress_fraction(progress: Any, state: dict[str, Any]) -> float:
    """Map the library's progress reports to a fraction that only goes up.

    The library does not know its total work in advance. LEXIMIN reports how many groups of
    people have their probability settled ("12 of 545 groups settled"), a true share of the work;
    otherwise the column-generation iteration count gives a saturating estimate.
    """
    fraction = getattr(progress, "fraction", None)
    if fraction is None:
        iteration = getattr(progress, "iteration", 0) or 0
        estimate = 1 - math.exp(-iteration / 40)
        match = _SETTLED_RE.search(getattr(progress, "message", "") or "")
        if match and int(match.group(2)):
            estimate = max(estimate * 0.5, int(match.group(1)) / int(match.group(2)))
        fraction = estimate
    fraction = max(state.get("last", 0.0), min(0.95, 0.05 + 0.9 * float(fraction)))
    state["last"] = fraction
    return fraction


def compute_draw(draw: PanelDraw, progress: Callable[[Any], None] | None = None):
    """Run the library on the frozen CSV texts of a committed draw with its seed (no database writes)."""
    sortition = _sortition()
    pool = _pool_from_csv(draw.pool_csv, f"panel-{draw.panel_id}-pool.csv", draw.households)
    quotas = _quotas_from_csv(draw.quotas_csv, f"panel-{draw.panel_id}-quotas.csv")
    if pool.sha256 != draw.pool_sha256 or quotas.sha256 != draw.quotas_sha256:
        raise Conflict(_("The frozen pool or quotas no longer match the published commitment."))
    try:
        result = sortition.draw(pool, quotas, draw.size, seed=draw.seed, method=draw.method,
                                lottery_panels=draw.lottery_panels, alternates=draw.alternates, progress=progress,
                                address_columns=_address_columns(draw.households))
    except sortition.SortitionError as error:
        raise _library_error(error) from error
    if result.pool_sha256 != draw.pool_sha256 or result.quotas_sha256 != draw.quotas_sha256:
        raise Conflict(_("The draw did not use the committed pool and quotas."))
    return result


def store_result(panel: Panel, result: Any, actor: User | str) -> dict[str, Any]:
    """Store a draw's result, mark the selected and the alternates, and audit-log it (flushes)."""
    draw = _lock(panel).draw
    if draw.result is not None:
        raise Conflict(_("This panel is already drawn."))
    draw.result = result.to_dict()
    draw.drawn_at = utcnow()
    selected, reserve = set(result.panel), list(result.alternates)
    by_number = {str(r.number): r for r in panel.respondents}
    now = utcnow()
    for number in selected:
        by_number[number].status, by_number[number].status_changed_at = "selected", now
    for number in reserve:
        by_number[number].status, by_number[number].status_changed_at = "alternate", now
    panel.status = "drawn"
    db.session.flush()
    audit.record(actor, "panel.draw", target=panel, details={
        "seed": draw.seed, "method": draw.method, "lottery_panels": draw.lottery_panels,
        "pool_sha256": draw.pool_sha256, "quotas_sha256": draw.quotas_sha256,
        "panel": sorted(selected, key=_numeric), "alternates": reserve,
        "minimum_probability": result.fairness.get("minimum"), "library_version": result.version})
    return {"panel_id": panel.id, "selected": len(selected), "alternates": len(reserve),
            "fairness": dict(result.fairness)}


def run_draw(panel_id: int, report: Callable[[float, str], None] | None = None, *,
             actor: User | str | None = None) -> dict[str, Any]:
    """Run the committed draw (the job handler; the CLI calls it directly) and store the result.

    The library works outside any open transaction on the frozen CSV texts; the result, the
    respondents' statuses and the audit entry are then stored in one short transaction. The audit
    entry names ``actor``, by default the clerk who entered the seed.
    """
    panel = db.session.get(Panel, panel_id)
    if panel is None or panel.draw is None or panel.draw.seed is None:
        raise Conflict(_("This panel has no committed draw with a seed."))
    draw = panel.draw
    if draw.result is not None:
        raise Conflict(_("This panel is already drawn."))
    actor_id = draw.seed_entered_by_id
    db.session.expunge(draw)  # keep its loaded columns for the computation, outside any transaction
    db.session.commit()  # nothing was changed; end the read transaction before the long computation
    state: dict[str, Any] = {}

    def progress(p) -> None:
        if report is not None:
            report(_progress_fraction(p, state), str(getattr(p, "message", "") or getattr(p, "phase", "")))

    if report is not None:
        report(0.02, "starting")
    result = compute_draw(draw, progress)
    if report is not None:
        report(0.98, "storing the result")
    with unit_of_work():
        panel = db.session.get(Panel, panel_id)
        if actor is None:
            actor = db.session.get(_user_model(), actor_id) if actor_id else "system"
        summary = store_result(panel, result, actor)
    return summary


def _user_model():
    from agora.accounts.models import User

    return User


def _numeric(number: str) -> tuple[int, str]:
    return (int(number), number) if str(number).isdigit() else (0, str(number))


@jobs.handler("panels.draw")
def _draw_job(job_id: int, payload: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    return run_draw(int(payload["panel_id"]), report)


def draw_job(panel: Panel) -> jobs.Job | None:
    return panel.draw.job if panel.draw is not None else None


# --- results ------------------------------------------------------------------------------------

def export_name(panel: Panel, suffix: str) -> str:
    return f"panel-{panel.id}-{suffix}"


def verify_command(panel: Panel) -> str:
    """The exact command that re-checks the draw from the three public downloads."""
    return (f"python -m sortition verify {export_name(panel, 'result.json')} "
            f"--pool {export_name(panel, 'pool.csv')} --quotas {export_name(panel, 'quotas.csv')}")


def require_drawn(panel: Panel) -> PanelDraw:
    if panel.draw is None or panel.draw.result is None:
        raise NotFound(_("This panel has not been drawn yet."))
    return panel.draw


def probability_summary(result: dict[str, Any]) -> dict[str, float]:
    values = sorted(float(p) for p in result["probabilities"].values())
    k, n = int(result["k"]), len(values)
    return {"minimum": values[0], "median": statistics.median(values), "maximum": values[-1],
            "uniform": k / n if n else 0.0, "n": n, "k": k,
            "below_uniform": sum(1 for v in values if v < k / n - 1e-9)}


def composition(panel: Panel) -> list[dict[str, Any]]:
    """Per feature value: quota, pool count, selected in the draw, and on the panel now (after replacements)."""
    draw = require_drawn(panel)
    pool_rows = list(csv.DictReader(io.StringIO(draw.pool_csv)))
    by_id = {row["id"]: row for row in pool_rows}
    current = current_panel_numbers(panel)
    labels = {f["name"]: f.get("label") or f["name"] for f in panel.features}
    rows = []
    for quota in draw.result["quota_fulfilment"]:
        feature, value = quota["feature"], quota["value"]
        rows.append({"feature": feature, "label": labels.get(feature, feature), "value": value,
                     "min": int(quota["min"]), "max": int(quota["max"]),
                     "selected": int(quota["selected"]),
                     "pool": sum(1 for row in pool_rows if row.get(feature) == value),
                     "now": sum(1 for n in current if by_id.get(n, {}).get(feature) == value)})
    return rows


def current_panel_numbers(panel: Panel) -> list[str]:
    """Pseudonymous numbers of the people on the panel now (selected or confirmed)."""
    return [str(r.number) for r in panel.respondents if r.status in ON_PANEL]


def remaining_alternates(panel: Panel) -> list[str]:
    """Alternates not yet called up, in the library's order."""
    draw = require_drawn(panel)
    status = {str(r.number): r.status for r in panel.respondents}
    return [n for n in draw.result.get("alternates", []) if status.get(n) == "alternate"]


def people(actor: User | str, panel: Panel) -> dict[str, list[Respondent]]:
    """Names and contacts of the selected, the alternates and those who left: clerks only."""
    _require_manage(actor, panel)
    require_drawn(panel)
    order = {n: i for i, n in enumerate(panel.draw.result.get("alternates", []))}
    groups: dict[str, list[Respondent]] = {"panel": [], "alternates": [], "left": []}
    for r in panel.respondents:
        if r.status in ON_PANEL:
            groups["panel"].append(r)
        elif r.status == "alternate":
            groups["alternates"].append(r)
        elif r.status in ("declined", "dropped"):
            groups["left"].append(r)
    groups["alternates"].sort(key=lambda r: order.get(str(r.number), 10**9))
    return groups


def verify_draw(panel: Panel):
    """Re-check the stored result against the frozen pool and quotas with the library's verifier."""
    draw = require_drawn(panel)
    pool = _pool_from_csv(draw.pool_csv, export_name(panel, "pool.csv"), draw.households)
    quotas = _quotas_from_csv(draw.quotas_csv, export_name(panel, "quotas.csv"))
    return _sortition().verify(draw.result, pool, quotas)


# --- drop-outs ----------------------------------------------------------------------------------

@dataclass
class DropoutOutcome:
    respondent: Respondent
    replacements: list[Respondent]
    problem: str = ""


def record_dropout(panel: Panel, respondent: Respondent, actor: User | str, reason: str = "", *,
                   declined: bool = False) -> DropoutOutcome:
    """A selected (or confirmed) person leaves the panel; replacements come from the alternates.

    ``actor`` is a clerk, the respondent's own account, or a label (``str``) for a trusted caller
    that has checked a personal token (the invitations' decline link). ``declined`` marks a
    declined invitation rather than a later drop-out. The replacements are chosen by
    ``sortition.replace_dropouts`` so that every quota stays met, with a seed derived from the
    draw's seed; if no replacement can keep the quotas, the drop-out is still recorded and
    ``problem`` says so. Everything is audit-logged. Raises PermissionDenied, Conflict.
    """
    if not isinstance(actor, str) and not can(actor, Permission.PANELS_MANAGE, panel) and not (
            respondent.user_id is not None and respondent.user_id == getattr(actor, "id", None)):
        raise PermissionDenied(_("You are not allowed to do this."))
    if respondent.panel_id != panel.id:
        raise NotFound(_("This person is not in this panel's pool."))
    draw = require_drawn(_lock(panel))
    db.session.refresh(respondent)
    if respondent.status not in ON_PANEL:
        raise Conflict(_("Only someone on the panel can drop out (this person is: %(status)s).",
                         status=RESPONDENT_STATUSES.get(respondent.status, respondent.status)))
    reason = (reason or "").strip()[:300]
    now = utcnow()
    respondent.status = "declined" if declined else "dropped"
    respondent.status_reason, respondent.status_changed_at = reason, now
    if respondent.user_id is not None:
        for member in db.session.scalars(select(PanelMember).where(PanelMember.panel_id == panel.id,
                                                                   PanelMember.user_id == respondent.user_id)):
            member.left_at = member.left_at or now
    audit.record(actor, "panel.dropout", target=panel, details={
        "respondent": respondent.number, "reason": reason, "declined": declined})

    sortition = _sortition()
    round_number = len(draw.replacements or []) + 1
    seed = f"{draw.seed}/replacement-{round_number}"
    current = [n for n in current_panel_numbers(panel)]
    state = dict(draw.result)
    state["panel"] = sorted([*current, str(respondent.number)], key=_numeric)
    state["alternates"] = remaining_alternates(panel)
    # Whoever left earlier (declined, dropped) is not a candidate again: leave them out of the pool.
    gone = {str(r.number) for r in panel.respondents if r.status in ("declined", "dropped") and r is not respondent}
    rows = [row for row in csv.DictReader(io.StringIO(draw.pool_csv)) if row["id"] not in gone]
    pool = _sortition().Pool.from_rows(rows, id_column="id", address_columns=_address_columns(draw.households),
                                       source=export_name(panel, "pool.csv"))
    quotas = _quotas_from_csv(draw.quotas_csv, export_name(panel, "quotas.csv"))
    by_number = {str(r.number): r for r in panel.respondents}
    replacements: list[Respondent] = []
    problem = ""
    try:
        replacement = sortition.replace_dropouts(sortition.SelectionResult.from_dict(state),
                                                 [str(respondent.number)], pool, quotas, seed=seed)
    except sortition.SortitionError as error:
        problem = _("No alternate can replace this person while keeping every quota met: %(error)s",
                    error=_library_message(error))
        chosen: list[str] = []
    else:
        chosen = list(replacement.replacements)
        for number in chosen:
            by_number[number].status, by_number[number].status_changed_at = "selected", now
            by_number[number].status_reason = _("Replaces %(number)s", number=respondent.number)
            replacements.append(by_number[number])
    draw.replacements = [*(draw.replacements or []), {
        "round": round_number, "dropped": [str(respondent.number)], "replacements": chosen, "seed": seed,
        "reason": reason, "declined": declined, "at": now.isoformat(), "problem": problem}]
    db.session.flush()
    audit.record(actor, "panel.replacement", target=panel, details={
        "round": round_number, "dropped": respondent.number, "replacements": chosen, "seed": seed,
        "problem": problem})
    return DropoutOutcome(respondent, replacements, problem)


def get_respondent(panel: Panel, respondent_id: int) -> Respondent:
    respondent = db.session.get(Respondent, respondent_id)
    if respondent is None or respondent.panel_id != panel.id:
        raise NotFound(_("This person is not in this panel's pool."))
    return respondent


def config_alternates(panel: Panel) -> int:
    """Default number of alternates: the panel size times PANELS_ALTERNATES_FACTOR (1 by default)."""
    return int(round(panel.size * float(current_app.config.get("PANELS_ALTERNATES_FACTOR", 1))))
