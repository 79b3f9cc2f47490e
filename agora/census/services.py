"""Census register import and residency verification.

The register is imported by clerks from a CSV (document number, date of birth, postal code,
district; optionally full_name, address and language, used to address panel invitation
letters). The file is checked whole first: one bad row and nothing is stored, and the report
names every bad row with its line and column. Document numbers are stored only as a keyed
HMAC-SHA256, so the table alone does not reveal them.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from agora import audit
from agora.accounts.models import User
from agora.census.models import CensusEntry, District
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, PermissionDenied
from agora.permissions import Permission, require

COLUMNS = ("document_number", "date_of_birth", "postal_code", "district")
# Optional columns: when a file leaves one out, the stored value is kept as it was.
OPTIONAL_COLUMNS = ("full_name", "address", "language")
_DOC_RE = re.compile(r"^[A-Z0-9]{4,20}$")
_POSTAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,14}$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str


class CensusFileError(InvalidInput):
    """The census file has bad rows; nothing was imported. ``errors`` lists them all."""

    def __init__(self, filename: str, errors: list[RowError]) -> None:
        super().__init__(_("%(file)s has %(n)d problem(s); nothing was imported.", file=filename, n=len(errors)))
        self.filename = filename
        self.errors = errors


@dataclass(frozen=True)
class CensusRow:
    line: int
    document_hash: str
    date_of_birth: date
    postal_code: str
    district: str
    # Only the optional columns present in the file: {"address": "Diestsesteenweg 1", ...}
    extra: dict[str, str | None] = field(default_factory=dict)


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    districts_added: list[str] = field(default_factory=list)


def _hash_key() -> bytes:
    key = current_app.config.get("CENSUS_HASH_KEY")
    if key:
        return str(key).encode()
    return hashlib.sha256(b"agora.census|" + str(current_app.config["SECRET_KEY"]).encode()).digest()


def normalise_document(number: str) -> str:
    return re.sub(r"[\s.\-/]", "", number or "").upper()


def hash_document(number: str) -> str:
    return hmac.new(_hash_key(), normalise_document(number).encode(), hashlib.sha256).hexdigest()


def normalise_postal_code(code: str) -> str:
    return " ".join((code or "").upper().split())


def parse_date(value: str) -> date:
    """Accept ISO ``YYYY-MM-DD`` and the European ``DD/MM/YYYY``."""
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(value)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = _("The file is not UTF-8 text (byte %(pos)d). Save it as CSV UTF-8.", pos=error.start + 1)
        raise InvalidInput(message) from error


def normalise_address(address: str) -> str:
    return " ".join((address or "").split())


def normalise_language(value: str) -> str | None:
    """``"NL-be"`` → ``"nl"``; empty → None; raise ValueError for a language Agora does not speak."""
    value = (value or "").strip().lower().replace("_", "-")
    if not value:
        return None
    code = value.split("-", 1)[0]
    if code not in current_app.config["LANGUAGES"]:
        raise ValueError(value)
    return code


def parse_census_csv(data: bytes | str, filename: str) -> list[CensusRow]:
    """Check the whole file and return its rows (document hash, birth date, postal code, district, extras).

    Raises :class:`CensusFileError` listing every bad row (line numbers count the header as 1).
    """
    text = _decode(data)
    if not text.strip():
        raise CensusFileError(filename, [RowError(1, "", "", _("The file is empty."))])
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in Dutch, French and Spanish locales export with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CensusFileError(
            filename,
            [RowError(1, c, "", _("Required column %(column)s is missing from the header.", column=c))
             for c in missing],
        )
    index = {c: header.index(c) for c in COLUMNS + OPTIONAL_COLUMNS if c in header}
    optional = [c for c in OPTIONAL_COLUMNS if c in header]
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    today = date.today()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are harmless
        if len(record) != len(header):
            errors.append(RowError(line, "", ",".join(record)[:60],
                                   _("Expected %(n)d fields, found %(m)d.", n=len(header), m=len(record))))
            continue
        raw = {c: record[i].strip() for c, i in index.items()}
        row_ok = True
        document = normalise_document(raw["document_number"])
        if not _DOC_RE.match(document):
            errors.append(RowError(line, "document_number", raw["document_number"],
                                   _("A document number has 4 to 20 letters or digits.")))
            row_ok = False
        elif document in seen:
            errors.append(RowError(line, "document_number", raw["document_number"],
                                   _("This document number is already on line %(line)d.", line=seen[document])))
            row_ok = False
        else:
            seen[document] = line
        try:
            born = parse_date(raw["date_of_birth"])
            if born > today or born.year < 1890:
                raise ValueError(raw["date_of_birth"])
        except ValueError:
            errors.append(RowError(line, "date_of_birth", raw["date_of_birth"],
                                   _("Use a real date as YYYY-MM-DD or DD/MM/YYYY.")))
            row_ok = False
        postal = normalise_postal_code(raw["postal_code"])
        if not _POSTAL_RE.match(postal):
            errors.append(RowError(line, "postal_code", raw["postal_code"], _("This is not a postal code.")))
            row_ok = False
        district = " ".join(raw["district"].split())
        if not district or len(district) > 120:
            errors.append(RowError(line, "district", raw["district"], _("A district name has 1 to 120 characters.")))
            row_ok = False
        extra: dict[str, str | None] = {}
        if "full_name" in optional:
            extra["full_name"] = " ".join(raw["full_name"].split())
            if len(extra["full_name"]) > 200:
                errors.append(RowError(line, "full_name", raw["full_name"][:60],
                                       _("A name has at most 200 characters.")))
                row_ok = False
        if "address" in optional:
            extra["address"] = normalise_address(raw["address"])
            if len(extra["address"]) > 300:
                errors.append(RowError(line, "address", raw["address"][:60],
                                       _("An address has at most 300 characters.")))
                row_ok = False
        if "language" in optional:
            try:
                extra["language"] = normalise_language(raw["language"])
            except ValueError:
                errors.append(RowError(line, "language", raw["language"], _(
                    "Unknown language; use one of %(codes)s, or leave it empty.",
                    codes=", ".join(current_app.config["LANGUAGES"]))))
                row_ok = False
        if row_ok:
            rows.append(CensusRow(line, hash_document(document), born, postal, district, extra))
    if errors:
        raise CensusFileError(filename, errors)
    if not rows:
        raise CensusFileError(filename, [RowError(2, "", "", _("The file has a header but no residents."))])
    return rows


def import_census(actor: User | str, data: bytes | str, *, filename: str = "census.csv") -> ImportReport:
    """Add or update census entries from a CSV; all or nothing. Clerks and administrators. Audited.

    Entries already in the register but not in the file are kept (they may be linked to
    verified accounts). Raises :class:`CensusFileError` or :class:`PermissionDenied`.
    """
    if not isinstance(actor, str):
        require(actor, Permission.CENSUS_REGISTER_IMPORT)
    rows = parse_census_csv(data, filename)
    report = ImportReport(filename=filename, rows=len(rows))
    districts = {d.name: d for d in db.session.scalars(select(District))}
    existing = {e.document_hash: e for e in db.session.scalars(
        select(CensusEntry).where(CensusEntry.document_hash.in_([r.document_hash for r in rows])))}
    for row in rows:
        district = districts.get(row.district)
        if district is None:
            district = districts[row.district] = District(name=row.district)
            db.session.add(district)
            report.districts_added.append(row.district)
        entry = existing.get(row.document_hash)
        if entry is None:
            db.session.add(CensusEntry(document_hash=row.document_hash, date_of_birth=row.date_of_birth,
                                       postal_code=row.postal_code, district=district, **row.extra))
            report.added += 1
            continue
        before = (entry.date_of_birth, entry.postal_code, entry.district_id,
                  *(getattr(entry, key) for key in row.extra))
        after = (row.date_of_birth, row.postal_code, district.id, *row.extra.values())
        if before != after:
            entry.date_of_birth, entry.postal_code, entry.district = row.date_of_birth, row.postal_code, district
            for key, value in row.extra.items():
                setattr(entry, key, value)
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    audit.record(actor, "census.import", target_type="census", details={
        "file": filename, "rows": report.rows, "added": report.added, "updated": report.updated,
        "districts_added": report.districts_added})
    return report


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def verify_residency(user: User, *, document_number: str, date_of_birth: date, postal_code: str) -> CensusEntry:
    """Link ``user`` to the census entry matching all three answers.

    Raises InvalidInput when nothing matches (without saying which answer was wrong), when the
    resident is under the minimum age, or when the e-mail is unconfirmed; Conflict when the
    entry already verified another account.
    """
    if user.is_verified:
        raise Conflict(_("Your residency is already verified."))
    require(user, Permission.ACCOUNT_RESIDENCY_VERIFY)
    if not user.email_confirmed:
        raise PermissionDenied(_("Confirm your e-mail address first: we sent you a link."))
    entry = db.session.scalar(
        select(CensusEntry).where(CensusEntry.document_hash == hash_document(document_number))
    )
    if (entry is None or entry.date_of_birth != date_of_birth
            or entry.postal_code != normalise_postal_code(postal_code)):
        raise InvalidInput(_("These details do not match the census register. Check them and try again."))
    minimum = int(current_app.config["MIN_AGE"])
    if age_on(entry.date_of_birth, date.today()) < minimum:
        raise InvalidInput(_("You must be at least %(age)d years old to take part.", age=minimum))
    taken = Conflict(_("These details already verified another account. If this is a mistake, contact the city."))
    if entry.user_id is not None:
        raise taken
    # Claim the entry only if it is still free: a concurrent claim updates no row.
    claimed = db.session.execute(
        update(CensusEntry)
        .where(CensusEntry.id == entry.id, CensusEntry.user_id.is_(None))
        .values(user_id=user.id, verified_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise taken
    db.session.refresh(entry)
    db.session.expire(user, ["residency"])
    return entry


def census_summary(actor: User) -> list[tuple[District, int, int]]:
    """Per district: entries and verified accounts. Clerks and administrators."""
    require(actor, Permission.CENSUS_REGISTER_VIEW)
    stmt = (
        select(District, func.count(CensusEntry.id), func.count(CensusEntry.user_id))
        .join(CensusEntry, CensusEntry.district_id == District.id, isouter=True)
        .group_by(District.id)
        .order_by(District.name)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def list_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))
