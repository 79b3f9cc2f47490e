"""Census import and residency verification, called as the views and CLI call them."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from helpers import add_census_entry, make_user
from sqlalchemy import func, select

from agora.audit import AuditEntry
from agora.census import services as census
from agora.census.models import CensusEntry, District
from agora.db import db, unit_of_work
from agora.errors import Conflict, InvalidInput, PermissionDenied
from agora.permissions import Role

GOOD = """document_number,date_of_birth,postal_code,district
A1234567,1980-02-03,3010,Kessel-Lo
B7654321,12/11/1975,3000,Centrum
C1111111,2001-07-30,3010,Kessel-Lo
"""


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_adds_entries_districts_and_an_audit_entry(ctx):
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    with unit_of_work():
        report = census.import_census(clerk, GOOD, filename="census.csv")
    assert (report.rows, report.added, report.updated) == (3, 3, 0)
    assert sorted(report.districts_added) == ["Centrum", "Kessel-Lo"]
    assert _count(CensusEntry) == 3 and _count(District) == 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "census.import")).one()
    assert entry.actor_label == "clerk@example.org" and entry.details_dict["added"] == 3
    # Document numbers are stored only as keyed hashes.
    stored = db.session.scalars(select(CensusEntry.document_hash)).all()
    assert "A1234567" not in "".join(stored) and all(len(h) == 64 for h in stored)


def test_reimport_updates_and_is_idempotent(ctx):
    with unit_of_work():
        census.import_census("cli", GOOD)
    changed = GOOD.replace("1980-02-03,3010,Kessel-Lo", "1980-02-03,3001,Heverlee")
    with unit_of_work():
        report = census.import_census("cli", changed)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert report.districts_added == ["Heverlee"]


def test_bad_file_stores_nothing_and_reports_every_row(ctx):
    with unit_of_work():
        census.import_census("cli", GOOD)
    before = _count(CensusEntry), _count(District), _count(AuditEntry)
    bad = """document_number;date_of_birth;postal_code;district
D2222222;1990-01-01;3010;Wilsele
x;1990-01-01;3010;Wilsele
E3333333;1990-13-45;3010;Wilsele
F4444444;1990-01-01;!!;Wilsele
D2222222;1991-01-01;3010;Wilsele
G5555555;1990-01-01;3010;
H6666666;1990-01-01
"""
    with pytest.raises(census.CensusFileError) as caught, unit_of_work():
        census.import_census("cli", bad, filename="bad.csv")
    found = [(e.line, e.column, e.value) for e in caught.value.errors]
    assert found == [
        (3, "document_number", "x"),
        (4, "date_of_birth", "1990-13-45"),
        (5, "postal_code", "!!"),
        (6, "document_number", "D2222222"),
        (7, "district", ""),
        (8, "", "H6666666,1990-01-01"),
    ]
    assert "line 2" in caught.value.errors[3].message
    assert "bad.csv" in caught.value.message and "6" in caught.value.message
    # Nothing of the good line 2 (nor a new district) was stored.
    assert (_count(CensusEntry), _count(District), _count(AuditEntry)) == before


@pytest.mark.parametrize(("content", "column"), [
    ("", ""),
    ("document_number,date_of_birth,postal_code\nA1234567,1980-02-03,3010\n", "district"),
    ("document_number,date_of_birth,postal_code,district\n", ""),
])
def test_empty_or_headerless_files(ctx, content, column):
    with pytest.raises(census.CensusFileError) as caught:
        census.import_census("cli", content)
    assert caught.value.errors[0].column == column


def test_non_utf8_file_is_refused_with_the_position(ctx):
    with pytest.raises(InvalidInput, match="byte 54"):
        census.import_census("cli", GOOD.encode("utf-8")[:53] + b"\xff" + b"\n")


def test_residents_cannot_import(ctx):
    resident = make_user("rita@example.org", verified=True)
    with pytest.raises(PermissionDenied):
        census.import_census(resident, GOOD)
    assert _count(CensusEntry) == 1  # only the resident's own


def _verify(user, document="A1234567", born=date(1980, 2, 3), postal="3010"):
    with unit_of_work():
        return census.verify_residency(user, document_number=document, date_of_birth=born, postal_code=postal)


def test_verify_links_one_account(ctx):
    add_census_entry("A1234567", date(1980, 2, 3))
    user = make_user("rita@example.org")
    entry = _verify(user, document="a-123 4567")  # normalised like the import
    assert entry.user_id == user.id
    assert user.is_verified and Role.VERIFIED in user.roles and user.district.name == "Kessel-Lo"


def test_duplicate_census_entry_cannot_verify_two_accounts(ctx):
    add_census_entry("A1234567", date(1980, 2, 3))
    first, second = make_user("one@example.org"), make_user("two@example.org")
    _verify(first)
    with pytest.raises(Conflict):
        _verify(second)
    assert not second.is_verified


def test_wrong_details_say_nothing_about_which(ctx):
    add_census_entry("A1234567", date(1980, 2, 3))
    user = make_user("rita@example.org")
    messages = set()
    for kwargs in ({"document": "Z9999999"}, {"born": date(1980, 2, 4)}, {"postal": "3000"}):
        with pytest.raises(InvalidInput) as caught:
            _verify(user, **kwargs)
        messages.add(caught.value.message)
    assert len(messages) == 1


def test_minimum_age_and_confirmed_email(ctx):
    today = date.today()
    add_census_entry("YOUNG001", date(today.year - 15, 1, 1))
    young = make_user("young@example.org")
    with pytest.raises(InvalidInput, match="16"):
        _verify(young, document="YOUNG001", born=date(today.year - 15, 1, 1))
    add_census_entry("A1234567", date(1980, 2, 3))
    unconfirmed = make_user("new@example.org", confirmed=False)
    with pytest.raises(PermissionDenied):
        _verify(unconfirmed)


def test_concurrent_claims_of_one_entry_verify_exactly_one(app):
    """Two accounts race to claim the same census entry: the database lets exactly one win."""
    with app.test_request_context():
        add_census_entry("A1234567", date(1980, 2, 3))
        ids = [make_user(f"u{i}@example.org").id for i in range(6)]
        db.session.remove()
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def claim(user_id: int) -> None:
        from agora.accounts.models import User

        with app.test_request_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                _verify(user)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            except Exception as error:  # SQLite may report a busy database instead
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        claimed = select(func.count()).select_from(CensusEntry).where(CensusEntry.user_id.is_not(None))
        assert db.session.scalar(claimed) == 1
