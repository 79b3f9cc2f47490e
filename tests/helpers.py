"""Test helpers: browser-like form posts with CSRF, a login helper, and small factories."""

from __future__ import annotations

import os
import re
from datetime import date

PASSWORD = "correct horse battery"  # noqa: S105
PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL")
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def reset_postgresql_schema(url: str, schema: str = "public") -> None:
    import sqlalchemy as sa

    from agora.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def make_test_app(url: str, **extra):
    import tempfile

    from agora import create_app

    config = {
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="agora-instance-"),  # never the developer's own
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-production",
        "SERVER_NAME": "localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
        # Visitors' page copies on in every app test (one process: versions in memory), so any change that
        # fails to outdate a cached page shows up as a stale page in the test that makes it.
        "PAGE_CACHE": "memory",
    }
    config.update(extra)
    return create_app(config)


def csrf_token(client, url: str = "/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF_RE.search(page)
    assert match, f"no csrf_token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict | None = None, *, follow_redirects: bool = False, **kwargs):
    """POST like a browser: with the session's CSRF token."""
    payload = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(url, data=payload, follow_redirects=follow_redirects, **kwargs)


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return post_form(self.client, "/account/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/account/logout")



# --- factories -------------------------------------------------------------------------------

def make_user(email: str = "rita@example.org", *, name: str = "Rita", roles=(), verified: bool = False,
              confirmed: bool = True, district: str = "Kessel-Lo", locale: str | None = None,
              born: date = date(1980, 1, 1), document: str | None = None):
    """A committed account; ``verified`` also adds a census entry and links it."""
    from werkzeug.security import generate_password_hash

    from agora.accounts.models import User, UserRole
    from agora.census.models import CensusEntry, District
    from agora.census.services import hash_document
    from agora.db import db, utcnow

    # A cheap hash keeps the suite fast; the app itself hashes with scrypt.
    cheap_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    user = User(email=email, display_name=name, password_hash=cheap_hash,
                email_confirmed_at=utcnow() if confirmed else None, locale=locale)
    user.staff_roles = [UserRole(role=str(r)) for r in roles]
    db.session.add(user)
    db.session.flush()
    if verified:
        place = db.session.query(District).filter_by(name=district).one_or_none() or District(name=district)
        db.session.add(CensusEntry(document_hash=hash_document(document or f"DOC{user.id:06d}"),
                                   date_of_birth=born, postal_code="3010", district=place, user_id=user.id,
                                   verified_at=utcnow()))
    db.session.commit()
    return user


def add_census_entry(document: str, born: date, postal: str = "3010", district: str = "Kessel-Lo"):
    from agora.census.models import CensusEntry, District
    from agora.census.services import hash_document
    from agora.db import db

    place = db.session.query(District).filter_by(name=district).one_or_none() or District(name=district)
    entry = CensusEntry(document_hash=hash_document(document), date_of_birth=born, postal_code=postal, district=place)
    db.session.add(entry)
    db.session.commit()
    return entry


def tiny_png() -> bytes:
    """A real 1×1 PNG (uploads are parsed, so fake bytes after a signature are refused)."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def tiny_jpeg() -> bytes:
    """A structurally valid JPEG: JFIF header, a scan, end marker."""
    return (b"\xff\xd8" + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34" * 40 + b"\xff\xd9")
