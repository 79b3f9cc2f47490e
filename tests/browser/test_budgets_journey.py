"""Participatory budget in a real browser: a resident submits a project, a valuator prices it, residents
support it, a resident casts a knapsack ballot (refused over the budget, then within it, with the running
total), the administrator closes the vote, the results page shows the funded projects, and the exported .pb
file gives the same result with voting.budget."""

from __future__ import annotations

import pytest
from conftest import assert_accessible
from conftest import log_in as _login
from helpers import make_user

pytestmark = pytest.mark.browser



def _as(browser, base, email):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _login(page, base, email)
    return context, page


def test_submit_price_support_vote_close_and_recount(live_server, page, browser):
    base, app = live_server
    from agora.budgets import services
    from agora.db import db
    from agora.permissions import Role

    with app.app_context():
        admin = make_user("pbj-admin@example.org", roles=[Role.ADMIN])
        make_user("pbj-clerk@example.org", roles=[Role.CLERK])
        make_user("pbj-rita@example.org", verified=True, district="PB-Noord")
        make_user("pbj-bob@example.org", verified=True, district="PB-Noord")
        process = services.create_process(admin, services.ProcessRules(title="Journey budget", city_amount=1000,
                                                                       city_name="PB city"))
        services.set_phase(admin, process, "accepting")
        heading = process.headings[0]
        for title, cost in (("Lights by the canal", 300), ("Ice rink", 800)):
            services.submit_project(make_user(f"pbj-{cost}@example.org", verified=True, district="PB-Noord"),
                                    process, services.ProjectData(title=title, heading_id=heading.id,
                                                                  estimated_cost=cost))
        db.session.commit()
        process_id, heading_id = process.id, heading.id

    # A resident submits a project.
    _login(page, base, "pbj-rita@example.org")
    page.goto(f"{base}/budgets/{process_id}/projects/new")
    page.get_by_label("Title").fill("Benches on the square")
    page.get_by_label("Description (Markdown)").fill("Three benches for *everyone*.")
    page.get_by_label("Location").fill("Market square")
    page.get_by_label("Estimated cost (EUR)").fill("250")
    page.get_by_role("button", name="Submit the project").click()
    page.get_by_text("Your project is submitted.").wait_for()
    project_url = page.url

    admin_ctx, admin_page = _as(browser, base, "pbj-admin@example.org")

    def phase(name):
        admin_page.goto(f"{base}/budgets/{process_id}")
        admin_page.get_by_label("Phase").select_option(name)
        admin_page.get_by_role("button", name="Change the phase").click()
        admin_page.get_by_text("The budget is now in the phase").wait_for()

    phase("reviewing")
    # A valuator prices every project.
    clerk_ctx, clerk_page = _as(browser, base, "pbj-clerk@example.org")
    with app.app_context():
        ids = [p.id for p in services.list_projects(services.get_process(process_id))]
    for pid in ids:
        clerk_page.goto(f"{base}/budgets/projects/{pid}")
        clerk_page.get_by_label("Feasibility").select_option("feasible")
        price = "200" if clerk_page.url == project_url else ""
        if not price:
            price = clerk_page.locator(".budget-facts dd").first.inner_text().split("\u00a0")[0].replace("\u202f", "")
        clerk_page.get_by_label("Official price (EUR)").fill(price)
        clerk_page.get_by_role("button", name="Save the valuation").click()
        clerk_page.get_by_text("The valuation is saved.").wait_for()
    clerk_ctx.close()

    # Residents support it.
    phase("selecting")
    page.goto(project_url)
    page.get_by_role("button", name="Support this project").click()
    page.get_by_text("You support this project.").first.wait_for()
    assert page.locator("#supports-count").inner_text() == "1"
    phase("balloting")

    # The knapsack ballot: the running total, a refusal over the budget, then a ballot within it.
    page.goto(f"{base}/budgets/headings/{heading_id}/ballot")
    assert_accessible(page, "budget ballot")
    page.get_by_label("Ice rink").check()
    page.get_by_label("Lights by the canal").check()
    assert "Over the budget by 100" in page.locator("#money-left").inner_text()
    page.get_by_role("button", name="Cast my ballot").click()
    assert "100\u00a0EUR over this heading" in page.get_by_role("alert").inner_text()
    page.get_by_label("Ice rink").uncheck()
    page.get_by_label("Benches on the square").check()
    assert "Money left: 500" in page.locator("#money-left").inner_text()
    page.get_by_role("button", name="Cast my ballot").click()
    receipt = page.locator("#receipt-code").inner_text()
    assert len(receipt) == 19 and page.locator("#change-key").count() == 1

    # Bob votes without JavaScript.
    plain_ctx = browser.new_context(locale="en-GB", java_script_enabled=False)
    plain = plain_ctx.new_page()
    _login(plain, base, "pbj-bob@example.org")
    plain.goto(f"{base}/budgets/headings/{heading_id}/ballot")
    plain.get_by_label("Ice rink").check()
    plain.get_by_role("button", name="Cast my ballot").click()
    plain.locator("#receipt-code").wait_for()
    plain_ctx.close()

    # The administrator closes the vote; the results show the funded projects.
    admin_page.goto(f"{base}/budgets/{process_id}")
    admin_page.get_by_role("button", name="Close balloting and count").click()
    admin_page.get_by_role("heading", name="Funded projects").wait_for()
    admin_ctx.close()
    page.goto(f"{base}/budgets/{process_id}/results")
    funded = page.locator(".funded-list li").all_inner_texts()
    assert funded
    assert page.locator("svg.budget-chart").count() == 1
    assert_accessible(page, "budget results")
    page.get_by_label("Receipt code").fill(receipt.lower())
    page.get_by_role("button", name="Check").click()
    assert "Benches on the square" in page.get_by_role("status").last.inner_text()

    # The exported .pb, read back by voting.budget with the rule it names, gives the same result.
    from voting.budget import allocate, parse_pb, rule_from_meta

    pb = page.request.get(f"{base}/budgets/headings/{heading_id}/votes.pb").text()
    election = parse_pb(pb)
    rule, options = rule_from_meta(election)
    recount = allocate(election, rule, **options)
    with app.app_context():
        stored = services.get_heading(heading_id).result
    assert list(recount.selected) == stored["selected"] and len(election.ballots) == 2
    titles = {p.id: p.name for p in election.projects}
    assert sorted(titles[p] for p in recount.selected) == sorted(f.split(" · ")[0] for f in funded)


