"""Journeys in a real browser: a resident proposes, supports and replies; a moderator hides and blocks."""

from __future__ import annotations

import re

import pytest
from conftest import assert_accessible
from helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _login(page, base, email):
    page.goto(base + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome back").wait_for()


def _comment(app, email, target_type, target_id, body):
    from agora.accounts.models import User
    from agora.comments import services as comments
    from agora.db import db, unit_of_work

    with app.app_context(), unit_of_work():
        user = db.session.query(User).filter_by(email=email).one()
        return comments.add_comment(user, target_type, target_id, body=body).id


def test_resident_submits_supports_and_replies(live_server, page):
    base, app = live_server
    with app.app_context():
        make_user("lena@example.org", name="Lena", verified=True, district="Wijgmaal")
        make_user("omar@example.org", name="Omar", verified=True, district="Wijgmaal")

    _login(page, base, "lena@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Proposals").click()
    page.get_by_role("heading", name="Proposals", level=1).wait_for()
    assert_accessible(page, "proposal list (empty)")
    page.get_by_role("link", name="Submit a proposal").click()
    page.get_by_label("Title").fill("Shade trees <b>on</b> the market square")
    page.get_by_label("Summary").fill("Plant twenty trees so the square is usable in summer")
    page.get_by_label("Proposal", exact=True).fill("The square is **too hot** in July.\n\n- lime trees\n- benches")
    page.get_by_label("Where").select_option(label="The whole city")
    page.get_by_label("Tags").fill("green, summer")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Preview").wait_for()
    assert page.locator(".preview strong").inner_text() == "too hot"
    assert_accessible(page, "proposal form with preview")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Your proposal is published.").wait_for()
    # The title's markup is shown as text, never interpreted.
    assert page.get_by_role("heading", level=1).inner_text() == "Shade trees <b>on</b> the market square"
    proposal_id = int(re.search(r"/proposals/(\d+)", page.url).group(1))

    page.get_by_role("button", name="Support this proposal").click()
    page.get_by_text("Thank you for your support.").wait_for()
    page.get_by_text("You support this proposal.").wait_for()
    assert_accessible(page, "proposal page after support")

    _comment(app, "omar@example.org", "proposals", proposal_id, "Which kind of trees, @Lena?")
    page.reload()
    page.get_by_text("Which kind of trees").wait_for()
    page.locator("details.reply summary").first.click()
    page.get_by_label("Your reply").fill("Lime trees: they give dense shade.")
    page.get_by_role("button", name="Publish reply").click()
    page.get_by_text("Your comment is published.").wait_for()
    reply = page.locator("ol.replies article").first
    assert "Lime trees" in reply.inner_text()
    assert_accessible(page, "proposal page with a threaded reply")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Proposals").click()
    page.get_by_role("searchbox", name="Search").fill("shade")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Shade trees <b>on</b> the market square").wait_for()


def test_moderator_hides_a_flagged_comment_and_blocks_its_author(live_server, page):
    base, app = live_server
    from agora.db import db, unit_of_work
    from agora.debates import services as debates
    from agora.permissions import Role

    with app.app_context():
        make_user("mia@example.org", name="Mia", roles=[Role.MODERATOR])
        author = make_user("tess@example.org", name="Tess", verified=True, district="Wijgmaal")
        make_user("troll@example.org", name="Trevor", verified=True, district="Wijgmaal")
        make_user("ann@example.org", name="Ann")
        app.config["DEBATES_MIN_ACCOUNT_AGE_DAYS"] = 0
        with unit_of_work():
            debate_id = debates.create_debate(db.session.merge(author), title="Night buses on weekends?",
                                              body="Should buses run all night on Fridays and Saturdays?").id
    _comment(app, "tess@example.org", "debates", debate_id, "Yes, for safety after concerts.")
    _comment(app, "troll@example.org", "debates", debate_id, "Only idiots take the bus.")

    _login(page, base, "ann@example.org")
    page.goto(f"{base}/debates/{debate_id}")
    assert_accessible(page, "debate page")
    troll_comment = page.locator("article.comment", has_text="Only idiots")
    troll_comment.locator("details.flag summary").click()
    troll_comment.get_by_label("Reason for the report").select_option("offensive")
    troll_comment.get_by_role("button", name="Send the report").click()
    page.get_by_text("moderators will review your report").wait_for()
    page.get_by_role("button", name="Log out").click()

    _login(page, base, "mia@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    page.get_by_role("heading", name="Moderation", level=1).wait_for()
    row = page.get_by_role("row", name=re.compile("Only idiots"))
    row.get_by_role("checkbox").check()
    assert_accessible(page, "moderation queue")
    page.get_by_label("Action").select_option("hide")
    page.get_by_label("Reason", exact=True).fill("Insulting other residents")
    page.get_by_role("button", name="Apply to the selected items").click()
    page.get_by_text("Hide: 1 item(s).").wait_for()

    page.get_by_role("link", name="Hidden", exact=True).click()
    page.get_by_role("row", name=re.compile("Only idiots")).get_by_role("link", name=re.compile("Block")).click()
    page.get_by_role("heading", name="Block Trevor").wait_for()
    page.get_by_label("Reason").fill("Repeated insults")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Trevor is blocked and can no longer post.").wait_for()
    assert_accessible(page, "blocked accounts")

    page.goto(f"{base}/debates/{debate_id}")
    page.get_by_text("Hidden by a moderator. Reason: Insulting other residents").wait_for()
    assert page.get_by_text("Only idiots").count() == 0
    assert "Yes, for safety" in page.content()
