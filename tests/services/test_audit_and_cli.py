"""The hash-chained audit log and the CLI commands that use services."""

from __future__ import annotations

import re

import pytest
from helpers import make_user
from sqlalchemy import func, select, text

from agora import audit
from agora.accounts.models import User
from agora.audit import AuditEntry
from agora.census.models import CensusEntry
from agora.db import db, unit_of_work
from agora.permissions import Role


def _write_entries(n: int = 4) -> None:
    with unit_of_work():
        for i in range(n):
            audit.record("cli", "test.act", target_type="thing", target_id=i, details={"i": i, "note": "é"})


def test_chain_verifies_and_links(ctx):
    _write_entries()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert audit.verify_chain().ok


def test_entries_cannot_be_changed_through_the_orm(ctx):
    _write_entries(1)
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.action = "something.else"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("tamper", [
    "UPDATE audit SET details = '{\"i\": 99}' WHERE id = (SELECT MIN(id) + 1 FROM audit)",
    "UPDATE audit SET actor_label = 'someone' WHERE id = (SELECT MAX(id) FROM audit)",
    "DELETE FROM audit WHERE id = (SELECT MIN(id) + 1 FROM audit)",
])
def test_cli_detects_a_tampered_row(app, runner, tamper):
    with app.test_request_context():
        _write_entries()
        ok = runner.invoke(args=["audit", "verify"])
        assert ok.exit_code == 0 and "intact: 4 entries" in ok.output
        with db.engine.begin() as conn:
            conn.execute(text(tamper))
        db.session.remove()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert "TAMPERED" in bad.output


def test_removing_the_last_entries_is_caught_by_a_published_head(app, runner):
    with app.test_request_context():
        _write_entries()
        ok = runner.invoke(args=["audit", "verify"])
        head = re.search(r"head ([0-9a-f]{64})", ok.output).group(1)
        assert head == db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
        _write_entries(1)  # later entries keep the published head inside the chain
        assert runner.invoke(args=["audit", "verify", "--head", head]).exit_code == 0
        with db.engine.begin() as conn:  # someone removes the last two entries
            conn.execute(text("DELETE FROM audit WHERE id >= (SELECT MAX(id) - 1 FROM audit)"))
        db.session.remove()
    shorter = runner.invoke(args=["audit", "verify"])
    assert shorter.exit_code == 0, "a shortened chain still holds together: only a published head tells"
    caught = runner.invoke(args=["audit", "verify", "--head", head])
    assert caught.exit_code == 1
    assert f"the published head {head} is not in the log" in caught.output


def test_cli_create_admin_is_audited(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "Boss@Example.org", "--name", "Boss",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
        assert Role.ADMIN in user.roles and user.email_confirmed
        assert db.session.scalar(select(AuditEntry.action)) == "role.grant"


def test_cli_create_admin_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "boss@example.org", "--password", "short"])
    assert result.exit_code != 0 and "at least 10" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_cli_census_import_lists_bad_rows(app, runner, tmp_path):
    bad = tmp_path / "census.csv"
    bad.write_text("document_number,date_of_birth,postal_code,district\nA1234567,1980-02-31,3010,Kessel-Lo\n")
    result = runner.invoke(args=["census", "import", str(bad)])
    assert result.exit_code == 1
    assert "census.csv:2: date_of_birth" in result.output
    good = tmp_path / "good.csv"
    good.write_text("document_number,date_of_birth,postal_code,district\nA1234567,1980-02-21,3010,Kessel-Lo\n")
    result = runner.invoke(args=["census", "import", str(good)])
    assert result.exit_code == 0 and "1 added" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CensusEntry)) == 1


def test_demo_seed_has_every_role_and_is_idempotent(app, runner):
    assert "Demo data created." in runner.invoke(args=["seed-demo"]).output
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        roles = set().union(*(u.roles for u in db.session.scalars(select(User))))
        assert roles == set(Role)
        assert audit.verify_chain().ok


def test_role_checks_live_in_the_service(ctx):
    from agora.accounts import services
    from agora.errors import PermissionDenied

    resident = make_user("rita@example.org", verified=True)
    other = make_user("other@example.org")
    with pytest.raises(PermissionDenied):
        services.grant_role(resident, other, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.list_users(resident)
