"""Panel invitations, sign-up, and the selected people's confirm-or-decline links (issue 7, steps 1, 2, 6).

* Clerks (``Permission.PANELS_INVITE``) draw the invitation list from the census register with a
  published seed (:mod:`agora.panels.invitation_lottery` explains the method), export the
  addresses, print the letters and send the confirmation links. Every such act is audited.
* Anyone holding a letter signs up with its personal code; verified residents volunteer when the
  panel is open to volunteers. Either way one :class:`Respondent` is created in one transaction.
* After the draw, a selected respondent confirms (becoming a :class:`PanelMember`) or declines
  (the drop-out goes to the replacement service) through a signed link.

Invitation codes: 10 characters from an alphabet without look-alikes (no I, L, O, 0, 1), about
49 bits. The code is *not* stored. It is derived as HMAC(key, nonce) from a random per-letter
nonce and ``INVITATION_CODE_KEY`` (by default derived from ``SECRET_KEY``), and looked up through
a second keyed hash. Why: clerks must be able to print (and reprint) letters at any time, so a
hash-only scheme that shows codes once would not do; yet a copy of the database alone (a backup,
a leaked dump) reveals no usable code, and without the key the stored hash cannot be
brute-forced offline. Rotating the key voids every code not yet used.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import importlib
import inspect
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from agora import audit
from agora.accounts.services import normalise_email
from agora.census.models import CensusEntry, District
from agora.census.services import age_on
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.mail import send_mail
from agora.panels import invitation_lottery as lottery
from agora.panels.invitation_models import Invitation, InvitationDraw
from agora.panels.models import Panel, PanelMember, Respondent
from agora.panels.services import new_respondent_number
from agora.permissions import Permission, require

if TYPE_CHECKING:
    from agora.accounts.models import User

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_INVITATIONS = 100_000
_SEAT_SALT = "agora.panel-seat"
DRAWABLE_STATUSES = ("draft", "inviting", "signup")
SIGNUP_STATUSES = ("inviting", "signup")
STATUS_LABELS = {
    "pool": _l("in the pool"),
    "selected": _l("selected, not answered yet"),
    "alternate": _l("alternate"),
    "confirmed": _l("confirmed"),
    "declined": _l("declined"),
    "dropped": _l("dropped out"),
}
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")


# --- codes -----------------------------------------------------------------------------------

def _code_key() -> bytes:
    key = current_app.config.get("INVITATION_CODE_KEY")
    if key:
        return str(key).encode()
    return hashlib.sha256(b"agora.invitation-code|" + str(current_app.config["SECRET_KEY"]).encode()).digest()


def derive_code(nonce: str) -> str:
    """The letter's code for ``nonce``: HMAC-SHA256 read as a number, written in base 31."""
    number = int.from_bytes(hmac.new(_code_key(), b"code|" + nonce.encode(), hashlib.sha256).digest(), "big")
    digits = []
    for _i in range(CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def hash_code(code: str) -> str:
    return hmac.new(_code_key(), b"lookup|" + code.encode(), hashlib.sha256).hexdigest()


def format_code(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCDE-FGHJK`` (how letters print it)."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(raw: str) -> str:
    """Upper-case and drop spaces and dashes; raise InvalidInput (field ``code``) if it cannot be a code."""
    code = re.sub(r"[\s\-_.]", "", raw or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise InvalidInput(_("An invitation code has 10 letters and digits, as printed on your letter "
                             "(for example ABCDE-23456)."), field="code")
    return code


def invitation_code(actor: User | str, invitation: Invitation) -> str:
    """The printable code of one invitation. Clerks only."""
    _require_clerk(actor)
    return format_code(derive_code(invitation.code_nonce))


# --- helpers ----------------------------------------------------------------------------------

def _require_clerk(actor: User | str) -> None:
    # A string actor is the command line ("cli"), which runs with the server's own rights.
    if not isinstance(actor, str):
        require(actor, Permission.PANELS_INVITE)


def get_panel(panel_id: int) -> Panel:
    panel = db.session.get(Panel, panel_id)
    if panel is None:
        raise NotFound(_("There is no panel number %(id)d.", id=panel_id))
    return panel


def get_draw(panel: Panel, draw_id: int) -> InvitationDraw:
    draw = db.session.get(InvitationDraw, draw_id)
    if draw is None or draw.panel_id != panel.id:
        raise NotFound(_("This panel has no invitation draw number %(id)d.", id=draw_id))
    return draw


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes, stored as UTC
    return moment


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link: from the request, else from ``PUBLIC_URL`` (CLI, letters printed offline)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, _external=False, **values)
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, _external=True, **values)


# --- the invitation lottery ------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    entries: list[lottery.FrameEntry]
    populations: dict[str, int]
    census_ids: dict[str, int]  # frame key → census entry id
    excluded_households: int
    without_address: int


def _panel_district_names(panel: Panel) -> list[str]:
    if panel.districts:
        return [d.name for d in panel.districts]
    return list(db.session.scalars(select(District.name).order_by(District.name)))


def build_frame(panel: Panel, *, before_draw_id: int | None = None, on: date | None = None) -> Frame:
    """The sampling frame of ``panel``: eligible residents of its districts who have an address.

    Eligible: at least ``MIN_AGE`` years old on ``on`` (today). Households already invited by
    an earlier draw of this panel (earlier than ``before_draw_id`` when given) are left out.
    Populations count every eligible resident, with or without an address.
    """
    on = on or date.today()
    minimum = int(current_app.config["MIN_AGE"])
    names = _panel_district_names(panel)
    earlier = select(Invitation.household).where(Invitation.panel_id == panel.id)
    if before_draw_id is not None:
        earlier = earlier.where(Invitation.draw_id < before_draw_id)
    invited = set(db.session.scalars(earlier))
    populations = dict.fromkeys(names, 0)
    entries: list[lottery.FrameEntry] = []
    census_ids: dict[str, int] = {}
    excluded: set[str] = set()
    without_address = 0
    rows = db.session.execute(
        select(CensusEntry.id, CensusEntry.document_hash, CensusEntry.date_of_birth, CensusEntry.address,
               CensusEntry.postal_code, District.name)
        .join(District, CensusEntry.district_id == District.id)
        .where(District.name.in_(names)))
    for entry_id, key, born, address, postal, district in rows:
        if age_on(born, on) < minimum:
            continue
        populations[district] += 1
        if not (address or "").strip():
            without_address += 1
            continue
        household = lottery.household_key(address, postal)
        if household in invited:
            excluded.add(household)
            continue
        entries.append(lottery.FrameEntry(key=key, district=district, household=household))
        census_ids[key] = entry_id
    return Frame(entries, populations, census_ids, len(excluded), without_address)


def _lottery_error_message(error: lottery.LotteryError) -> str:
    params = error.params
    if error.code == "too_few_households":
        return _("District %(district)s should get %(share)d invitations but the register has only %(available)d "
                 "households with an address there. Import the census with the address column, or invite fewer.",
                 district=params["district"], share=params["share"], available=params["available"])
    if error.code == "too_many":
        return _("You asked for %(count)d invitations but only %(available)d households can still be invited.",
                 count=params["count"], available=params["available"])
    if error.code == "empty_population":
        return _("The register has no eligible residents in this panel's districts. Import the census first.")
    if error.code == "no_seed":
        return _("Enter the published seed.")
    return _("The invitation lottery cannot run: %(reason)s", reason=str(error))


def draw_invitations(actor: User | str, panel: Panel, *, count: int, seed: str) -> InvitationDraw:
    """Draw ``count`` invitations for ``panel`` from the census with the public ``seed``. Clerks. Audited.

    Stratified by district in proportion to eligible population (largest remainders), at most
    one per household, none to a household an earlier draw of this panel already invited.
    Moves a draft panel to "inviting". Raises PermissionDenied, PhaseClosed, InvalidInput
    (field ``count`` or ``seed``).
    """
    _require_clerk(actor)
    if panel.status not in DRAWABLE_STATUSES:
        raise PhaseClosed(_("Invitations can only be drawn before the panel is drawn."))
    seed = (seed or "").strip()
    if not seed:
        raise InvalidInput(_("Enter the published seed."), field="seed")
    if len(seed) > 200:
        raise InvalidInput(_("The seed has at most 200 characters."), field="seed")
    if not 1 <= count <= MAX_INVITATIONS:
        raise InvalidInput(_("Draw between 1 and %(max)d invitations.", max=MAX_INVITATIONS), field="count")
    frame = build_frame(panel)
    if not frame.entries and frame.without_address:
        raise InvalidInput(_("None of the %(n)d eligible residents of this panel's districts has an address in the "
                             "census register. Import the register with the address column first.",
                             n=frame.without_address), field="count")
    try:
        result = lottery.draw_invitations(frame.entries, count, seed, populations=frame.populations)
    except lottery.LotteryError as error:
        raise InvalidInput(_lottery_error_message(error), field="count") from error
    draw = InvitationDraw(
        panel=panel, method=result.method, seed=seed, count=count, frame_hash=result.frame_hash,
        allocation=[{"district": a.district, "population": a.population, "households": a.households,
                     "exact_quota": round(a.exact_quota, 4), "allocated": a.allocated} for a in result.allocation],
        excluded_households=frame.excluded_households, without_address=frame.without_address,
        created_by_id=None if isinstance(actor, str) else actor.id)
    db.session.add(draw)
    db.session.flush()
    census = {e.id: e for e in db.session.scalars(
        select(CensusEntry).where(CensusEntry.id.in_([frame.census_ids[s.key] for s in result.selected])))}
    for position, chosen in enumerate(result.selected, start=1):
        entry = census[frame.census_ids[chosen.key]]
        nonce = secrets.token_hex(16)
        db.session.add(Invitation(
            panel_id=panel.id, draw=draw, position=position, census_entry_id=entry.id,
            district_name=chosen.district, household=chosen.household, full_name=entry.full_name or "",
            address=entry.address, postal_code=entry.postal_code, language=entry.language,
            code_nonce=nonce, code_hash=hash_code(derive_code(nonce))))
    if panel.status == "draft":
        panel.status = "inviting"
    db.session.flush()
    audit.record(actor, "panel.invitations.draw", target=panel, details={
        "draw": draw.id, "seed": seed, "count": count, "frame_hash": result.frame_hash, "method": result.method,
        "allocation": {a.district: a.allocated for a in result.allocation},
        "excluded_households": frame.excluded_households, "without_address": frame.without_address})
    return draw


@dataclass(frozen=True)
class DrawCheck:
    ok: bool
    frame_hash: str
    frame_matches: bool
    list_matches: bool


def verify_draw(actor: User | str, draw: InvitationDraw) -> DrawCheck:
    """Re-run a draw on today's register with its seed and compare frame hash and list. Clerks.

    A changed register (new residents, moves, birthdays crossing the minimum age) gives a
    different frame hash; the published hash says which frame the list came from.
    """
    _require_clerk(actor)
    on = _aware(draw.created_at).date()
    frame = build_frame(draw.panel, before_draw_id=draw.id, on=on)
    stored = [i.household for i in draw.invitations]
    try:
        result = lottery.draw_invitations(frame.entries, draw.count, draw.seed, populations=frame.populations)
    except lottery.LotteryError:
        return DrawCheck(False, "", False, False)
    frame_ok = result.frame_hash == draw.frame_hash
    list_ok = [s.household for s in result.selected] == stored
    return DrawCheck(frame_ok and list_ok, result.frame_hash, frame_ok, list_ok)


def list_draws(actor: User | str, panel: Panel) -> list[InvitationDraw]:
    _require_clerk(actor)
    return list(db.session.scalars(
        select(InvitationDraw).where(InvitationDraw.panel_id == panel.id).order_by(InvitationDraw.id)))


def list_invitations(actor: User | str, panel: Panel, draw: InvitationDraw | None = None) -> list[Invitation]:
    """Every invitation of the panel (or of one draw), with personal data. Clerks only."""
    _require_clerk(actor)
    stmt = select(Invitation).where(Invitation.panel_id == panel.id)
    if draw is not None:
        stmt = stmt.where(Invitation.draw_id == draw.id)
    return list(db.session.scalars(stmt.order_by(Invitation.draw_id, Invitation.position)))


def invitation_counts(panel: Panel) -> dict[str, int]:
    """Invited, signed up with a code, and volunteers: numbers only, no personal data."""
    invited = db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.panel_id == panel.id))
    used = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.panel_id == panel.id, Invitation.used_at.is_not(None)))
    volunteers = db.session.scalar(select(func.count()).select_from(Respondent).where(
        Respondent.panel_id == panel.id, Respondent.source == "volunteer"))
    return {"invited": invited or 0, "signed_up": used or 0, "volunteers": volunteers or 0}


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (names typed by the public end up here)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


