"""A successful proposal sent on by an administrator: an option of a vote, or a project of a budget.

Checked: the link stored both ways, the audit entry, the followers' notification, the refusals
(not successful, vote already open, budget not accepting, second send to the same target) and
the permission boundary for every role.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import make_user
from sqlalchemy import func, select

from agora.accounts.models import User
from agora.audit import AuditEntry
from agora.budgets import services as budgets
from agora.budgets.models import BudgetProject
from agora.db import db, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.notifications import services as notifications
from agora.notifications.models import Notification
from agora.permissions import Role
from agora.proposals import services as proposals
from agora.proposals.models import ProposalStatus
from agora.votes import services as votes
from agora.votes.models import VoteOption

BODY = "A longer text explaining the proposal in some detail."


@pytest.fixture(autouse=True)
def _threshold(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=1)
    yield
    app.config.update(saved)


def successful_proposal(title="More trees on the market square", *, author_email="rita@example.org"):
    author = make_user(author_email, name="Rita", verified=True)
    supporter = make_user("sup-" + author_email, name="Sam", verified=True)
    with unit_of_work():
        proposal = proposals.create_proposal(author, title=title, summary="Plant twenty trees for shade",
                                             body=BODY, publish=True)
    with unit_of_work():
        proposals.support_proposal(supporter, proposal.id)
    assert proposal.status == ProposalStatus.SUCCESSFUL
    return proposal


def upcoming_vote(admin, title="Which square gets the new trees?", opens_in=timedelta(days=1), **over):
    now = utcnow()
    rules = dict(title=title, options=["Ladeuze", "Fochplein"], opens_at=now + opens_in,
                 closes_at=now + opens_in + timedelta(days=7), lot_seed=7)
    rules.update(over)
    with unit_of_work():
        return votes.create_vote(admin, votes.VoteRules(**rules))


def accepting_budget(admin, title="Leuven decides 2026"):
    with unit_of_work():
        process = budgets.create_process(admin, budgets.ProcessRules(title=title, city_amount=100_000))
    with unit_of_work():
        budgets.set_phase(admin, process, "accepting")
    return process


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def notes_of(user) -> list[str]:
    return list(db.session.scalars(select(Notification.message).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


# --- to a vote -----------------------------------------------------------------------------------

def test_successful_proposal_becomes_an_option_linked_both_ways(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    vote = upcoming_vote(admin)
    with unit_of_work():
        option = proposals.send_to_vote(admin, proposal, vote)
    assert [o.label for o in vote.options] == ["Ladeuze", "Fochplein", "More trees on the market square"]
    assert option.proposal_id == proposal.id and option.position == 3
    options, projects = proposals.proposal_outcomes(proposal)
    assert [o.vote_id for o in options] == [vote.id] and projects == []
    assert audit_actions()[-2:] == ["vote.add_option", "proposal.send_to_vote"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.send_to_vote"))
    assert entry.target_id == str(proposal.id) and entry.details_dict["vote_id"] == vote.id
    # The author and the supporter follow the proposal: both are told, the administrator is not.
    assert any("is now an option in the vote" in m for m in notes_of(proposal.author))
    assert notes_of(admin) == []


def test_custom_label_and_title_cleaned_for_the_ballot_files(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal(title="Speed = 30 km/h everywhere")
    vote = upcoming_vote(admin)
    with unit_of_work():
        option = proposals.send_to_vote(admin, proposal, vote)
    assert option.label == "Speed - 30 km/h everywhere"  # "=" marks a shared rank in the CSV export
    second = upcoming_vote(admin, title="Another question")
    with unit_of_work():
        assert proposals.send_to_vote(admin, proposal, second, label="  30 km/h  ").label == "30 km/h"


def test_sending_twice_to_the_same_vote_is_refused_and_changes_nothing(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    vote = upcoming_vote(admin)
    with unit_of_work():
        proposals.send_to_vote(admin, proposal, vote)
    before = len(audit_actions())
    with pytest.raises(Conflict, match="already an option"), unit_of_work():
        proposals.send_to_vote(admin, proposal, vote, label="Another label")
    assert len(audit_actions()) == before
    assert db.session.scalar(select(func.count()).select_from(VoteOption).where(VoteOption.vote_id == vote.id)) == 3


def test_open_vote_and_unsuccessful_proposal_are_refused(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    open_vote = upcoming_vote(admin, opens_in=-timedelta(hours=1))
    with pytest.raises(PhaseClosed, match="options are locked"), unit_of_work():
        proposals.send_to_vote(admin, proposal, open_vote)
    vote = upcoming_vote(admin, title="Later question")
    with unit_of_work():
        proposals.retire_proposal(proposal.author, proposal, reason="done")
    with pytest.raises(Conflict, match="Only a successful proposal"), unit_of_work():
        proposals.send_to_vote(admin, proposal, vote)
    assert proposals.proposal_outcomes(proposal) == ([], [])


def test_label_already_on_the_ballot_is_refused_naming_it(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal(title="Ladeuze")
    vote = upcoming_vote(admin)
    with pytest.raises(InvalidInput, match="Ladeuze appears twice"), unit_of_work():
        proposals.send_to_vote(admin, proposal, vote)


def test_editing_the_vote_keeps_the_link_of_options_that_stay(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    vote = upcoming_vote(admin)
    with unit_of_work():
        proposals.send_to_vote(admin, proposal, vote)
    rules = votes.rules_of(vote)
    rules.options = ["More trees on the market square", "Fochplein", "Martelaren"]
    with unit_of_work():
        votes.update_vote(admin, vote, rules)
    assert [(o.label, o.position, o.proposal_id) for o in vote.options] == [
        ("More trees on the market square", 1, proposal.id), ("Fochplein", 2, None), ("Martelaren", 3, None)]


def test_new_vote_created_from_the_proposal_links_its_option(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    now = utcnow()
    rules = votes.VoteRules(title="Trees or benches?", options=["more trees on the  market square", "Benches"],
                            opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8))
    with unit_of_work():
        vote = proposals.create_vote_from_proposal(admin, proposal, rules)
    assert [(o.label, o.proposal_id) for o in vote.options] == [
        ("more trees on the market square", proposal.id), ("Benches", None)]
    # The administrator removed the proposal's line: it is added at the end.
    rules = votes.VoteRules(title="Benches or fountains?", options=["Benches", "Fountains"],
                            opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8))
    with unit_of_work():
        other = proposals.create_vote_from_proposal(admin, proposal, rules)
    assert [(o.label, o.proposal_id) for o in other.options][-1] == ("More trees on the market square", proposal.id)
    assert audit_actions().count("proposal.send_to_vote") == 2


# --- to a budget ---------------------------------------------------------------------------------

def test_successful_proposal_becomes_a_project_crediting_its_author(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    process = accepting_budget(admin)
    heading = process.headings[0]
    with unit_of_work():
        project = proposals.send_to_budget(admin, proposal, heading, estimated_cost=25_000)
    assert (project.title, project.author_id, project.proposal_id, project.heading_id, project.estimated_cost) == (
        proposal.title, proposal.author_id, proposal.id, heading.id, 25_000)
    assert proposal.summary in project.description and BODY in project.description
    assert proposals.proposal_outcomes(proposal)[1] == [project]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.send_to_budget"))
    assert entry.details_dict == {"process_id": process.id, "heading_id": heading.id, "project_id": project.id,
                                  "estimated_cost": 25_000}
    assert any("is now a project in the budget" in m for m in notes_of(proposal.author))
    with pytest.raises(Conflict, match="already a project"), unit_of_work():
        proposals.send_to_budget(admin, proposal, heading, estimated_cost=10)
    assert db.session.scalar(select(func.count()).select_from(BudgetProject)) == 1


def test_budget_not_accepting_and_bad_cost_are_refused(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    with unit_of_work():
        informing = budgets.create_process(admin, budgets.ProcessRules(title="Not yet", city_amount=1_000))
    with pytest.raises(PhaseClosed, match="does not accept projects"), unit_of_work():
        proposals.send_to_budget(admin, proposal, informing.headings[0], estimated_cost=10)
    process = accepting_budget(admin)
    for cost in (0, None, 100_001):
        with pytest.raises(InvalidInput) as error, unit_of_work():
            proposals.send_to_budget(admin, proposal, process.headings[0], estimated_cost=cost)
        assert error.value.field == "estimated_cost"
    assert db.session.scalar(select(func.count()).select_from(BudgetProject)) == 0


def test_targets_list_only_votes_not_open_and_budgets_accepting(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    later = upcoming_vote(admin, title="Later question")
    upcoming_vote(admin, title="Already open", opens_in=-timedelta(hours=1))
    process = accepting_budget(admin)
    with unit_of_work():
        budgets.create_process(admin, budgets.ProcessRules(title="Not yet", city_amount=1_000))
    open_votes, headings = proposals.send_targets()
    assert open_votes == [later] and [h.process_id for h in headings] == [process.id]


# --- who may -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["resident", "verified", "moderator", "clerk"])
def test_only_administrators_send_proposals_on(ctx, kind):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    proposal = successful_proposal()
    vote = upcoming_vote(admin)
    process = accepting_budget(admin)
    roles = {"moderator": [Role.MODERATOR], "clerk": [Role.CLERK]}.get(kind, [])
    actor = make_user(f"{kind}@example.org", roles=roles, verified=kind == "verified")
    with pytest.raises(PermissionDenied), unit_of_work():
        proposals.send_to_vote(actor, proposal, vote)
    with pytest.raises(PermissionDenied), unit_of_work():
        proposals.send_to_budget(actor, proposal, process.headings[0], estimated_cost=10)
    with pytest.raises(PermissionDenied), unit_of_work():
        proposals.send_to_vote(proposal.author, proposal, vote)  # not even its author
    assert proposals.proposal_outcomes(proposal) == ([], [])
    assert notifications.unread_count(proposal.author) == 1  # only "reached its threshold"


def page_facts(proposal, viewer):
    """The facts the proposal page reads with the proposal, in the same query."""
    return proposals.get_proposal_page(proposal.id, viewer)[1]


def test_page_facts_follow_supports_follows_edits_attachments_and_outcomes(ctx):
    """The proposal page's one-query facts match what the separate queries say, for each viewer."""
    from helpers import tiny_png

    proposal = successful_proposal()
    author = db.session.get(User, proposal.author_id)
    supporter = db.session.scalar(select(User).where(User.email == "sup-rita@example.org"))
    stranger = make_user("stranger@example.org", verified=True)
    facts = page_facts(proposal, supporter)
    assert (facts.supported, facts.following, facts.revision_count, facts.has_attachments,
            facts.has_outcomes) == (True, True, 0, False, False)
    assert page_facts(proposal, stranger) == proposals.PageFacts(False, False, 0, False, False, False)
    assert page_facts(proposal, None) == proposals.PageFacts(False, False, 0, False, False, False)
    assert page_facts(proposal, author).following and not page_facts(proposal, author).supported

    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    with unit_of_work():
        proposals.send_to_vote(admin, proposal, upcoming_vote(admin))
    assert page_facts(proposal, None).has_outcomes
    to_budget = successful_proposal("A fountain in the park", author_email="fay@example.org")
    assert not page_facts(to_budget, None).has_outcomes
    with unit_of_work():
        proposals.send_to_budget(admin, to_budget, accepting_budget(admin).headings[0], estimated_cost=10)
    assert page_facts(to_budget, None).has_outcomes

    draft_author = make_user("draft@example.org", verified=True)
    with unit_of_work():
        draft = proposals.create_proposal(draft_author, title="A bench by the river", summary="Somewhere to sit",
                                          body=BODY, publish=True)
        proposals.add_attachments(draft_author, draft, [("bench.png", tiny_png())])
        proposals.update_proposal(draft_author, draft, title="Two benches by the river", summary="Somewhere to sit",
                                  body=BODY)
    facts = page_facts(draft, stranger)
    assert (facts.revision_count, facts.has_attachments, facts.has_outcomes) == (1, True, False)
    assert facts.revision_count == proposals.count_revisions(draft)


def test_page_facts_tell_a_long_thread_from_a_short_one(ctx):
    """The proposal page learns in its facts query whether its thread is longer than SMALL_THREAD, so a
    long thread is paged by queries at once, not read SMALL_THREAD + 1 comments deep first."""
    from agora.comments import services as comments
    from agora.comments.models import Comment

    proposal = successful_proposal()
    author = db.session.get(User, proposal.author_id)

    def add_comments(n):
        with unit_of_work():
            db.session.add_all(Comment(target_type="proposals", target_id=proposal.id, depth=0, author_id=author.id,
                                       body=f"Point {i}") for i in range(n))

    add_comments(comments.SMALL_THREAD)
    assert not page_facts(proposal, None).long_thread
    add_comments(1)
    assert page_facts(proposal, None).long_thread and page_facts(proposal, author).long_thread
