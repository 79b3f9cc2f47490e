"""Census pages through the test client: the clerk's import with its error report, the resident's form."""

from __future__ import annotations

import io
from datetime import date

from helpers import add_census_entry, make_user, post_form

from agora.permissions import Role


def _upload(client, content: bytes, name: str = "census.csv"):
    return post_form(client, "/census/import", {"file": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def test_clerk_uploads_a_bad_file_and_sees_every_row(app, client):
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
    post_form(client, "/account/login", {"email": "clerk@example.org", "password": "correct horse battery"})
    bad = (b"document_number,date_of_birth,postal_code,district\n"
           b"A1234567,1980-02-03,3010,Kessel-Lo\nB1,yesterday,3010,X\n")
    response = _upload(client, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "census.csv has 2 problem(s); nothing was imported." in page
    assert "<td class=\"num\">3</td><td>document_number</td>" in page
    assert "<td class=\"num\">3</td><td>date_of_birth</td>" in page
    assert "The register is empty" in page  # nothing stored, not even the good row


def test_clerk_uploads_a_good_file(app, client):
    with app.app_context():
        make_user("clerk@example.org", roles=[Role.CLERK])
    post_form(client, "/account/login", {"email": "clerk@example.org", "password": "correct horse battery"})
    good = b"document_number;date_of_birth;postal_code;district\nA1234567;03/02/1980;3010;Kessel-Lo\n"
    response = _upload(client, good)
    assert response.status_code == 302
    page = client.get("/census/").get_data(as_text=True)
    assert "Imported 1 residents" in page and "Kessel-Lo" in page


def test_resident_verifies_through_the_form(app, client):
    with app.app_context():
        add_census_entry("A1234567", date(1980, 2, 3))
        make_user("rita@example.org")
    post_form(client, "/account/login", {"email": "rita@example.org", "password": "correct horse battery"})
    wrong = post_form(client, "/census/verify", {"document_number": "A1234567", "date_of_birth": "1980-02-04",
                                                 "postal_code": "3010"})
    assert "do not match the census register" in wrong.get_data(as_text=True)
    right = post_form(client, "/census/verify", {"document_number": "A1234567", "date_of_birth": "1980-02-03",
                                                 "postal_code": "3010"}, follow_redirects=True)
    assert "Your residency is verified" in right.get_data(as_text=True)


def test_sqlite_enforces_foreign_keys(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from agora.census.models import CensusEntry
    from agora.db import db

    with app.app_context():
        db.session.add(CensusEntry(document_hash="f" * 64, date_of_birth=date(1980, 1, 1), postal_code="3010",
                                   district_id=999_999))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