ADDRESS_COLUMNS = ("position", "draw", "district", "full_name", "address", "postal_code", "language", "code",
                   "signed_up")


def addresses_csv(actor: User | str, panel: Panel, draw: InvitationDraw | None = None) -> str:
    """The invitation list as CSV, codes included (for a mail merge). Clerks only. Audited."""
    invitations = list_invitations(actor, panel, draw)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ADDRESS_COLUMNS)
    for inv in invitations:
        writer.writerow([_cell(v) for v in (
            inv.position, inv.draw_id, inv.district_name, inv.full_name, inv.address, inv.postal_code,
            inv.language or "", format_code(derive_code(inv.code_nonce)), "yes" if inv.used_at else "no")])
    audit.record(actor, "panel.invitations.export", target=panel,
                 details={"draw": draw.id if draw else None, "rows": len(invitations)})
    return out.getvalue()


@dataclass(frozen=True)
class Letter:
    invitation: Invitation
    code: str
    language: str


def letter_language(invitation: Invitation) -> str:
    """The resident's language when the register knows it and Agora speaks it, else the city's default."""
    if invitation.language in current_app.config["LANGUAGES"]:
        return invitation.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def letters(actor: User | str, panel: Panel, draw: InvitationDraw | None = None) -> list[Letter]:
    """One letter per invitation not yet used, with its code and language. Clerks only. Audited."""
    invitations = [i for i in list_invitations(actor, panel, draw) if i.used_at is None]
    audit.record(actor, "panel.invitations.letters", target=panel,
                 details={"draw": draw.id if draw else None, "letters": len(invitations)})
    return [Letter(i, format_code(derive_code(i.code_nonce)), letter_language(i)) for i in invitations]


