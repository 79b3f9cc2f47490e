"""The secret ballot box and ranked votes: one ballot per voter (also concurrently), secrecy,
eligibility, locked rules, hidden results, and exports that the library recounts identically."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import make_user

from agora.accounts.models import User
from agora.ballots import services as box
from agora.ballots.models import Ballot, BallotCast
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.permissions import Role
from agora.votes import services
from agora.votes.models import Vote


def _rules(**over):
    now = utcnow()
    rules = dict(title="Which square gets the new trees?", options=["Ladeuze", "Fochplein", "Martelaren"],
                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7), lot_seed=42)
    rules.update(over)
    return services.VoteRules(**rules)


def _open_vote(admin=None, **over) -> Vote:
    admin = admin or make_user("admin@example.org", roles=[Role.ADMIN])
    vote = services.create_vote(admin, _rules(**over))
    db.session.commit()
    return vote


def _ids(vote):
    return [o.id for o in vote.options]


def _close(vote):
    vote.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


# --- the ballot box ----------------------------------------------------------------------------

def test_no_column_links_a_ballot_to_its_voter(ctx):
    ballot_cols = {c.name for c in Ballot.__table__.columns}
    cast_cols = {c.name for c in BallotCast.__table__.columns}
    assert ballot_cols & cast_cols == {"id", "contest"}
    assert not Ballot.__table__.foreign_keys  # no voter, no cast row
    assert all(fk.column.table.name == "users" for fk in BallotCast.__table__.foreign_keys)
    assert not [c for c in Ballot.__table__.columns if isinstance(c.type, sa.DateTime | sa.Date)]
    assert not isinstance(Ballot.__table__.c.id.type, sa.Integer)  # no insertion order in the key
    rita = make_user("rita@example.org", verified=True)
    receipt = box.cast_ballot(rita, "test:1", [[1]])
    db.session.commit()
    ballot, cast = db.session.scalar(sa.select(Ballot)), db.session.scalar(sa.select(BallotCast))
    assert len(ballot.id) == 32 and ballot.id != str(cast.id)
    # No stored value of the has-voted row appears in the ballot row, and vice versa.
    cast_values = {str(v) for v in (cast.id, cast.voter_id, cast.cast_at, cast.change_check) if v is not None}
    ballot_values = {str(v) for v in (ballot.id, ballot.receipt, ballot.content, ballot.change_digest)
                     if v is not None}
    assert not cast_values & ballot_values
    assert receipt.receipt == ballot.receipt and receipt.change_key is None


def test_second_ballot_is_refused_and_nothing_is_stored(ctx):
    rita = make_user("rita@example.org", verified=True)
    box.cast_ballot(rita, "test:1", [[1]])
    db.session.commit()
    with pytest.raises(Conflict, match="already voted"):
        box.cast_ballot(rita, "test:1", [[2]])
    db.session.rollback()
    assert box.count_voters("test:1") == 1 and len(box.list_ballots("test:1")) == 1
    box.cast_ballot(rita, "test:2", [[2]])  # another contest is fine
    db.session.commit()


def test_unverified_resident_cannot_cast(ctx):
    with pytest.raises(PermissionDenied):
        box.cast_ballot(make_user("new@example.org"), "test:1", [[1]])


def test_changeable_ballot_is_changed_with_the_voters_key_only(ctx):
    rita = make_user("rita@example.org", verified=True)
    bob = make_user("bob@example.org", verified=True)
    mine = box.cast_ballot(rita, "budget:1", {"projects": [1]}, changeable=True)
    theirs = box.cast_ballot(bob, "budget:1", {"projects": [2]}, changeable=True)
    db.session.commit()
    assert mine.change_key and len(mine.change_key.replace("-", "")) == 28
    with pytest.raises(InvalidInput):  # Bob cannot use Rita's key, even knowing it
        box.change_ballot(bob, "budget:1", mine.change_key, {"projects": [3]})
    with pytest.raises(InvalidInput):
        box.change_ballot(rita, "budget:1", theirs.change_key, {"projects": [3]})
    assert box.change_ballot(rita, "budget:1", mine.change_key.lower(), {"projects": [3]}) == mine.receipt
    db.session.commit()
    assert box.find_ballot("budget:1", mine.receipt).content == {"projects": [3]}
    assert box.find_ballot("budget:1", theirs.receipt).content == {"projects": [2]}
    with pytest.raises(Conflict):
        box.cast_ballot(rita, "budget:1", {"projects": [1]}, changeable=True)


# --- ranked votes ----------------------------------------------------------------------------

def test_admin_creates_vote_with_defaults_and_rules_lock_when_open(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    upcoming = services.create_vote(admin, _rules(opens_at=utcnow() + timedelta(days=1), lot_seed=None))
    assert upcoming.method == "irv" and upcoming.tie_break == "previous_rounds,lot"
    assert 0 <= upcoming.lot_seed < 2**31
    services.update_vote(admin, upcoming, _rules(opens_at=utcnow() + timedelta(days=1), seats=2,
                                                 options=["A", "B", "C", "D"]))
    assert upcoming.method == "stv" and [o.label for o in upcoming.options] == ["A", "B", "C", "D"]
    db.session.commit()
    opened = services.open_vote(admin, upcoming)
    with pytest.raises(PhaseClosed, match="locked"):
        services.update_vote(admin, opened, _rules(method="schulze"))
    with pytest.raises(PermissionDenied):
        services.create_vote(make_user("rita@example.org", verified=True), _rules())


@pytest.mark.parametrize(("over", "field"), [
    ({"options": ["Only one"]}, "options"),
    ({"options": ["A", "a"]}, "options"),
    ({"options": ["A=B", "C"]}, "options"),
    ({"seats": 2, "method": "schulze"}, "method"),
    ({"method": "schulze", "tie_break": "previous_rounds,lot"}, "tie_break"),
    ({"method": "irv", "overvote_rule": "equal"}, "overvote_rule"),
    ({"closes_at": utcnow() - timedelta(days=2)}, "closes_at"),
    ({"eligibility": "district", "district_id": None}, "district_id"),
])
def test_invalid_rules_name_their_field(ctx, over, field):
    with pytest.raises(InvalidInput) as error:
        services.create_vote(make_user("admin@example.org", roles=[Role.ADMIN]), _rules(**over))
    assert error.value.field == field


def test_ballot_rules_duplicates_and_gaps(ctx):
    vote = _open_vote()
    a, b, c = _ids(vote)
    with pytest.raises(InvalidInput, match="Rank 1 is given to more than one option"):
        services.ballot_from_ranks(vote, {a: 1, b: 1, c: None})
    with pytest.raises(InvalidInput, match="Rank 2 is missing"):
        services.ballot_from_ranks(vote, {a: 1, b: 3, c: None})
    with pytest.raises(InvalidInput, match="at least one"):
        services.ballot_from_ranks(vote, {a: None, b: None, c: None})
    assert services.ballot_from_ranks(vote, {a: 2, b: None, c: 1}) == [[c], [a]]
    lenient = _open_vote(make_user("admin2@example.org", roles=[Role.ADMIN]), title="Lenient rules here",
                         overvote_rule="skip_to_next", skipped_rule="ignore")
    a, b, c = _ids(lenient)
    assert services.ballot_from_ranks(lenient, {a: 1, b: 1, c: 3}) == [[a, b], [c]]


def test_eligibility_district_and_unverified(ctx):
    from agora.census.models import District

    make_user("rita@example.org", verified=True, district="Heverlee")
    heverlee = db.session.scalar(sa.select(District).where(District.name == "Heverlee"))
    vote = _open_vote(eligibility="district", district_id=heverlee.id)
    ids = _ids(vote)
    outsider = make_user("kim@example.org", verified=True, district="Wilsele")
    with pytest.raises(PermissionDenied):
        services.cast_vote(outsider, vote, {ids[0]: 1})
    with pytest.raises(PermissionDenied):
        services.cast_vote(make_user("new@example.org"), vote, {ids[0]: 1})
    admin = db.session.scalar(sa.select(Vote.created_by_id))
    from agora.accounts.models import User
    with pytest.raises(PermissionDenied):  # an unverified administrator does not vote
        services.cast_vote(db.session.get(User, admin), vote, {ids[0]: 1})


def test_eligibility_panel_members_only(ctx):
    """A vote for a citizens' panel: its seated members vote; other residents, facilitators and
    members who left do not."""
    from agora.panels.models import Panel, PanelMember

    panel = Panel(title="Kessel-Lo panel", size=3)
    member, other, facilitator, gone = (make_user(f"{n}@example.org", verified=True)
                                        for n in ("mia", "olaf", "fien", "gust"))
    panel.members = [PanelMember(user_id=member.id), PanelMember(user_id=facilitator.id, role="facilitator"),
                     PanelMember(user_id=gone.id, left_at=utcnow())]
    db.session.add(panel)
    db.session.commit()
    with pytest.raises(InvalidInput) as missing:
        services.create_vote(make_user("admin@example.org", roles=[Role.ADMIN]), _rules(eligibility="panel"))
    assert missing.value.field == "panel_id"
    db.session.rollback()
    vote = _open_vote(admin=db.session.scalar(sa.select(User).where(User.email == "admin@example.org")),
                      eligibility="panel", panel_id=panel.id)
    ids = _ids(vote)
    for outsider in (other, facilitator, gone):
        with pytest.raises(PermissionDenied):
            services.cast_vote(outsider, vote, {ids[0]: 1})
    services.cast_vote(member, vote, {ids[0]: 1})
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BallotCast)) == 1
    assert services.panels_with_members() == [panel]


def test_results_hidden_until_close_then_counted_and_reproducible(ctx, tmp_path):
    vote = _open_vote()
    a, b, c = _ids(vote)
    ballots = [{a: 1, b: 2}, {a: 1}, {b: 1, c: 2}, {c: 1, b: 2}, {c: 1, b: 2}, {b: 1, a: 2}, {a: 1, c: 2}]
    receipts = []
    for i, ranks in enumerate(ballots):
        voter = make_user(f"v{i}@example.org", verified=True)
        receipts.append(services.cast_vote(voter, vote, ranks).receipt)
        db.session.commit()
    for hidden in (services.get_results, services.cvr_csv, services.cvr_toi):
        with pytest.raises(PermissionDenied, match="hidden"):
            hidden(vote)
    _close(vote)
    result = services.get_results(vote)
    db.session.commit()
    assert result["n_ballots"] == 7 and len(result["rounds"]) >= 2
    csv_text = services.cvr_csv(vote)
    assert csv_text.splitlines()[:2] == ["#candidates,Ladeuze,Fochplein,Martelaren", "receipt,rank1,rank2"]
    assert sorted(receipts) == [line.split(",")[0] for line in csv_text.splitlines()[2:]]
    assert services.find_receipt(vote, receipts[2].lower()) == [["Fochplein"], ["Martelaren"]]
    toi = tmp_path / services.export_name(vote, "cvr.toi")
    toi.write_text(services.cvr_toi(vote))
    command = services.reproduce_command(vote).split()
    assert command[:4] == ["python", "-m", "voting", "rank"]
    run = subprocess.run([sys.executable, *command[1:], "--json"], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    import json

    recount = json.loads(run.stdout)
    assert recount["winners"] == result["winners"] and recount["rounds"] == result["rounds"]


def test_stv_vote_with_overvotes_recounts_identically(ctx, tmp_path):
    from voting import read_preflib, tabulate

    vote = _open_vote(options=["A", "B", "C", "D", "E"], seats=2, overvote_rule="exhaust_immediately",
                      skipped_rule="ignore")
    ids = _ids(vote)
    pattern = [(0, 1), (0, 2), (1, 0), (2, 3), (3, 2), (4, 0), (0, 4), (1, 1), (2, 4), (0, 3), (3, 4)]
    for i, (x, y) in enumerate(pattern):
        ranks = {ids[x]: 1} if x == y else {ids[x]: 1, ids[y]: 3}
        if i == 7:
            ranks = {ids[1]: 1, ids[2]: 1}  # an overvote, accepted under these rules
        services.cast_vote(make_user(f"v{i}@example.org", verified=True), vote, ranks)
        db.session.commit()
    _close(vote)
    result = services.get_results(vote)
    toi = tmp_path / "cvr.toi"
    toi.write_text(services.cvr_toi(vote))
    recount = tabulate(read_preflib(toi), "stv", **services.library_options(vote)).to_dict()
    assert recount["winners"] == result["winners"] and len(result["winners"]) == 2
    assert result["inactive"]["overvote"] == 1


def test_concurrent_second_ballots_store_exactly_one(app):
    """The same voter submits from six tabs at once: one ballot, one has-voted row."""
    with app.test_request_context():
        vote_id = _open_vote().id
        voter_id = make_user("rita@example.org", verified=True).id
        db.session.remove()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def cast() -> None:
        from agora.accounts.models import User

        with app.test_request_context():
            try:
                vote, voter = db.session.get(Vote, vote_id), db.session.get(User, voter_id)
                first = vote.options[0].id
                barrier.wait()
                services.cast_vote(voter, vote, {first: 1})
                db.session.commit()
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            except Exception as error:  # SQLite may report a busy database instead
                outcomes.append(type(error).__name__)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=cast) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    if app.config["TEST_BACKEND"] == "postgresql":
        assert outcomes.count("conflict") == 5, outcomes
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BallotCast)) == 1