def _balloting(app, suffix: str, **rules):
    """A budget in balloting with three priced projects on the city-wide ballot; returns (process id, heading id,
    project ids)."""
    from agora.budgets import services
    from agora.db import db
    from agora.permissions import Role

    with app.app_context():
        admin = make_user(f"pbj{suffix}-admin@example.org", roles=[Role.ADMIN])
        clerk = make_user(f"pbj{suffix}-clerk@example.org", roles=[Role.CLERK])
        author = make_user(f"pbj{suffix}-author@example.org", verified=True, district="PB-Noord")
        process = services.create_process(admin, services.ProcessRules(title=f"Budget {suffix}", city_amount=1000,
                                                                       city_name=f"City {suffix}", **rules))
        heading = process.headings[0]
        services.set_phase(admin, process, "accepting")
        made = [services.submit_project(author, process, services.ProjectData(
            title=t, heading_id=heading.id, estimated_cost=c)) for t, c in (("Pond", 600), ("Trees", 500),
                                                                            ("Lamps", 300))]
        services.set_phase(admin, process, "reviewing")
        for p in made:
            services.valuate_project(clerk, p, feasibility="feasible", price=p.estimated_cost)
        services.set_phase(admin, process, "balloting")
        db.session.commit()
        return process.id, heading.id, [p.id for p in made]