# --- sign-up ------------------------------------------------------------------------------------

def signup_open(panel: Panel, now: datetime | None = None) -> bool:
    closes = _aware(panel.signup_closes_at)
    return panel.status in SIGNUP_STATUSES and (closes is None or (now or utcnow()) < closes)


def find_invitation(panel: Panel, raw_code: str) -> Invitation:
    """The unused invitation of ``panel`` with this code. InvalidInput (field ``code``) otherwise."""
    code = normalise_code(raw_code)
    invitation = db.session.scalar(select(Invitation).where(Invitation.code_hash == hash_code(code)))
    if invitation is None or invitation.panel_id != panel.id:
        raise InvalidInput(_("This invitation code is not valid for this panel. Check it against your letter."),
                           field="code")
    if invitation.used_at is not None:
        raise Conflict(_("This invitation code has already been used to sign up. If that was not you, "
                         "contact the city."), field="code")
    return invitation


@dataclass
class SignupData:
    answers: dict[str, str]
    full_name: str
    email: str
    phone: str = ""
    consent: bool = False
    code: str = ""
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def feature_field(panel: Panel, name: str) -> str:
    """The form field that carries the answer to feature ``name``."""
    for index, feature in enumerate(panel.features or []):
        if feature.get("name") == name:
            return f"feature_{index}"
    return "form"


