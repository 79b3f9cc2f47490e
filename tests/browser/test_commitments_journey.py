"""Civic commitments in a real browser: an administrator sets a goal, a school commits and reports progress."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import assert_accessible
from helpers import PASSWORD, make_user

from agora.permissions import Role

pytestmark = pytest.mark.browser


def _login(page, base, email):
    page.goto(base + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome back").wait_for()


def _logout(page):
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()


def test_goal_school_result_commitment_two_updates_chart_and_timeline(live_server, page):
    base, app = live_server
    with app.app_context():
        make_user("admin@school.example", name="Ada", roles=[Role.ADMIN])
        make_user("teacher@school.example", name="Tess", verified=True, district="Heverlee")  # server shared
    deadline = (date.today() + timedelta(days=200)).isoformat()

    # The administrator publishes a goal and registers the school, confirmed, with Tess as member.
    _login(page, base, "admin@school.example")
    page.get_by_role("link", name="Commitments").first.click()
    page.get_by_role("link", name="New goal").click()
    page.get_by_label("Title").fill("Safe routes to school")
    page.get_by_label("Indicator").fill("Share of school trips by bike or on foot")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Baseline (value today)").fill("40")
    page.get_by_label("Target", exact=True).fill("70")
    page.get_by_label("Deadline").fill(deadline)
    page.get_by_role("button", name="Create the goal").click()
    page.get_by_text("The goal is published.").wait_for()
    goal_url = page.url
    page.goto(base + "/commitments/organisations/new")
    page.get_by_label("Name of the organisation").fill("Sint-Pieters Basisschool")
    page.get_by_label("Kind").select_option("school")
    page.get_by_role("button", name="Register the organisation").click()
    page.get_by_text("The organisation is registered and confirmed.").wait_for()
    page.get_by_label("E-mail address of the member").fill("teacher@school.example")
    page.get_by_role("button", name="Add member").click()
    page.get_by_text("The member is added.").wait_for()
    _logout(page)

    # The teacher commits for the school to a measurable result.
    _login(page, base, "teacher@school.example")
    page.goto(goal_url)
    page.get_by_role("link", name="Make a commitment").click()
    assert_accessible(page, "commitment form")
    page.get_by_label("Who commits").select_option(label="Sint-Pieters Basisschool")
    page.get_by_label("Result commitment").check()
    page.get_by_label("Your commitment in one sentence").fill("70 % of our pupils come by bike or on foot")
    page.get_by_label("Starting value").fill("35")
    page.get_by_label("Target value").fill("70")
    page.get_by_label("Unit of the target").fill("% of trips")
    page.get_by_label("Deadline").fill(deadline)
    page.get_by_role("button", name="Commit").click()
    page.get_by_text("Your commitment is published.").wait_for()

    # Two progress updates.
    for days_ago, value, text in ((20, "45", "Bike bus on Wednesdays"), (2, "56", "New bike shed")):
        page.get_by_label("Date", exact=True).fill((date.today() - timedelta(days=days_ago)).isoformat())
        page.get_by_label("What happened").fill(text)
        page.get_by_label("Measured value").fill(value)
        page.get_by_role("button", name="Post the update").click()
        page.get_by_text("Your update is posted.").wait_for()
    assert page.get_by_text("60 %").first.is_visible()  # (56 - 35) / (70 - 35)
    assert_accessible(page, "commitment page")

    # The goal page shows the chart of the result commitments and the timeline.
    page.goto(goal_url)
    chart = page.get_by_role("img", name="Result commitments: share of the way to their targets")
    assert chart.is_visible()
    assert chart.locator("circle").count() == 2
    timeline = page.locator("ol.timeline > li")
    assert timeline.count() == 2
    assert "New bike shed" in timeline.nth(0).inner_text() and "Bike bus" in timeline.nth(1).inner_text()
    assert page.get_by_role("heading", name="Result commitment", exact=True).is_visible()
    assert_accessible(page, "goal page")
    page.goto(base + "/commitments/")
    assert_accessible(page, "commitments dashboard")
