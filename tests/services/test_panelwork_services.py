"""The panel at work, through the services: who may do what on which panel, amendments with their
history, adoption votes (one ballot per member in the database, the rule with its quorum), audit
entries and notifications, and goals hidden from the public until adopted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import make_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from agora.audit import AuditEntry
from agora.db import db, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.notifications.models import Notification
from agora.panels.models import Panel, PanelMember
from agora.panelwork import services
from agora.panelwork.models import PanelGoalBallot
from agora.permissions import Permission, Role, can


def make_panel(title="Vorm 3010", members=(), facilitators=()):
    """A panel with seats for the given users (committed)."""
    panel = Panel(title=title, size=25, status="working")
    db.session.add(panel)
    db.session.flush()
    for user in members:
        db.session.add(PanelMember(panel_id=panel.id, user_id=user.id, role="member"))
    for user in facilitators:
        db.session.add(PanelMember(panel_id=panel.id, user_id=user.id, role="facilitator"))
    db.session.commit()
    return panel


@pytest.fixture
def people(ctx):
    """Three members and a facilitator of panel A, a member of panel B, a clerk, a moderator, a resident."""
    users = {name: make_user(f"{name}@example.org", name=name.title(), verified=True)
             for name in ("ann", "bert", "chloe", "fien", "other", "resident")}
    users["clerk"] = make_user("clerk@example.org", name="Clerk", roles=[Role.CLERK])
    users["moderator"] = make_user("mod@example.org", name="Mod", roles=[Role.MODERATOR], verified=True)
    users["admin"] = make_user("admin@example.org", name="Admin", roles=[Role.ADMIN])
    users["panel"] = make_panel("Kessel-Lo panel", members=[users["ann"], users["bert"], users["chloe"]],
                                facilitators=[users["fien"]])
    users["panel_b"] = make_panel("Heverlee panel", members=[users["other"]])
    return users


def _actions(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


# --- access ---------------------------------------------------------------------------------------

def test_workspace_is_for_that_panels_members_and_clerks_only(people):
    panel, panel_b = people["panel"], people["panel_b"]
    for name in ("ann", "fien", "clerk", "admin"):
        assert services.get_workspace(people[name], panel.id) is panel, name
    for name in ("other", "resident", "moderator"):
        with pytest.raises(PermissionDenied):
            services.get_workspace(people[name], panel.id)
    assert services.get_workspace(people["other"], panel_b.id) is panel_b
    with pytest.raises(PermissionDenied):
        services.get_workspace(None, panel.id)
    with pytest.raises(NotFound):
        services.get_workspace(people["ann"], 9999)
    # Roles inside the panel: members contribute, facilitators facilitate, clerks manage members.
    assert can(people["ann"], Permission.PANELWORK_CONTRIBUTE, panel)
    assert not can(people["ann"], Permission.PANELWORK_FACILITATE, panel)
    assert not can(people["fien"], Permission.PANELWORK_CONTRIBUTE, panel)
    assert can(people["fien"], Permission.PANELWORK_FACILITATE, panel)
    assert not can(people["fien"], Permission.PANELWORK_FACILITATE, panel_b)
    assert not can(people["other"], Permission.PANELWORK_CONTRIBUTE, panel)
    assert can(people["clerk"], Permission.PANELWORK_MEMBERS_MANAGE, panel)
    assert not can(people["fien"], Permission.PANELWORK_MEMBERS_MANAGE, panel)
    assert not can(people["clerk"], Permission.PANELWORK_CONTRIBUTE, panel)  # clerks do not vote


def test_a_member_who_left_loses_access(people):
    panel, clerk = people["panel"], people["clerk"]
    seat = db.session.scalar(select(PanelMember).where(PanelMember.user_id == people["ann"].id))
    services.remove_member(clerk, seat)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.get_workspace(people["ann"], panel.id)
    with pytest.raises(Conflict):
        services.remove_member(clerk, seat)
    # Brought back by hand, as a facilitator this time.
    services.add_member(clerk, panel, email="ANN@example.org", role="facilitator")
    db.session.commit()
    assert can(people["ann"], Permission.PANELWORK_FACILITATE, panel)
    assert _actions("panelwork.member.remove") == 1 and _actions("panelwork.member.add") == 1


def test_only_clerks_seat_people_and_errors_name_the_field(people):
    panel = people["panel"]
    with pytest.raises(PermissionDenied):
        services.add_member(people["fien"], panel, email="resident@example.org")
    with pytest.raises(InvalidInput) as error:
        services.add_member(people["clerk"], panel, email="nobody@example.org")
    assert error.value.field == "email" and "nobody@example.org" in error.value.message
    with pytest.raises(InvalidInput) as error:
        services.add_member(people["clerk"], panel, email="resident@example.org", role="chair")
    assert error.value.field == "role"
    seat = services.add_member(people["clerk"], panel, email="resident@example.org")
    db.session.commit()
    assert seat.role == "member" and services.get_workspace(people["resident"], panel.id) is panel


# --- sessions -------------------------------------------------------------------------------------

def test_sessions_scheduled_and_minutes_published_notify_members(people):
    panel, fien = people["panel"], people["fien"]
    with pytest.raises(PermissionDenied):
        services.schedule_session(people["ann"], panel, title="Kick-off", starts_at=utcnow() + timedelta(days=2))
    with pytest.raises(InvalidInput) as error:
        services.schedule_session(fien, panel, title="Kick-off", starts_at=None)
    assert error.value.field == "starts_at"
    session = services.schedule_session(fien, panel, title="Kick-off", starts_at=utcnow() + timedelta(days=2),
                                        place="Cultural centre", agenda="1. Welcome\n2. **Goals**")
    db.session.commit()
    notified = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "panel_session"))}
    assert notified == {people[n].id for n in ("ann", "bert", "chloe")}  # not the facilitator who scheduled it
    with pytest.raises(PhaseClosed):
        services.publish_minutes(fien, session, minutes="We met and talked about routes.")
    session.starts_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    ann_seat = next(m for m in services.list_members(panel) if m.user_id == people["ann"].id)
    with pytest.raises(InvalidInput) as error:
        services.publish_minutes(fien, session, minutes="We met and talked.", attendee_ids=[ann_seat.id, 9999])
    assert error.value.field == "attendees" and "9999" in error.value.message
    services.publish_minutes(fien, session, minutes="We met and talked about routes.", attendee_ids=[ann_seat.id])
    db.session.commit()
    assert [a.member_id for a in session.attendees] == [ann_seat.id]
    # A correction does not notify again.
    services.publish_minutes(fien, session, minutes="We met and talked about safe routes.")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "panel_minutes")) == 3
    assert session.attendees == []
    assert _actions("panelwork.session.schedule") == 1 and _actions("panelwork.session.minutes") == 2


# --- goals and amendments -----------------------------------------------------------------------

def test_amendment_flow_keeps_every_version(people):
    panel, ann, bert, fien = people["panel"], people["ann"], people["bert"], people["fien"]
    with pytest.raises(PermissionDenied):
        services.draft_goal(people["other"], panel, title="More safe bicycle routes", text="Routes to schools.")
    with pytest.raises(PermissionDenied):
        services.draft_goal(fien, panel, title="More safe bicycle routes", text="Routes to schools.")
    with pytest.raises(InvalidInput) as error:
        services.draft_goal(ann, panel, title="Bike", text="Routes to schools.")
    assert error.value.field == "title"
    goal = services.draft_goal(ann, panel, title="More safe bicycle routes to schools in Kessel-Lo",
                               text="Children can cycle to school safely.", theme="mobility")
    db.session.commit()
    with pytest.raises(InvalidInput):
        services.propose_amendment(ann, goal, text="My own new text here.", reason="I changed my mind")
    with pytest.raises(InvalidInput) as error:
        services.propose_amendment(bert, goal, text="Children can cycle to school safely.", reason="Same")
    assert error.value.field == "text"
    first = services.propose_amendment(bert, goal, text="Every child can cycle to school on a separated lane.",
                                       reason="Paint is not protection.")
    second = services.propose_amendment(people["chloe"], goal, text="Children walk or cycle to school safely.",
                                        reason="Walking too.")
    db.session.commit()
    assert first.base_revision == 1
    # Only the author or a facilitator decides; another member cannot.
    with pytest.raises(PermissionDenied):
        services.decide_amendment(people["chloe"], first, accept=True)
    services.decide_amendment(ann, first, accept=True)
    services.decide_amendment(fien, second, accept=False)
    db.session.commit()
    with pytest.raises(PhaseClosed):
        services.decide_amendment(fien, first, accept=False)
    assert goal.text == "Every child can cycle to school on a separated lane."
    assert [(r.number, r.author_id, r.amendment_id) for r in goal.revisions] == [(1, ann.id, None),
                                                                                  (2, bert.id, first.id)]
    assert goal.revisions[0].text == "Children can cycle to school safely."
    # The author edits: a third version; someone else may not edit.
    with pytest.raises(PermissionDenied):
        services.edit_goal(bert, goal, title=goal.title, text="Something else entirely.")
    services.edit_goal(ann, goal, title=goal.title, text=goal.text + " By 2030.", theme="mobility")
    db.session.commit()
    assert [r.number for r in goal.revisions] == [1, 2, 3]
    assert _actions("panelwork.amendment.accepted") == 1 and _actions("panelwork.amendment.rejected") == 1
    assert _actions("panelwork.amendment.propose") == 2 and _actions("panelwork.goal.edit") == 1
    kinds = [n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == bert.id))]
    assert any("was accepted" in m for m in kinds)


# --- adoption votes -------------------------------------------------------------------------------

def _goal(people, title="More safe bicycle routes to schools in Kessel-Lo"):
    goal = services.draft_goal(people["ann"], people["panel"], title=title, text="Children cycle to school safely.")
    db.session.commit()
    return goal


def test_one_ballot_per_member_and_vote_is_enforced_by_the_database(people):
    goal = _goal(people)
    (vote,) = services.open_adoption_votes(people["fien"], people["panel"], [goal])
    db.session.commit()
    services.cast_ballot(people["ann"], vote, "for")
    db.session.commit()
    db.session.add(PanelGoalBallot(vote_id=vote.id, user_id=people["ann"].id, choice="against", cast_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Through the service, voting again changes the one ballot.
    services.cast_ballot(people["ann"], vote, "abstain")
    db.session.commit()
    rows = db.session.scalars(select(PanelGoalBallot).where(PanelGoalBallot.vote_id == vote.id)).all()
    assert [(b.user_id, b.choice) for b in rows] == [(people["ann"].id, "abstain")]
    assert rows[0].changed_at is not None
    assert _actions("panelwork.vote.cast") == 1 and _actions("panelwork.vote.change") == 1


def test_adoption_vote_flow_numbers_and_publishes_the_goal(people):
    panel, fien = people["panel"], people["fien"]
    goal, other = _goal(people), _goal(people, "A green schoolyard in every primary school")
    services.propose_amendment(people["bert"], other, text="A green and shaded schoolyard everywhere.",
                               reason="Summers are hot.")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.open_adoption_votes(people["ann"], panel, [goal])
    with pytest.raises(Conflict):  # pending amendment: decide it first
        services.open_adoption_votes(fien, panel, [goal, other])
    db.session.rollback()
    with pytest.raises(InvalidInput):
        services.open_adoption_votes(fien, panel, [])
    (vote,) = services.open_adoption_votes(fien, panel, [goal])
    db.session.commit()
    assert goal.status == "voting" and services.adopted_goals(panel) == []
    notified = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "panel_vote"))}
    assert notified == {people[n].id for n in ("ann", "bert", "chloe")}
    # Frozen while the vote is open.
    with pytest.raises(PhaseClosed):
        services.edit_goal(people["ann"], goal, title=goal.title, text="Changed during the vote")
    with pytest.raises(PhaseClosed):
        services.propose_amendment(people["bert"], goal, text="Changed during the vote.", reason="why not")
    with pytest.raises(PermissionDenied):
        services.cast_ballot(people["other"], vote, "for")  # a member of panel B
    with pytest.raises(PermissionDenied):
        services.cast_ballot(fien, vote, "for")  # facilitators do not vote
    with pytest.raises(InvalidInput):
        services.cast_ballot(people["ann"], vote, "maybe")
    services.cast_ballot(people["ann"], vote, "for")
    services.cast_ballot(people["bert"], vote, "for")
    services.cast_ballot(people["chloe"], vote, "against")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.close_adoption_vote(people["ann"], vote)
    services.close_adoption_vote(fien, vote)
    db.session.commit()
    assert (vote.votes_for, vote.votes_against, vote.abstentions, vote.eligible) == (2, 1, 0, 3)
    assert vote.adopted and vote.quorum_met and goal.status == "adopted" and goal.number == 1
    assert services.adopted_goals(panel) == [goal] and services.get_adopted_goal(panel, 1) is goal
    with pytest.raises(PhaseClosed):
        services.cast_ballot(people["ann"], vote, "against")
    with pytest.raises(PhaseClosed):
        services.close_adoption_vote(fien, vote)
    with pytest.raises(PhaseClosed):
        services.propose_amendment(people["bert"], goal, text="After adoption, new text.", reason="late")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "panelwork.vote.close"))
    assert entry.details_dict["adopted"] is True and entry.details_dict["number"] == 1


def test_goals_stay_hidden_from_the_public_until_adopted(people):
    panel = people["panel"]
    goal = _goal(people)
    assert services.adopted_goals(panel) == []
    with pytest.raises(NotFound):
        services.get_adopted_goal(panel, 1)
    (vote,) = services.open_adoption_votes(people["fien"], panel, [goal])
    services.cast_ballot(people["ann"], vote, "against")
    services.cast_ballot(people["bert"], vote, "against")
    db.session.commit()
    services.close_adoption_vote(people["fien"], vote)
    db.session.commit()
    assert not vote.adopted and goal.status == "draft" and goal.number is None
    assert services.adopted_goals(panel) == []
    assert services.linkable_goals() == []
    with pytest.raises(InvalidInput):
        services.check_linkable_goal(goal.id)
    # Amended and voted again, it is adopted in a second round.
    services.propose_amendment(people["bert"], goal, text="Children cycle to school on separated lanes.",
                               reason="Clearer")
    services.decide_amendment(people["ann"], goal.amendments[0], accept=True)
    (again,) = services.open_adoption_votes(people["fien"], panel, [goal])
    assert again.revision_number == 2
    for name in ("ann", "bert"):
        services.cast_ballot(people[name], again, "for")
    services.close_adoption_vote(people["fien"], again)
    db.session.commit()
    assert goal.number == 1 and services.adopting_vote(goal) is again
    assert services.check_linkable_goal(goal.id) == goal.id


def test_ballots_of_members_who_left_do_not_count(people):
    panel = people["panel"]
    goal = _goal(people)
    (vote,) = services.open_adoption_votes(people["fien"], panel, [goal])
    services.cast_ballot(people["ann"], vote, "for")
    services.cast_ballot(people["bert"], vote, "against")
    services.cast_ballot(people["chloe"], vote, "against")
    db.session.commit()
    for name in ("bert", "chloe"):
        seat = db.session.scalar(select(PanelMember).where(PanelMember.user_id == people[name].id))
        services.remove_member(people["clerk"], seat)
    services.close_adoption_vote(people["fien"], vote)
    db.session.commit()
    assert (vote.votes_for, vote.votes_against, vote.eligible, vote.adopted) == (1, 0, 1, True)


def test_the_panels_rule_is_copied_onto_each_vote(people):
    panel, clerk = people["panel"], people["clerk"]
    assert (services.get_settings(panel).quorum_percent, services.get_settings(panel).majority) == (50, "simple")
    with pytest.raises(PermissionDenied):
        services.update_settings(people["fien"], panel, quorum_percent=100, majority="two_thirds")
    with pytest.raises(InvalidInput) as error:
        services.update_settings(clerk, panel, quorum_percent=101, majority="simple")
    assert error.value.field == "quorum_percent"
    services.update_settings(clerk, panel, quorum_percent=100, majority="two_thirds")
    db.session.commit()
    goal = _goal(people)
    (vote,) = services.open_adoption_votes(people["fien"], panel, [goal])
    services.update_settings(clerk, panel, quorum_percent=0, majority="simple")  # too late for this vote
    services.cast_ballot(people["ann"], vote, "for")
    services.cast_ballot(people["bert"], vote, "for")
    db.session.commit()
    services.close_adoption_vote(people["fien"], vote)
    db.session.commit()
    assert (vote.quorum_percent, vote.majority, vote.quorum_met, vote.adopted) == (100, "two_thirds", False, False)


# --- the rule itself (no database) ----------------------------------------------------------------

@pytest.mark.parametrize(("counts", "eligible", "quorum", "majority", "expected"), [
    ((3, 2, 0), 10, 50, "simple", (True, True)),  # 5 of 10 take part: exactly half meets the quorum
    ((3, 1, 0), 10, 50, "simple", (False, False)),  # 4 of 10: below the quorum, even with a majority
    ((2, 1, 0), 5, 50, "simple", (True, True)),  # 3 of 5 (60 %)
    ((2, 0, 0), 5, 50, "simple", (False, False)),  # 2 of 5 (40 %): half of 5 is 2.5, so 3 are needed
    ((1, 1, 0), 4, 50, "simple", (True, False)),  # quorum met, a tie is not adopted
    ((1, 0, 4), 10, 50, "simple", (True, True)),  # abstentions make the quorum but not the majority
    ((0, 0, 5), 10, 50, "simple", (True, False)),  # only abstentions
    ((1, 0, 4), 10, 50, "absolute", (True, False)),  # absolute: 1 of 5 votes cast is not more than half
    ((3, 0, 2), 10, 50, "absolute", (True, True)),
    ((2, 1, 0), 3, 50, "two_thirds", (True, True)),  # exactly two thirds
    ((3, 2, 0), 5, 50, "two_thirds", (True, False)),
    ((0, 0, 0), 0, 50, "simple", (False, False)),  # no members, no votes
    ((0, 0, 0), 5, 0, "simple", (False, False)),  # quorum 0 still needs a vote cast
    ((1, 0, 0), 5, 0, "simple", (True, True)),
    ((5, 0, 0), 5, 100, "simple", (True, True)),
    ((4, 0, 0), 5, 100, "simple", (False, False)),
])
def test_adoption_rule_and_quorum_edges(counts, eligible, quorum, majority, expected):
    outcome = services.adoption_outcome(*counts, eligible, quorum_percent=quorum, majority=majority)
    assert (outcome.quorum_met, outcome.adopted) == expected


def test_adoption_rule_refuses_nonsense():
    with pytest.raises(ValueError, match="negative"):
        services.adoption_outcome(-1, 0, 0, 3)
    with pytest.raises(ValueError, match="unknown majority"):
        services.adoption_outcome(1, 0, 0, 3, majority="unanimous")


# --- links from proposals and civic commitments ---------------------------------------------------

def _adopt(people, title="More safe bicycle routes to schools in Kessel-Lo"):
    goal = _goal(people, title)
    (vote,) = services.open_adoption_votes(people["fien"], people["panel"], [goal])
    for name in ("ann", "bert"):
        services.cast_ballot(people[name], vote, "for")
    services.close_adoption_vote(people["fien"], vote)
    db.session.commit()
    return goal


def test_proposals_and_commitment_goals_respond_to_adopted_goals_only(people):
    from datetime import date

    from agora.commitments import services as commitments
    from agora.proposals import services as proposals

    draft = _goal(people, "A green schoolyard in every primary school")
    goal = _adopt(people)
    resident = people["resident"]
    body = "Separated bike lanes on the Diestsesteenweg, near the schools."
    with pytest.raises(InvalidInput) as error:
        proposals.create_proposal(resident, title="Bike lane", summary="A safe bike lane, please.", body=body,
                                  panel_goal_id=draft.id)
    assert error.value.field == "panel_goal_id"
    with pytest.raises(InvalidInput):
        proposals.create_proposal(resident, title="Bike lane", summary="A safe bike lane, please.", body=body,
                                  panel_goal_id=9999)
    linked = proposals.create_proposal(resident, title="Bike lane", summary="A safe bike lane, please.", body=body,
                                       panel_goal_id=goal.id, publish=True)
    proposals.create_proposal(resident, title="Draft lane", summary="Not yet published, hidden.", body=body,
                              panel_goal_id=goal.id)
    with pytest.raises(InvalidInput) as error:
        commitments.create_goal(people["admin"], title="Bike to school", indicator_name="Share by bike", unit="%",
                                baseline=30, target=50, deadline=date(2030, 6, 30), source_panel_goal_id=draft.id)
    assert error.value.field == "source_panel_goal_id"
    shared = commitments.create_goal(people["admin"], title="Bike to school", indicator_name="Share by bike",
                                     unit="%", baseline=30, target=50, deadline=date(2030, 6, 30),
                                     source_panel_goal_id=goal.id)
    commitments.make_commitment(resident, shared, kind="pledge", title="I cycle with my children")
    db.session.commit()
    found = services.responses(goal)
    assert [p.id for p in found.proposals] == [linked.id]  # the draft proposal is not public
    assert [g.id for g in found.commitment_goals] == [shared.id] and found.commitments == 1
    assert services.goal_choices() == [(goal.id, f"Goal 1 of Kessel-Lo panel: {goal.title}")]
    # Editing the proposal can remove the link.
    proposals.update_proposal(resident, linked, title="Bike lane", summary="A safe bike lane, please.", body=body)
    db.session.commit()
    assert linked.panel_goal_id is None and services.responses(goal).proposals == []