def _clean_answers(panel: Panel, answers: dict[str, str]) -> dict[str, str]:
    clean = {}
    for index, feature in enumerate(panel.features or []):
        name, label = feature["name"], feature.get("label") or feature["name"]
        value = (answers.get(name) or "").strip()
        if not value:
            raise InvalidInput(_("Answer the question “%(question)s”.", question=label), field=f"feature_{index}")
        if value not in [str(v) for v in feature.get("values", [])]:
            raise InvalidInput(_("Choose one of the answers offered for “%(question)s”.", question=label),
                               field=f"feature_{index}")
        clean[name] = value
    return clean


def _clean_contact(data: SignupData) -> tuple[str, str, str]:
    full_name = " ".join((data.full_name or "").split())
    if not 2 <= len(full_name) <= 200:
        raise InvalidInput(_("Enter your full name (2 to 200 characters)."), field="full_name")
    email = normalise_email(data.email or "")
    phone = " ".join((data.phone or "").split())
    if phone and not _PHONE_RE.match(phone):
        raise InvalidInput(_("A phone number has 6 to 40 digits, spaces and + ( ) - . / signs."), field="phone")
    return full_name, email, phone


def sign_up(actor: User | None, panel: Panel, data: SignupData) -> Respondent:
    """Put someone in the panel's pool: with an invitation code, or as a volunteer. One transaction.

    With ``data.code``: anyone (logged in or not); the code is spent by a conditional UPDATE, so
    two concurrent sign-ups with one code create one respondent. Without a code: a logged-in
    verified resident volunteers, if the panel is open to volunteers. Raises InvalidInput naming
    the field, Conflict (code used, already signed up), PhaseClosed (sign-up closed) or
    PermissionDenied (volunteering without a verified residency).
    """
    if not signup_open(panel):
        raise PhaseClosed(_("Sign-up for this panel is closed."))
    code = (data.code or "").strip()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if not code:
        if not panel.open_to_volunteers:
            raise InvalidInput(_("Enter the invitation code printed on your letter."), field="code")
        if user is None:
            raise PermissionDenied(_("Log in with a verified account to volunteer, or enter your invitation code."))
        require(user, Permission.PARTICIPATE)
    invitation = find_invitation(panel, code) if code else None
    answers = _clean_answers(panel, data.answers)
    full_name, email, phone = _clean_contact(data)
    if not data.consent:
        raise InvalidInput(_("Agree to the processing of your personal data to sign up."), field="consent")
    if invitation is None and db.session.scalar(select(Respondent.id).where(
            Respondent.panel_id == panel.id, Respondent.user_id == user.id)) is not None:
        raise Conflict(_("You are already in this panel's pool."))
    if db.session.scalar(select(Respondent.id).where(
            Respondent.panel_id == panel.id, func.lower(Respondent.email) == email)) is not None:
        raise Conflict(_("This e-mail address is already signed up for this panel."), field="email")

    now = utcnow()
    if invitation is not None:
        # Spend the code first: a concurrent sign-up with the same code waits on this row, then
        # updates nothing and is refused.
        spent = db.session.execute(
            update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False)).rowcount
        if spent != 1:
            raise Conflict(_("This invitation code has already been used to sign up. If that was not you, "
                             "contact the city."), field="code")
    # A random unused six-digit number (it reveals no order of sign-up), chosen under a lock on the
    # panel row so two sign-ups cannot take the same one (PostgreSQL; SQLite serialises writers).
    db.session.execute(select(Panel.id).where(Panel.id == panel.id).with_for_update())
    languages = current_app.config["LANGUAGES"]
    residency = user.residency if user is not None and invitation is None else None
    respondent = Respondent(
        panel_id=panel.id, number=new_respondent_number(panel), features=answers,
        source="invitation" if invitation is not None else "volunteer", status="pool",
        full_name=full_name, email=email, phone=phone,
        address=invitation.address if invitation else (residency.address if residency else ""),
        postal_code=invitation.postal_code if invitation else (residency.postal_code if residency else ""),
        language=data.language if data.language in languages else (invitation.language if invitation else None),
        user_id=user.id if invitation is None else None)
    try:
        with db.session.begin_nested():
            db.session.add(respondent)
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_("You are already in this panel's pool.")) from error
    if invitation is not None:
        db.session.execute(update(Invitation).where(Invitation.id == invitation.id)
                           .values(respondent_id=respondent.id).execution_options(synchronize_session=False))
        db.session.expire(invitation)
    audit.record(user or "anonymous", "panel.signup", target=panel,
                 details={"respondent": respondent.number, "source": respondent.source})
    return respondent


