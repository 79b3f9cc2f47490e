"""Civic commitments through the services, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import make_user, tiny_jpeg
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agora.audit import AuditEntry
from agora.commitments import services
from agora.commitments.models import Commitment
from agora.db import db, unit_of_work
from agora.errors import Conflict, InvalidInput, PermissionDenied
from agora.notifications.models import Notification
from agora.permissions import Role

TODAY = date.today()
SOON = TODAY + timedelta(days=120)


def _goal(admin):
    with unit_of_work():
        return services.create_goal(admin, title="Safe routes to school", indicator_name="Trips by bike or on foot",
                                    unit="%", baseline=40, target=70, deadline=SOON)


def _school(admin, *members):
    with unit_of_work():
        org = services.register_organisation(admin, name="Sint-Pieterscollege", kind="school")
        for member in members:
            services.add_member(admin, org, member.email)
    return org


def _result(actor, goal, org=None, **extra):
    fields = {"kind": "result", "title": "70 % of our pupils by bike", "target_value": 70, "target_unit": "%",
              "deadline": SOON, "baseline_value": 40, **extra}
    with unit_of_work():
        return services.make_commitment(actor, goal, organisation=org, **fields)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_goals_and_organisations_are_made_by_administrators_and_audited(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    with pytest.raises(PermissionDenied):
        _goal(resident)
    goal = _goal(admin)
    assert goal.district_id is None and goal.source_panel_goal_id is None  # city-wide, not from a panel
    with pytest.raises(InvalidInput) as error, unit_of_work():
        services.create_goal(admin, title="x", indicator_name="y", unit="%", baseline=5, target=5, deadline=SOON)
    assert error.value.field == "target"
    # A resident asks for an organisation: pending, with them as the first member.
    with unit_of_work():
        pending = services.register_organisation(resident, name="Bakkerij Bram", kind="shop")
    assert not pending.is_confirmed and pending.has_member(resident)
    with pytest.raises(Conflict), unit_of_work():
        services.register_organisation(resident, name="Bakkerij Bram", kind="shop")
    with pytest.raises(PermissionDenied), unit_of_work():
        services.make_commitment(resident, goal, organisation=pending, kind="pledge", title="We sell bike bells")
    with unit_of_work():
        services.confirm_organisation(admin, pending)
    assert "is confirmed" in db.session.scalars(select(Notification.message)).one()
    assert _actions() == ["commitments.goal.create", "commitments.organisation.confirm"]


def test_a_result_commitment_needs_a_target_a_unit_and_a_deadline(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    goal = _goal(admin)
    for missing, field in (({"target_value": None}, "target_value"), ({"target_unit": ""}, "target_unit"),
                           ({"deadline": None}, "deadline")):
        with pytest.raises(InvalidInput) as error:
            _result(resident, goal, **missing)
        assert error.value.field == field
    with pytest.raises(InvalidInput) as error:
        _result(resident, goal, deadline=TODAY - timedelta(days=1))
    assert error.value.field == "deadline"
    with pytest.raises(InvalidInput):
        _result(resident, goal, target_value=float("nan"))
    # The database refuses one too, whatever the code path.
    db.session.add(Commitment(goal_id=goal.id, kind="result", title="t", author_id=resident.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Pledges need none of it.
    with unit_of_work():
        pledge = services.make_commitment(resident, goal, kind="pledge", title="I will walk my children")
    assert pledge.status == "active" and services.commitment_progress(pledge) is None


def test_only_the_owner_or_the_organisations_members_can_update(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    teacher, colleague = make_user("teacher@example.org", verified=True), make_user("colleague@example.org")
    stranger = make_user("stranger@example.org", verified=True)
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    goal = _goal(admin)
    school = _school(admin, teacher, colleague)
    # Not a member: may not commit for the school.
    with pytest.raises(PermissionDenied):
        _result(stranger, goal, org=school)
    commitment = _result(teacher, goal, org=school)
    own = _result(stranger, goal, title="My own commute")
    for outsider in (stranger, clerk, admin):
        with pytest.raises(PermissionDenied), unit_of_work():
            services.post_update(outsider, commitment, happened_on=TODAY, value=50)
        with pytest.raises(PermissionDenied), unit_of_work():
            services.withdraw(outsider, commitment, reason="Not mine to withdraw")
    for outsider in (teacher, admin):
        with pytest.raises(PermissionDenied), unit_of_work():
            services.post_update(outsider, own, happened_on=TODAY, value=50)
    # Both members may, including one without a verified residency.
    with unit_of_work():
        services.post_update(teacher, commitment, happened_on=TODAY - timedelta(days=10), value=50, text="Bike day")
        services.post_update(colleague, commitment, happened_on=TODAY, value=55)
        services.post_update(stranger, own, happened_on=TODAY, text="Took the bus twice")
    assert [u.value for u in commitment.updates] == [50, 55]
    # A member who leaves loses the right.
    with unit_of_work():
        services.remove_member(admin, school, colleague.id)
    with pytest.raises(PermissionDenied), unit_of_work():
        services.post_update(colleague, commitment, happened_on=TODAY, value=60)


def test_progress_fulfils_a_result_commitment_and_notifies_followers(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    teacher = make_user("teacher@example.org", verified=True)
    parent = make_user("parent@example.org", locale="nl")
    goal = _goal(admin)
    commitment = _result(teacher, goal, org=_school(admin, teacher))
    with unit_of_work():
        services.follow(parent, services.COMMITMENT, commitment.id)
        services.post_update(teacher, commitment, happened_on=TODAY - timedelta(days=5), value=55)
    progress = services.commitment_progress(commitment)
    assert (progress.percent, progress.status, commitment.status) == (50, "active", "active")
    with unit_of_work():
        services.post_update(teacher, commitment, happened_on=TODAY, value=72)
    assert commitment.status == "fulfilled" and services.current_status(commitment) == "fulfilled"
    messages = list(db.session.scalars(select(Notification.message).where(Notification.user_id == parent.id)
                                       .order_by(Notification.id)))
    assert len(messages) == 3 and messages[-1] == "“70 % of our pupils by bike” heeft het doel bereikt."  # in Dutch
    assert not db.session.scalars(select(Notification).where(Notification.user_id == teacher.id)).all()
    # Later than today, or a withdrawn commitment: refused.
    with pytest.raises(InvalidInput), unit_of_work():
        services.post_update(teacher, commitment, happened_on=TODAY + timedelta(days=1), value=80)


def test_past_the_deadline_an_unmet_commitment_is_late(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    goal = _goal(admin)
    commitment = _result(resident, goal)
    with unit_of_work():
        services.post_update(resident, commitment, happened_on=TODAY, value=60)
        effort = services.make_commitment(resident, goal, kind="effort", title="Bike bus", deadline=SOON)
    after = SOON + timedelta(days=1)
    assert services.current_status(commitment, after) == "late"
    assert services.current_status(effort, after) == "late"
    assert services.current_status(commitment, SOON) == "active"
    with unit_of_work():
        services.mark_fulfilled(resident, effort)
        changed = services.refresh_statuses(after)
    assert [c.id for c in changed] == [commitment.id] and commitment.status == "late"
    assert services.current_status(effort, after) == "fulfilled"
    with pytest.raises(InvalidInput), unit_of_work():
        services.mark_fulfilled(resident, commitment)  # a result commitment is measured, not declared


def test_withdrawn_commitments_stay_visible_with_their_reason(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    goal = _goal(admin)
    commitment = _result(resident, goal)
    with pytest.raises(InvalidInput), unit_of_work():
        services.withdraw(resident, commitment, reason="short")
    with unit_of_work():
        services.withdraw(resident, commitment, reason="We moved out of the city in March.")
    assert services.current_status(commitment) == "withdrawn"
    listed = services.visible_commitments(None, goal)
    assert [(c.id, c.withdrawal_reason) for c in listed] == [(commitment.id, "We moved out of the city in March.")]
    with pytest.raises(Conflict), unit_of_work():
        services.post_update(resident, commitment, happened_on=TODAY, value=60)


def test_clerk_comments_and_endorsements_are_audited_once_per_clerk(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    resident = make_user("rita@example.org", verified=True)
    commitment = _result(resident, _goal(admin))
    with pytest.raises(PermissionDenied), unit_of_work():
        services.endorse(resident, commitment)
    with unit_of_work():
        services.comment(clerk, commitment, body="Great idea: the city lends you bike racks.")
        services.endorse(clerk, commitment)
    with pytest.raises(Conflict), unit_of_work():
        services.endorse(clerk, commitment)
    with unit_of_work():
        services.withdraw_endorsement(clerk, commitment)
    assert _actions()[-3:] == ["commitments.comment.create", "commitments.endorse", "commitments.endorse.withdraw"]
    assert len(db.session.scalars(select(Notification).where(Notification.user_id == resident.id)).all()) == 2


def test_visibility_and_anonymity(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", name="Rita", verified=True)
    goal = _goal(admin)
    hidden = _result(resident, goal, visibility="residents")
    anonymous = _result(resident, goal, visibility="anonymous")
    assert [c.id for c in services.visible_commitments(None, goal)] == [anonymous.id]
    assert len(services.visible_commitments(resident, goal)) == 2
    assert services.actor_label(anonymous, None) == "A resident"
    assert services.actor_label(anonymous, resident) == "Rita"
    assert services.can_see(resident, hidden) and not services.can_see(None, hidden)
    with pytest.raises(InvalidInput):
        _result(resident, goal, org=_school(admin, resident), visibility="anonymous")


@pytest.mark.parametrize(("data", "ok"), [
    (b"\xff\xd8\xff\xe0" + b"0" * 100, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"<svg onload=alert(1)>", None),
    (b"GIF89a", None),
])
def test_photos_are_recognised_by_their_first_bytes(ctx, data, ok):
    if ok:
        assert services.check_photo(data) == ok
    else:
        with pytest.raises(InvalidInput):
            services.check_photo(data)


def test_photos_need_a_description_and_a_size_limit(app, ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    commitment = _result(resident, _goal(admin))
    jpeg = tiny_jpeg()
    with pytest.raises(InvalidInput) as error, unit_of_work():
        services.post_update(resident, commitment, happened_on=TODAY, photo=jpeg)
    assert error.value.field == "photo_alt"
    app.config["COMMITMENTS_PHOTO_MAX_BYTES"] = 50
    try:
        with pytest.raises(InvalidInput) as error, unit_of_work():
            services.post_update(resident, commitment, happened_on=TODAY, photo=jpeg, photo_alt="Bikes")
        assert error.value.field == "photo"
    finally:
        app.config["COMMITMENTS_PHOTO_MAX_BYTES"] = 2 * 1024 * 1024
    with unit_of_work():
        update = services.post_update(resident, commitment, happened_on=TODAY, photo=jpeg, photo_alt="Bike rack")
    assert update.photo_type == "image/jpeg"


def test_published_photos_lose_their_gps_position(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    resident = make_user("rita@example.org", verified=True)
    commitment = _result(resident, _goal(admin))
    gps = b"Exif\x00\x00GPSLatitude 50.8798N GPSLongitude 4.7005E"
    exif = b"\xff\xe1" + (len(gps) + 2).to_bytes(2, "big") + gps
    plain = tiny_jpeg()
    with unit_of_work():
        update = services.post_update(resident, commitment, happened_on=TODAY, photo=plain[:2] + exif + plain[2:],
                                      photo_alt="Bike rack")
    assert b"GPSLatitude" not in update.photo and update.photo == plain


def test_demo_goal_has_all_three_kinds_and_the_cli_refreshes_statuses(app, runner):
    assert "Demo data created." in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        goal = services.list_goals()[0]
        assert {c.kind for c in goal.commitments} == {"pledge", "effort", "result"}
        result = next(c for c in goal.commitments if c.is_result)
        assert services.commitment_progress(result).percent == 51  # (53 - 35) / (70 - 35)
        assert len(goal.measurements) == 3 and result.endorsements
    assert "0 commitment(s) changed status" in runner.invoke(args=["commitments", "refresh"]).output
