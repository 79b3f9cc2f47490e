"""Panel workspace pages: 403 for everyone but that panel's members and clerks, the forms end to end
(sessions, minutes, goals, amendments, ballots), CSRF, escaping, and the public adopted goals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import PASSWORD, make_user, post_form
from sqlalchemy import select

from agora.db import db, utcnow
from agora.panels.models import Panel, PanelMember
from agora.panelwork import services
from agora.permissions import Role


def _login(client, email):
    assert post_form(client, "/account/login", {"email": email, "password": PASSWORD}).status_code == 302


def _setup():
    """Panel A (ann, bert members; fien facilitator), panel B (other); a clerk, a moderator, a resident."""
    users = {n: make_user(f"{n}@example.org", name=n.title(), verified=True)
             for n in ("ann", "bert", "fien", "other", "resident")}
    make_user("clerk@example.org", name="Clerk", roles=[Role.CLERK])
    make_user("mod@example.org", name="Mod", roles=[Role.MODERATOR], verified=True)
    a, b = Panel(title="Kessel-Lo panel", size=25), Panel(title="Heverlee panel", size=25)
    db.session.add_all([a, b])
    db.session.flush()
    db.session.add_all([PanelMember(panel_id=a.id, user_id=users["ann"].id),
                        PanelMember(panel_id=a.id, user_id=users["bert"].id),
                        PanelMember(panel_id=a.id, user_id=users["fien"].id, role="facilitator"),
                        PanelMember(panel_id=b.id, user_id=users["other"].id)])
    db.session.commit()
    return a.id, b.id


def _user(email):
    from agora.accounts.models import User

    return db.session.query(User).filter_by(email=email).one()


WORKSPACE_PAGES = ["/panels/{id}/workspace", "/panels/{id}/workspace/sessions", "/panels/{id}/workspace/members"]


@pytest.mark.parametrize("email", ["resident@example.org", "other@example.org", "mod@example.org"])
def test_outsiders_get_403_on_every_workspace_page(app, client, email):
    with app.app_context():
        a, _b = _setup()
        goal = services.draft_goal(_user("ann@example.org"), db.session.get(Panel, a),
                                   title="Safe bicycle routes", text="Routes to schools.")
        db.session.commit()
        goal_id = goal.id
    _login(client, email)
    for page in [*WORKSPACE_PAGES, "/panels/{id}/workspace/goals/new", f"/panels/{{id}}/workspace/goals/{goal_id}"]:
        assert client.get(page.format(id=a)).status_code == 403, page
    assert post_form(client, f"/panels/{a}/workspace/goals/new",
                     {"title": "Sneaky goal here", "text": "Not a member of this panel."}).status_code == 403
    assert post_form(client, f"/panels/{a}/workspace/goals/{goal_id}/ballot", {"choice": "for"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    with app.app_context():
        a, _b = _setup()
    response = client.get(f"/panels/{a}/workspace")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("email", ["ann@example.org", "fien@example.org", "clerk@example.org"])
def test_members_facilitators_and_clerks_see_the_workspace(app, client, email):
    with app.app_context():
        a, b = _setup()
    _login(client, email)
    for page in WORKSPACE_PAGES:
        assert client.get(page.format(id=a)).status_code == 200, page
    expected_b = 200 if email == "clerk@example.org" else 403
    assert client.get(f"/panels/{b}/workspace").status_code == expected_b


def test_a_member_of_panel_a_gets_403_on_panel_b(app, client):
    with app.app_context():
        a, b = _setup()
    _login(client, "ann@example.org")
    assert client.get(f"/panels/{a}/workspace").status_code == 200
    assert client.get(f"/panels/{b}/workspace").status_code == 403
    assert client.get(f"/panels/{b}/workspace/sessions/new").status_code == 403


def test_clerk_seats_a_member_facilitator_cannot(app, client):
    with app.app_context():
        a, _b = _setup()
    _login(client, "fien@example.org")
    page = client.get(f"/panels/{a}/workspace/members").get_data(as_text=True)
    assert "Add a member" not in page and "Ann" in page
    assert post_form(client, f"/panels/{a}/workspace/members",
                     {"member-email": "resident@example.org", "member-role": "member",
                      "member-submit": "1"}).status_code == 403
    client.get("/")
    post_form(client, "/account/logout")
    _login(client, "clerk@example.org")
    bad = post_form(client, f"/panels/{a}/workspace/members",
                    {"member-email": "ghost@example.org", "member-role": "member", "member-submit": "1"})
    assert bad.status_code == 400 and "ghost@example.org" in bad.get_data(as_text=True)
    ok = post_form(client, f"/panels/{a}/workspace/members",
                   {"member-email": "resident@example.org", "member-role": "member", "member-submit": "1"})
    assert ok.status_code == 303
    rule = post_form(client, f"/panels/{a}/workspace/members",
                     {"rule-quorum_percent": "60", "rule-majority": "two_thirds", "rule-submit": "1"})
    assert rule.status_code == 303
    with app.app_context():
        panel = db.session.get(Panel, a)
        assert services.get_settings(panel).quorum_percent == 60
        seat = next(m for m in services.list_members(panel) if m.user.email == "resident@example.org")
        seat_id = seat.id
    assert post_form(client, f"/panels/{a}/workspace/members/{seat_id}/remove").status_code == 303
    with app.app_context():
        assert not db.session.get(PanelMember, seat_id).is_active


def test_facilitator_schedules_a_session_and_publishes_minutes(app, client):
    with app.app_context():
        a, _b = _setup()
    _login(client, "ann@example.org")
    assert client.get(f"/panels/{a}/workspace/sessions/new").status_code == 403  # members do not schedule
    post_form(client, "/account/logout")
    _login(client, "fien@example.org")
    start = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(client, f"/panels/{a}/workspace/sessions/new",
                         {"title": "Session 1: mobility", "starts_at": start, "place": "Library",
                          "agenda": "1. <script>alert(1)</script> **Routes**"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>Routes</strong>" in page and "<script>alert(1)" not in page
    session_url = response.headers["Location"]
    session_id = int(session_url.rstrip("/").split("/")[-1])
    # Minutes only after the session has started.
    refused = post_form(client, f"/panels/{a}/workspace/sessions/{session_id}/minutes",
                        {"minutes": "We talked about the routes."})
    assert refused.status_code == 303
    assert "once the session has started" in client.get(session_url).get_data(as_text=True)
    with app.app_context():
        from agora.panelwork.models import PanelSession

        db.session.get(PanelSession, session_id).starts_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        ann_seat = next(m.id for m in services.list_members(db.session.get(Panel, a)) if m.user.email.startswith("ann"))
    done = post_form(client, f"/panels/{a}/workspace/sessions/{session_id}/minutes",
                     {"minutes": "We agreed on **three** routes.", "attendees": [str(ann_seat)]})
    assert done.status_code == 303
    page = client.get(session_url).get_data(as_text=True)
    assert "<strong>three</strong>" in page and "Present" in page and "Ann" in page
    # Members read them.
    post_form(client, "/account/logout")
    _login(client, "bert@example.org")
    assert "<strong>three</strong>" in client.get(session_url).get_data(as_text=True)
    assert "Session 1: mobility" in client.get(f"/panels/{a}/workspace/sessions").get_data(as_text=True)


def test_goal_amendment_vote_and_public_page_through_the_forms(app, client):
    with app.app_context():
        a, _b = _setup()
    _login(client, "ann@example.org")
    response = post_form(client, f"/panels/{a}/workspace/goals/new",
                         {"title": "More safe bicycle routes to schools in Kessel-Lo",
                          "text": "Children cycle to school <b>safely</b>.", "theme": "mobility"})
    assert response.status_code == 303
    goal_url = response.headers["Location"]
    goal_id = int(goal_url.rstrip("/").split("/")[-1])
    page = client.get(goal_url).get_data(as_text=True)
    assert "&lt;b&gt;safely&lt;/b&gt;" in page and "First draft" in page
    # Hidden from the public while a draft.
    post_form(client, "/account/logout")
    assert client.get(f"/panels/{a}/goals/1").status_code == 404
    assert "More safe bicycle routes" not in client.get(f"/panels/{a}/goals").get_data(as_text=True)
    _login(client, "bert@example.org")
    short = post_form(client, f"{goal_url}/amendments", {"text": "Too short", "reason": "x"})
    assert short.status_code == 400
    proposed = post_form(client, f"{goal_url}/amendments",
                         {"text": "Every child cycles to school on a separated bike lane.",
                          "reason": "Paint is not protection."})
    assert proposed.status_code == 303
    with app.app_context():
        goal = services.get_goal(db.session.get(Panel, a), goal_id)
        amendment_id = goal.amendments[0].id
    # Bert cannot accept his own amendment; the facilitator can.
    assert post_form(client, f"{goal_url}/amendments/{amendment_id}/accept").status_code == 403
    post_form(client, "/account/logout")
    _login(client, "fien@example.org")
    buttons = client.get(goal_url).get_data(as_text=True)
    assert f"/amendments/{amendment_id}/accept" in buttons and f"/amendments/{amendment_id}/reject" in buttons
    assert post_form(client, f"{goal_url}/amendments/{amendment_id}/accept").status_code == 303
    assert post_form(client, f"{goal_url}/amendments/{amendment_id}/reject").status_code == 303  # flashed
    assert "already been decided" in client.get(goal_url).get_data(as_text=True)
    page = client.get(goal_url).get_data(as_text=True)
    assert "Accepted amendment" in page and "separated bike lane" in page
    assert post_form(client, f"/panels/{a}/workspace/votes/open", {"goal_ids": [str(goal_id)]}).status_code == 303
    with app.app_context():
        vote_id = services.open_vote(services.get_goal(db.session.get(Panel, a), goal_id)).id
    post_form(client, "/account/logout")
    for email, choice in (("ann@example.org", "against"), ("bert@example.org", "for"), ("ann@example.org", "for")):
        _login(client, email)
        assert post_form(client, f"{goal_url}/ballot", {"choice": choice}).status_code == 303
        post_form(client, "/account/logout")
    _login(client, "ann@example.org")
    page = client.get(goal_url).get_data(as_text=True)
    assert "Ann: For" in page and "Bert: For" in page  # open among members
    assert post_form(client, f"{goal_url}/ballot", {"choice": "perhaps"}).status_code == 400
    assert post_form(client, f"{goal_url}/votes/{vote_id}/close").status_code == 403
    post_form(client, "/account/logout")
    _login(client, "fien@example.org")
    assert post_form(client, f"{goal_url}/votes/{vote_id}/close").status_code == 303
    post_form(client, "/account/logout")
    public = client.get(f"/panels/{a}/goals").get_data(as_text=True)
    assert "Goal 1: More safe bicycle routes to schools in Kessel-Lo" in public
    assert "2 for, 0 against, 0 abstentions, of 2 members" in public and 'id="goal-1"' in public
    assert "Ann" not in public  # counts only, never names
    single = client.get(f"/panels/{a}/goals/1")
    assert single.status_code == 200 and "separated bike lane" in single.get_data(as_text=True)


def test_posts_without_csrf_token_are_refused(app, client):
    with app.app_context():
        a, _b = _setup()
    _login(client, "ann@example.org")
    response = client.post(f"/panels/{a}/workspace/goals/new",
                           data={"title": "No token goal", "text": "No token here."})
    assert response.status_code == 400
    with app.app_context():
        assert services.list_goals(db.session.get(Panel, a)) == []


def test_adopted_goals_summary_include_renders(app):
    with app.app_context():
        a, _b = _setup()
        panel = db.session.get(Panel, a)
        ann = _user("ann@example.org")
        goal = services.draft_goal(ann, panel, title="Shade trees on every square", text="Plant trees for shade.")
        fien = next(m.user for m in services.list_members(panel) if m.role == "facilitator")
        (vote,) = services.open_adoption_votes(fien, panel, [goal])
        services.cast_ballot(ann, vote, "for")
        services.close_adoption_vote(fien, vote)
        db.session.commit()
        from flask import render_template_string

        with app.test_request_context("/"):
            html = render_template_string('{% include "panelwork/_adopted_goals_summary.html" %}', panel=panel)
        assert f'href="/panels/{a}/goals/1"' in html and "Shade trees on every square" in html
        assert "See the 1 adopted goal in full" in html


def test_a_proposal_chooses_an_adopted_goal_and_both_pages_show_the_link(app, client):
    with app.app_context():
        a, _b = _setup()
        panel = db.session.get(Panel, a)
        ann, fien = _user("ann@example.org"), _user("fien@example.org")
        draft = services.draft_goal(ann, panel, title="A green schoolyard everywhere", text="Shade and grass.")
        goal = services.draft_goal(ann, panel, title="More safe bicycle routes to schools", text="Routes to schools.")
        (vote,) = services.open_adoption_votes(fien, panel, [goal])
        services.cast_ballot(ann, vote, "for")
        services.cast_ballot(_user("bert@example.org"), vote, "for")
        services.close_adoption_vote(fien, vote)
        db.session.commit()
        goal_id, draft_id = goal.id, draft.id
    _login(client, "resident@example.org")
    form = client.get("/proposals/new").get_data(as_text=True)
    assert "Goal 1 of Kessel-Lo panel: More safe bicycle routes to schools" in form
    assert "A green schoolyard everywhere" not in form  # drafts are not offered
    data = {"title": "A bike lane on the Diestsesteenweg", "summary": "Separate cyclists from cars, please.",
            "body": "Children would cycle to school here.", "district_id": "", "tags": "", "publish": "1"}
    refused = post_form(client, "/proposals/new", {**data, "panel_goal_id": str(draft_id)})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    created = post_form(client, "/proposals/new", {**data, "panel_goal_id": str(goal_id)})
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Responds to" in page and f'href="/panels/{a}/goals/1"' in page and "goal 1 of Kessel-Lo panel" in page
    public = client.get(f"/panels/{a}/goals/1").get_data(as_text=True)
    assert "Responding to this goal: 1 proposal and 0 commitments." in public
    assert "A bike lane on the Diestsesteenweg" in public
    # A participatory-budget project responds to the goal too (a draft goal is refused, by field).
    from agora.budgets import services as budgets

    with app.test_request_context():
        admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
        process = budgets.create_process(admin, budgets.ProcessRules(title="Budget 2027", city_amount=100_000))
        budgets.set_phase(admin, process, "accepting")
        db.session.commit()
        process_id, heading_id = process.id, process.headings[0].id
    url = f"/budgets/{process_id}/projects/new"
    assert "More safe bicycle routes to schools" in client.get(url).get_data(as_text=True)
    project = {"title": "Bike racks at every school", "description": "Racks for 40 bikes.", "heading_id":
               str(heading_id), "estimated_cost": "20000"}
    assert post_form(client, url, {**project, "panel_goal_id": str(draft_id)}).status_code == 400
    made = post_form(client, url, {**project, "panel_goal_id": str(goal_id)})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Responds to" in page and f'href="/panels/{a}/goals/1"' in page
    public = client.get(f"/panels/{a}/goals/1").get_data(as_text=True)
    assert "Participatory budget projects" in public and "Bike racks at every school" in public
    with app.test_request_context():
        from agora.accounts.models import User
        from agora.budgets.models import BudgetHeading
        from agora.proposals import services as proposals
        from agora.proposals.models import Proposal

        admin = db.session.scalar(select(User).where(User.email == "pb-admin@example.org"))
        proposal = db.session.scalar(select(Proposal).where(Proposal.panel_goal_id == goal_id))
        proposal.status = "successful"
        sent = proposals.send_to_budget(admin, proposal, db.session.get(BudgetHeading, heading_id),
                                        estimated_cost=50_000)
        db.session.commit()
        assert sent.panel_goal_id == goal_id  # a project made from the proposal keeps its goal


def test_public_goal_page_in_dutch(app, client):
    with app.app_context():
        a, _b = _setup()
        panel = db.session.get(Panel, a)
        ann, fien = _user("ann@example.org"), _user("fien@example.org")
        goal = services.draft_goal(ann, panel, title="Meer veilige fietsroutes", text="Naar alle scholen.")
        (vote,) = services.open_adoption_votes(fien, panel, [goal])
        services.cast_ballot(ann, vote, "for")
        services.close_adoption_vote(fien, vote)
        db.session.commit()
    page = client.get(f"/panels/{a}/goals/1", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Doel 1: Meer veilige fietsroutes" in page
    assert "Antwoorden op dit doel: 0 voorstellen en 0 engagementen." in page
    assert "1 voor, 0 tegen, 0 onthoudingen, van 2 leden" in page