def list_signups(actor: User | str, panel: Panel) -> list[Respondent]:
    """Respondents who signed up in Agora (invitation or volunteer), with personal data. Clerks only."""
    _require_clerk(actor)
    return list(db.session.scalars(select(Respondent).where(
        Respondent.panel_id == panel.id, Respondent.source.in_(("invitation", "volunteer")))
        .order_by(Respondent.number)))


def respondent_contact(actor: User | str, respondent: Respondent) -> dict[str, str]:
    """Name, e-mail, phone and address of a respondent. Clerks only."""
    _require_clerk(actor)
    return {"full_name": respondent.full_name, "email": respondent.email, "phone": respondent.phone,
            "address": respondent.address, "postal_code": respondent.postal_code}


# --- confirm or decline after the draw -----------------------------------------------------------

SEAT_STATUSES = ("selected", "confirmed", "declined", "dropped")


def _seat_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SEAT_SALT)


def seat_token(respondent: Respondent) -> str:
    return _seat_serializer().dumps({"p": respondent.panel_id, "r": respondent.id, "n": respondent.number})


def respondent_from_token(panel: Panel, token: str) -> Respondent:
    """The respondent a confirm/decline link was made for. InvalidInput if forged, expired or foreign."""
    invalid = InvalidInput(_("This link is not valid or has expired. Contact the city to confirm your seat."))
    try:
        data = _seat_serializer().loads(token, max_age=current_app.config["PANEL_SEAT_LINK_MAX_AGE_SECONDS"])
    except (BadSignature, SignatureExpired) as error:
        raise invalid from error
    respondent = db.session.get(Respondent, data.get("r")) if isinstance(data, dict) else None
    if respondent is None or respondent.panel_id != panel.id or respondent.number != data.get("n"):
        raise invalid
    return respondent


