"""The panel at work in a real browser: a member drafts a goal, another proposes an amendment, the
facilitator accepts it and opens the vote, the members vote, and the adopted goal appears, numbered,
on the panel's public page (which passes axe-core)."""

from __future__ import annotations

import pytest
from conftest import assert_accessible
from helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _as(browser, base, email):
    """A fresh browser context logged in as ``email``."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    page.wait_for_url(lambda url: "/account/login" not in url)
    return context, page


def test_members_draft_amend_and_adopt_a_goal_that_goes_public(live_server, browser):
    base, app = live_server
    from agora.db import db
    from agora.panels.models import Panel, PanelMember

    with app.app_context():
        ann = make_user("pw-ann@example.org", name="Ann Pw", verified=True)
        bert = make_user("pw-bert@example.org", name="Bert Pw", verified=True)
        chloe = make_user("pw-chloe@example.org", name="Chloe Pw", verified=True)
        fien = make_user("pw-fien@example.org", name="Fien Facilitator")
        panel = Panel(title="Vorm 3010 journey panel", size=25, status="working")
        db.session.add(panel)
        db.session.flush()
        db.session.add_all([PanelMember(panel_id=panel.id, user_id=u.id) for u in (ann, bert, chloe)]
                           + [PanelMember(panel_id=panel.id, user_id=fien.id, role="facilitator")])
        db.session.commit()
        panel_id = panel.id
    work = f"{base}/panels/{panel_id}/workspace"

    # Ann drafts a goal.
    ann_ctx, page = _as(browser, base, "pw-ann@example.org")
    page.goto(f"{base}/panels/my-work")
    page.get_by_role("link", name="Vorm 3010 journey panel").click()
    page.get_by_role("link", name="Draft a goal").click()
    page.get_by_label("Goal", exact=True).fill("More safe bicycle routes to schools in Kessel-Lo")
    page.get_by_label("Explanation").fill("Children can cycle to school safely.")
    page.get_by_label("Theme").fill("mobility")
    page.get_by_role("button", name="Save the goal").click()
    page.get_by_role("heading", name="More safe bicycle routes to schools in Kessel-Lo").wait_for()
    goal_url = page.url
    assert_accessible(page, "goal page in the workspace")

    # Bert proposes an amendment.
    bert_ctx, bert_page = _as(browser, base, "pw-bert@example.org")
    bert_page.goto(goal_url)
    bert_page.get_by_label("New text").fill("Every child can cycle to school on a separated bike lane.")
    bert_page.get_by_label("Reason for the amendment").fill("Paint is not protection.")
    bert_page.get_by_role("button", name="Propose the amendment").click()
    assert "Your amendment is proposed" in bert_page.get_by_role("status").inner_text()

    # The facilitator accepts it, and opens the vote from the workspace.
    fien_ctx, fien_page = _as(browser, base, "pw-fien@example.org")
    fien_page.goto(goal_url)
    fien_page.get_by_role("button", name="Accept the amendment").click()
    assert "The amendment is accepted" in fien_page.get_by_role("status").inner_text()
    assert "separated bike lane" in fien_page.locator(".goal-text").inner_text()
    assert fien_page.get_by_role("cell", name="Accepted amendment").is_visible()
    fien_page.goto(work)
    fien_page.get_by_label("More safe bicycle routes to schools in Kessel-Lo").check()
    fien_page.get_by_role("button", name="Open the vote on the ticked goals").click()
    assert "Adoption vote opened on 1 goal(s)" in fien_page.get_by_role("status").inner_text()

    # Not public yet.
    anonymous = browser.new_context(locale="en-GB")
    public = anonymous.new_page()
    public.goto(f"{base}/panels/{panel_id}/goals")
    assert "More safe bicycle routes" not in public.content()

    # The members vote; Ann changes her mind once.
    for voter_page, choice in ((page, "Against"), (bert_page, "For"), (page, "For")):
        voter_page.goto(goal_url)
        voter_page.get_by_label(choice, exact=True).check()
        voter_page.get_by_role("button", name="vote").click()
        assert "Your vote is recorded" in voter_page.get_by_role("status").inner_text()
    assert "Ann Pw: For" in page.content() and "Bert Pw: For" in page.content()

    # The facilitator closes the vote: 2 of 3 members took part, both for.
    fien_page.goto(goal_url)
    fien_page.get_by_role("button", name="Close the vote and count").click()
    assert "adopted as goal 1" in fien_page.get_by_role("status").inner_text()

    public.goto(f"{base}/panels/{panel_id}/goals")
    item = public.locator("#goal-1")
    assert "Goal 1: More safe bicycle routes to schools in Kessel-Lo" in item.inner_text()
    assert "separated bike lane" in item.inner_text()
    assert "2 for, 0 against, 0 abstentions, of 3 members" in item.inner_text()
    assert_accessible(public, "public page of adopted goals")
    public.get_by_role("link", name="Goal 1: More safe bicycle routes to schools in Kessel-Lo").click()
    public.get_by_role("heading", level=1, name="Goal 1: More safe bicycle routes to schools in Kessel-Lo").wait_for()
    assert_accessible(public, "public page of goal 1")
    for context in (ann_ctx, bert_ctx, fien_ctx, anonymous):
        context.close()