def test_points_and_ranking_ballots_with_running_totals(live_server, browser):
    base, app = live_server
    _pid, heading_id, (pond, trees, lamps) = _balloting(app, "pts", ballot_type="cumulative", total_points=10,
                                                        max_points=6)
    with app.app_context():
        make_user("pbjpts-rita@example.org", verified=True, district="PB-Noord")
    context, page = _as(browser, base, "pbjpts-rita@example.org")
    page.goto(f"{base}/budgets/headings/{heading_id}/ballot")
    status = page.locator("#points-left")
    status.wait_for(state="visible")  # shown by the script: without it the form still works
    assert "Points given: 0. Points left: 10." in status.inner_text()
    assert_accessible(page, "points ballot")
    page.get_by_label("Pond").fill("6")
    page.get_by_label("Trees").fill("7")
    assert "3 points too many" in status.inner_text() and "At most 6 points per project." in status.inner_text()
    page.get_by_label("Trees").fill("4")
    assert "Points given: 10. Points left: 0." in status.inner_text()
    page.get_by_role("button", name="Cast my ballot").click()
    page.locator("#receipt-code").wait_for()
    context.close()

    _pid, heading_id, (pond, trees, lamps) = _balloting(app, "rank", ballot_type="ranking", max_projects=2)
    with app.app_context():
        make_user("pbjrank-rita@example.org", verified=True, district="PB-Noord")
    context, page = _as(browser, base, "pbjrank-rita@example.org")
    page.goto(f"{base}/budgets/headings/{heading_id}/ballot")
    status = page.locator("#ranks-status")
    status.wait_for(state="visible")
    assert_accessible(page, "ranking ballot")
    page.get_by_label("Pond").select_option("1")
    page.get_by_label("Lamps").select_option("1")
    assert "Rank 1 is given twice." in status.inner_text()
    page.get_by_role("button", name="Cast my ballot").click()  # refused by the server with the reason
    assert "Rank 1 is given to more than one project" in page.locator("#ballot-error").inner_text()
    page.get_by_label("Lamps").select_option("2")
    assert "Ranked: 2 of at most 2." in status.inner_text()
    page.get_by_role("button", name="Cast my ballot").click()
    page.locator("#receipt-code").wait_for()
    context.close()


def test_funded_project_progress_and_milestones(live_server, browser):
    base, app = live_server
    from agora.budgets import services
    from agora.db import db

    process_id, heading_id, (pond, trees, lamps) = _balloting(app, "exe", rule="greedy")
    with app.app_context():
        from agora.accounts.models import User
        from agora.budgets.models import BudgetHeading, BudgetProcess

        heading = db.session.get(BudgetHeading, heading_id)
        for i in range(2):
            services.cast_budget_ballot(make_user(f"pbjexe-v{i}@example.org", verified=True, district="PB-Noord"),
                                        heading, [pond, lamps])
        admin = db.session.scalar(db.select(User).where(User.email == "pbjexe-admin@example.org"))
        process = db.session.get(BudgetProcess, process_id)
        services.close_balloting(admin, process)
        services.set_phase(admin, process, "finished")
        db.session.commit()
    context, page = _as(browser, base, "pbjexe-clerk@example.org")
    page.goto(f"{base}/budgets/projects/{pond}")
    page.get_by_label("Milestone").fill("Pond dug")
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Progress (%)").fill("50")
    page.get_by_role("button", name="Save the milestone").click()
    page.wait_for_url(lambda url: "#milestones" in url)
    assert page.locator("#project-progress").get_attribute("value") == "50"
    assert "Pond dug" in page.locator(".milestones").inner_text()
    assert_accessible(page, "funded project with milestones")
    page.goto(f"{base}/budgets/{process_id}/execution")
    assert "In progress (1)" in page.content() and "Not started (1)" in page.content()
    assert_accessible(page, "execution overview")
    context.close()