def seat_url(respondent: Respondent) -> str:
    return public_url("panel_signup.seat", panel_id=respondent.panel_id, token=seat_token(respondent))


def list_seat_links(actor: User | str, panel: Panel) -> list[tuple[Respondent, str]]:
    """Selected people (and those who already answered) with their confirm/decline link. Clerks only."""
    _require_clerk(actor)
    respondents = db.session.scalars(select(Respondent).where(
        Respondent.panel_id == panel.id, Respondent.status.in_(SEAT_STATUSES)).order_by(Respondent.number))
    return [(r, seat_url(r)) for r in respondents]


SEAT_LINK_COLUMNS = ("number", "full_name", "email", "phone", "language", "status", "link")


def seat_links_csv(actor: User | str, panel: Panel) -> str:
    """The confirm/decline links of the selected, as CSV for a mail merge. Clerks only. Audited."""
    rows = list_seat_links(actor, panel)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEAT_LINK_COLUMNS)
    for respondent, link in rows:
        writer.writerow([_cell(v) for v in (
            respondent.number, respondent.full_name, respondent.email, respondent.phone, respondent.language or "",
            respondent.status, link if respondent.status == "selected" else "")])
    audit.record(actor, "panel.seat_links.export", target=panel, details={"rows": len(rows)})
    return out.getvalue()


def mail_seat_links(actor: User | str, panel: Panel) -> int:
    """E-mail each selected person who has not answered yet their link, in their language. Clerks. Audited."""
    rows = [(r, link) for r, link in list_seat_links(actor, panel) if r.status == "selected" and r.email]
    for respondent, link in rows:
        with force_locale(respondent.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
            send_mail(respondent.email, _("You have been drawn for the citizens' panel “%(title)s”", title=panel.title),
                      _("Hello %(name)s,\n\nYou have been drawn by lot to sit on the citizens' panel “%(title)s”. "
                        "Please confirm or decline your seat by opening this link:\n%(link)s\n\n"
                        "If you decline, someone else will be drawn in your place.",
                        name=respondent.full_name, title=panel.title, link=link))
    audit.record(actor, "panel.seat_links.mail", target=panel,
                 details={"respondents": [r.number for r, _link in rows]})
    return len(rows)


def mask_email(email: str) -> str:
    """``rita.peeters@example.org`` → ``r***@example.org``: enough to recognise, not to harvest."""
    local, _sep, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""


def confirm_seat(user: User, respondent: Respondent) -> PanelMember:
    """The selected person takes their seat: status confirmed, and a panel membership. Audited.

    ``user`` must be logged in with the e-mail address given at sign-up (confirmed), or be the
    account the respondent already belongs to. Raises PermissionDenied, PhaseClosed or Conflict.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in to confirm your seat."))
    same_account = respondent.user_id is not None and respondent.user_id == user.id
    same_email = bool(respondent.email) and respondent.email.lower() == user.email.lower()
    if not (same_account or same_email) or (respondent.user_id not in (None, user.id)):
        raise PermissionDenied(_("Log in with the e-mail address you signed up with (%(email)s) to confirm "
                                 "your seat.", email=mask_email(respondent.email)))
    if not user.email_confirmed:
        raise PermissionDenied(_("Confirm your e-mail address first: we sent you a link."))
    panel = respondent.panel
    existing = db.session.scalar(select(PanelMember).where(
        PanelMember.panel_id == panel.id, PanelMember.user_id == user.id))
    if respondent.status == "confirmed" and existing is not None and existing.is_active:
        return existing
    if respondent.status != "selected":
        raise PhaseClosed(_("This seat can no longer be confirmed (its status is: %(status)s).",
                            status=STATUS_LABELS.get(respondent.status, respondent.status)))
    other = db.session.scalar(select(Respondent.id).where(
        Respondent.panel_id == panel.id, Respondent.user_id == user.id, Respondent.id != respondent.id))
    if other is not None:
        raise Conflict(_("Your account already belongs to another respondent of this panel. Contact the city."))
    respondent.user_id = user.id
    respondent.status = "confirmed"
    if existing is None:
        existing = PanelMember(panel_id=panel.id, user_id=user.id, role="member")
        db.session.add(existing)
    else:
        existing.left_at = None
    db.session.flush()
    audit.record(user, "panel.seat.confirm", target=panel, details={"respondent": respondent.number})
    return existing


def _record_dropout(panel: Panel, respondent: Respondent, actor: str, reason: str) -> bool:
    """Hand a declined seat to the draw's replacement service, ``agora.panels.services.record_dropout``.

    That service (branch ``feat-panels``) draws replacements from the alternates keeping the
    quotas; ``actor`` is a label because the caller checked the personal link, and
    ``declined=True`` tells it this is a declined seat. Until the service is present, the
    drop-out is audited as pending so a clerk replaces the person by hand. Returns whether it ran.
    """
    try:
        module = importlib.import_module("agora.panels.services")
    except ModuleNotFoundError as error:
        if error.name != "agora.panels.services":
            raise
        module = None
    record_dropout = getattr(module, "record_dropout", None)
    if record_dropout is None:
        audit.record(actor, "panel.dropout.pending", target=panel,
                     details={"respondent": respondent.number, "reason": reason})
        return False
    if "declined" in inspect.signature(record_dropout).parameters:
        record_dropout(panel, respondent, actor, reason, declined=True)
    else:
        record_dropout(panel, respondent, actor, reason)
    return True


def decline_seat(actor: User | None, respondent: Respondent, *, reason: str = "") -> bool:
    """The selected person declines (or, having confirmed, withdraws). Audited; a replacement is drawn.

    The link itself is the authority: no login needed. Returns whether the replacement service
    ran (False while it is not available: the drop-out is then logged as pending).
    """
    if respondent.status not in ("selected", "confirmed"):
        raise PhaseClosed(_("This seat can no longer be declined (its status is: %(status)s).",
                            status=STATUS_LABELS.get(respondent.status, respondent.status)))
    reason = " ".join((reason or "").split())[:300]
    panel = respondent.panel
    # The link is the authority, whoever is logged in: the act is the respondent's.
    label = f"respondent:{panel.id}/{respondent.number}"
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = f"{label} (logged in as {actor.email})"[:254]
    if respondent.user_id is not None:
        member = db.session.scalar(select(PanelMember).where(
            PanelMember.panel_id == panel.id, PanelMember.user_id == respondent.user_id))
        if member is not None and member.is_active:
            member.left_at = utcnow()
    audit.record(label, "panel.seat.decline", target=panel,
                 details={"respondent": respondent.number, "was": respondent.status, "reason": reason})
    # The replacement service sees the person as selected/confirmed, then the status says who chose it.
    replaced = _record_dropout(panel, respondent, label, reason or "declined through the confirmation link")
    respondent.status = "declined"
    db.session.flush()
    return replaced
