"""Budget pages through the test client: the whole cycle with forms, refusals, results and exports."""

from __future__ import annotations

import re

import sqlalchemy as sa
from helpers import make_user, post_form

from agora.budgets.models import BudgetHeading, BudgetProcess, BudgetProject
from agora.census.models import District
from agora.db import db
from agora.permissions import Role

_CLIENTS: dict = {}


def _login(client, email):
    """A logged-in client per person (logging in and out again would hit the login rate limit)."""
    from helpers import Auth

    key = (id(client.application), email)
    if key not in _CLIENTS:
        _CLIENTS[key] = client.application.test_client()
        assert Auth(_CLIENTS[key]).login(email).status_code == 302
    return _CLIENTS[key]


def _phase(client, process_id, phase):
    response = post_form(client, f"/budgets/{process_id}/phase", {"phase": phase}, follow_redirects=True)
    assert response.status_code == 200


def test_full_cycle_through_the_pages(app, client):
    _CLIENTS.clear()
    anonymous = client
    with app.app_context():
        make_user("pbw-admin@example.org", roles=[Role.ADMIN])
        make_user("pbw-clerk@example.org", roles=[Role.CLERK])
        make_user("pbw-rita@example.org", verified=True, district="Heverlee")
        make_user("pbw-kim@example.org", verified=True, district="Wilsele")
        heverlee = db.session.scalar(sa.select(District.id).where(District.name == "Heverlee"))
    assert client.get("/budgets/").status_code == 200
    client = _login(anonymous, "pbw-admin@example.org")
    assert client.get("/budgets/new").status_code == 200
    refused = post_form(client, "/budgets/new", {"title": "Leuven decides", "city_amount": "1000", "rule": "mes",
                                                 "ballot_type": "knapsack", "ballot_size": "5",
                                                 f"district-{heverlee}": "many"})
    assert refused.status_code == 400 and "whole euros" in refused.get_data(as_text=True)
    created = post_form(client, "/budgets/new", {"title": "Leuven decides", "city_amount": "1000", "rule": "mes",
                                                 "ballot_type": "knapsack", "ballot_size": "5",
                                                 f"district-{heverlee}": "400", "date_accepting": "2026-03-01",
                                                 "date_balloting": "2026-05-01"})
    assert created.status_code == 302
    with app.app_context():
        process_id = db.session.scalar(sa.select(BudgetProcess.id))
        city_id, district_heading_id = db.session.execute(
            sa.select(BudgetHeading.id).order_by(BudgetHeading.position)).scalars().all()
    _phase(client, process_id, "accepting")

    client = _login(anonymous, "pbw-rita@example.org")
    form = client.get(f"/budgets/{process_id}/projects/new").get_data(as_text=True)
    assert "Whole city" in form
    over = post_form(client, f"/budgets/{process_id}/projects/new", {
        "title": "A bridge", "description": "Big", "heading_id": city_id, "estimated_cost": "5000"})
    assert over.status_code == 400 and "at most the heading" in over.get_data(as_text=True)
    for title, cost in (("<b>Benches</b> on the square", 600), ("Trees", 500), ("Lights", 300)):
        assert post_form(client, f"/budgets/{process_id}/projects/new", {
            "title": title, "description": "Nice *idea*", "heading_id": city_id, "estimated_cost": str(cost),
            "location": "Ladeuzeplein"}).status_code == 302
    with app.app_context():
        ids = dict(db.session.execute(sa.select(BudgetProject.title, BudgetProject.id)).all())
    page = client.get(f"/budgets/projects/{ids['<b>Benches</b> on the square']}").get_data(as_text=True)
    assert "&lt;b&gt;Benches" in page and "<em>idea</em>" in page

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "reviewing")
    client = _login(anonymous, "pbw-clerk@example.org")
    for title, pid in ids.items():
        cost = {"Trees": 500, "Lights": 300}.get(title, 600)
        assert post_form(client, f"/budgets/projects/{pid}/valuate",
                         {"feasibility": "feasible", "price": str(cost)}).status_code == 302
    missing = post_form(client, f"/budgets/projects/{ids['Lights']}/valuate", {"feasibility": "unfeasible"})
    assert missing.status_code == 400 and "Explain why" in missing.get_data(as_text=True)
    client = _login(anonymous, "pbw-rita@example.org")
    assert post_form(client, f"/budgets/projects/{ids['Trees']}/valuate",
                     {"feasibility": "feasible", "price": "1"}).status_code == 403

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "selecting")
    client = _login(anonymous, "pbw-rita@example.org")
    supported = post_form(client, f"/budgets/projects/{ids['Trees']}/support", follow_redirects=True)
    assert "You support this project." in supported.get_data(as_text=True)
    again = post_form(client, f"/budgets/projects/{ids['Trees']}/support", follow_redirects=True)
    assert "already support" in again.get_data(as_text=True)
    assert client.post(f"/budgets/projects/{ids['Lights']}/support").status_code == 400  # no CSRF token

    client = _login(anonymous, "pbw-admin@example.org")
    _phase(client, process_id, "balloting")
    assert client.get(f"/budgets/{process_id}/edit").status_code == 409  # rules locked
    client = _login(anonymous, "pbw-kim@example.org")
    assert client.get(f"/budgets/headings/{district_heading_id}/ballot").status_code == 403
    client = _login(anonymous, "pbw-rita@example.org")
    ballot_page = client.get(f"/budgets/headings/{city_id}/ballot").get_data(as_text=True)
    assert 'data-cost="600"' in ballot_page and "budget-ballot.js" in ballot_page
    over = post_form(client, f"/budgets/headings/{city_id}/ballot",
                     {"project": [ids["<b>Benches</b> on the square"], ids["Trees"]]})
    text = over.get_data(as_text=True)
    assert over.status_code == 400 and "100\u00a0EUR over this heading" in text and 'role="alert"' in text
    cast = post_form(client, f"/budgets/headings/{city_id}/ballot", {"project": [ids["Trees"], ids["Lights"]]})
    text = cast.get_data(as_text=True)
    assert cast.status_code == 200 and cast.headers["Cache-Control"] == "no-store"
    receipt = re.search(r'id="receipt-code">([^<]+)<', text).group(1)
    key = re.search(r'id="change-key">([^<]+)<', text).group(1)
    no_key = post_form(client, f"/budgets/headings/{city_id}/ballot", {"project": [ids["Trees"]]})
    assert no_key.status_code == 400 and "change key" in no_key.get_data(as_text=True)
    changed = post_form(client, f"/budgets/headings/{city_id}/ballot",
                        {"project": [ids["<b>Benches</b> on the square"]], "change_key": key})
    assert changed.status_code == 200 and receipt in changed.get_data(as_text=True)
    assert client.get(f"/budgets/{process_id}/results").status_code == 403
    assert client.get(f"/budgets/headings/{city_id}/votes.pb").status_code == 403

    client = _login(anonymous, "pbw-admin@example.org")
    assert post_form(client, f"/budgets/{process_id}/close").status_code == 302
    results = client.get(f"/budgets/{process_id}/results").get_data(as_text=True)
    assert "svg" in results and "&lt;b&gt;Benches" in results and "Funded at step 1" in results
    assert "Left over: 400\u00a0EUR" in results
    one = client.get(f"/budgets/{process_id}/results?heading={district_heading_id}").get_data(as_text=True)
    assert "No project was funded in this heading." in one and 'aria-current="page"' in one
    checked = client.get(f"/budgets/{process_id}/results?receipt={receipt.lower()}").get_data(as_text=True)
    assert "This ballot is in the count of Whole city" in checked
    pb = client.get(f"/budgets/headings/{city_id}/votes.pb")
    assert pb.status_code == 200 and "attachment" in pb.headers["Content-Disposition"]
    assert "equalshares/add1" in pb.get_data(as_text=True)
    csv_text = client.get(f"/budgets/headings/{city_id}/results.csv").get_data(as_text=True)
    assert csv_text.startswith("project_id,title") and "Trees" in csv_text
    assert receipt in client.get(f"/budgets/headings/{city_id}/ballots.csv").get_data(as_text=True)


def test_only_administrators_manage(app, client):
    _CLIENTS.clear()
    with app.app_context():
        make_user("pbw-rita@example.org", verified=True)
    client = _login(client, "pbw-rita@example.org")
    assert client.get("/budgets/new").status_code == 403
    assert client.get("/budgets/99").status_code == 404


def _points_or_ranking_budget(app, **rules) -> tuple[int, int, list[int]]:
    """A budget in balloting with three priced projects on the city-wide ballot, set up through the services."""
    from agora.budgets import services

    with app.test_request_context():
        admin = make_user("pbw2-admin@example.org", roles=[Role.ADMIN])
        author = make_user("pbw2-author@example.org", verified=True)
        clerk = make_user("pbw2-clerk@example.org", roles=[Role.CLERK])
        process = services.create_process(admin, services.ProcessRules(title="Points and ranks", city_amount=1000,
                                                                       **rules))
        city = process.headings[0]
        services.set_phase(admin, process, "accepting")
        made = [services.submit_project(author, process, services.ProjectData(title=t, heading_id=city.id,
                                                                              estimated_cost=c))
                for t, c in (("Park", 600), ("Trees", 500), ("Lights", 300))]
        services.set_phase(admin, process, "reviewing")
        for p in made:
            services.valuate_project(clerk, p, feasibility="feasible", price=p.estimated_cost)
        services.set_phase(admin, process, "balloting")
        db.session.commit()
        return process.id, city.id, [p.id for p in made]


def test_cumulative_ballot_plain_form(app, client):
    _CLIENTS.clear()
    process_id, city_id, (park, trees, lights) = _points_or_ranking_budget(
        app, ballot_type="cumulative", total_points=10, max_points=6)
    with app.app_context():
        make_user("pbw2-rita@example.org", verified=True)
    show = client.get(f"/budgets/{process_id}").get_data(as_text=True)
    assert "10 points to distribute, at most 6 per project." in show
    rita = _login(client, "pbw2-rita@example.org")
    page = rita.get(f"/budgets/headings/{city_id}/ballot").get_data(as_text=True)
    assert f'name="points-{park}"' in page and 'data-total-points="10"' in page and 'id="points-left"' in page
    assert f'<label for="points-{park}">Park</label>' in page
    over = post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"points-{park}": "6", f"points-{trees}": "5"})
    text = over.get_data(as_text=True)
    assert over.status_code == 400 and "You gave 11 points, 1 more than the 10 you have" in text
    assert f'id="points-{trees}" name="points-{trees}" value="5"' in text  # what was typed stays
    bad = post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"points-{park}": "two"})
    assert bad.status_code == 400 and "Give Park&#39;s points as a whole number" in bad.get_data(as_text=True)
    cast = post_form(rita, f"/budgets/headings/{city_id}/ballot",
                     {f"points-{park}": "6", f"points-{lights}": "4", f"points-{trees}": ""})
    assert cast.status_code == 200 and 'id="receipt-code"' in cast.get_data(as_text=True)


def test_ranking_ballot_plain_form(app, client):
    _CLIENTS.clear()
    process_id, city_id, (park, trees, lights) = _points_or_ranking_budget(app, ballot_type="ranking",
                                                                           max_projects=2)
    with app.app_context():
        make_user("pbw2-rita@example.org", verified=True)
    rita = _login(client, "pbw2-rita@example.org")
    page = rita.get(f"/budgets/headings/{city_id}/ballot").get_data(as_text=True)
    assert f'<select id="rank-{park}" name="rank-{park}" data-rank>' in page and 'value="3"' not in page
    twice = post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"rank-{park}": "1", f"rank-{trees}": "1"})
    assert twice.status_code == 400 and "Rank 1 is given to more than one project" in twice.get_data(as_text=True)
    gap = post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"rank-{trees}": "2"})
    assert gap.status_code == 400 and "rank 1 is missing" in gap.get_data(as_text=True)
    cast = post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"rank-{lights}": "1", f"rank-{park}": "2"})
    assert cast.status_code == 200
    admin = _login(client, "pbw2-admin@example.org")
    assert post_form(admin, f"/budgets/{process_id}/close").status_code == 302
    results = admin.get(f"/budgets/{process_id}/results").get_data(as_text=True)
    assert "Borda points" in results and "a first choice gets 2 points" in results
    pb = admin.get(f"/budgets/headings/{city_id}/votes.pb").get_data(as_text=True)
    assert "vote_type;ordinal" in pb and f"{lights},{park}" in pb


def test_milestones_pages_progress_and_permissions(app, client):
    _CLIENTS.clear()
    from agora.budgets import services

    process_id, city_id, (park, trees, lights) = _points_or_ranking_budget(app, rule="greedy")
    with app.test_request_context():
        from agora.accounts.models import User

        for i, choice in enumerate([[park, lights], [park]]):
            services.cast_budget_ballot(make_user(f"pbw2-v{i}@example.org", verified=True),
                                        db.session.get(BudgetHeading, city_id), choice)
        admin = db.session.scalar(sa.select(User).where(User.email == "pbw2-admin@example.org"))
        process = db.session.get(BudgetProcess, process_id)
        services.close_balloting(admin, process)
        services.set_phase(admin, process, "finished")
        db.session.commit()
        make_user("pbw2-rita@example.org", verified=True)
        make_user("pbw2-mod@example.org", roles=[Role.MODERATOR])
    data = {"title": "Trees planted", "status": "in_progress", "percent": "40", "due_on": "2027-03-01",
            "description": "Half of the trees are in."}
    url = f"/budgets/projects/{park}/milestones"
    assert post_form(client, url, data).status_code == 302  # anonymous: to the login page
    for email in ("pbw2-rita@example.org", "pbw2-mod@example.org"):
        assert post_form(_login(client, email), url, data).status_code == 403
    rita = _login(client, "pbw2-rita@example.org")
    page = rita.get(f"/budgets/projects/{park}").get_data(as_text=True)
    assert "Add a milestone" not in page and '<progress id="project-progress" max="100" value="0">' in page
    assert post_form(rita, f"/budgets/projects/{park}/follow").status_code == 302
    clerk = _login(client, "pbw2-clerk@example.org")
    assert "Add a milestone" in clerk.get(f"/budgets/projects/{park}").get_data(as_text=True)
    assert "Add a milestone" not in clerk.get(f"/budgets/projects/{trees}").get_data(as_text=True)  # not funded
    assert post_form(clerk, f"/budgets/projects/{trees}/milestones", data).status_code == 400
    bad = post_form(clerk, url, {**data, "percent": "100"})
    assert bad.status_code == 400 and "choose the status Done" in bad.get_data(as_text=True)
    assert post_form(clerk, url, data).status_code == 302
    page = rita.get(f"/budgets/projects/{park}").get_data(as_text=True)
    assert '<progress id="project-progress" max="100" value="40">' in page and "Trees planted" in page
    assert '<time datetime="2027-03-01">' in page
    with app.app_context():
        from agora.budgets.models import BudgetMilestone
        from agora.notifications.models import Notification

        milestone_id = db.session.scalar(sa.select(BudgetMilestone.id))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.kind == "budget.milestone")) == 2  # rita and the author
    edit = f"/budgets/milestones/{milestone_id}/edit"
    assert rita.get(edit).status_code == 403
    assert clerk.get(edit).status_code == 200
    assert post_form(clerk, edit, {**data, "status": "done"}).status_code == 302
    overview = client.get(f"/budgets/{process_id}/execution").get_data(as_text=True)
    assert "Completed (1)" in overview and "Park" in overview and 'value="100"' in overview
    assert "Trees" not in overview
    # A milestone recorded by mistake is deleted by a clerk, with a reason the audit log keeps.
    delete = f"/budgets/milestones/{milestone_id}/delete"
    assert post_form(rita, delete, {"reason": "Not mine to delete"}).status_code == 403
    refused = post_form(clerk, delete, {"reason": ""})
    assert refused.status_code == 400 and "Delete the milestone" in refused.get_data(as_text=True)
    done = post_form(clerk, delete, {"reason": "Entered for the wrong project"}, follow_redirects=True)
    assert "The milestone is deleted." in done.get_data(as_text=True)
    with app.app_context():
        from agora.audit import AuditEntry

        assert db.session.get(BudgetMilestone, milestone_id) is None
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "budget.milestone.delete"))
        assert entry.details_dict["reason"] == "Entered for the wrong project"
        assert entry.details_dict["title"] == "Trees planted"
    assert "No milestone has been recorded yet." in rita.get(f"/budgets/projects/{park}").get_data(as_text=True)


def test_project_image_checked_stripped_and_served(app, client):
    import io

    from helpers import tiny_jpeg, tiny_png

    from agora.budgets import services

    _CLIENTS.clear()
    with app.test_request_context():
        admin = make_user("pbw3-admin@example.org", roles=[Role.ADMIN])
        make_user("pbw3-rita@example.org", verified=True)
        process = services.create_process(admin, services.ProcessRules(title="Images", city_amount=1000))
        services.set_phase(admin, process, "accepting")
        db.session.commit()
        process_id, city_id = process.id, process.headings[0].id
    rita = _login(client, "pbw3-rita@example.org")
    url = f"/budgets/{process_id}/projects/new"
    assert 'enctype="multipart/form-data"' in rita.get(url).get_data(as_text=True)
    base = {"title": "A pond", "description": "Frogs", "heading_id": city_id, "estimated_cost": "500"}

    def submit(data: bytes, name: str, alt: str = "A pond with reeds"):
        return post_form(rita, url, {**base, "image": (io.BytesIO(data), name), "image_alt": alt},
                         content_type="multipart/form-data")

    fake = submit(b"GIF89a not accepted", "pond.gif")
    assert fake.status_code == 400 and "The image must be a PNG, JPEG or WebP file." in fake.get_data(as_text=True)
    renamed = submit(b"<svg onload=alert(1)>", "pond.png")  # the name does not make it an image
    assert renamed.status_code == 400 and "must be a PNG, JPEG or WebP" in renamed.get_data(as_text=True)
    damaged = submit(tiny_png()[:20], "pond.png")
    assert damaged.status_code == 400 and "must be a PNG, JPEG or WebP" in damaged.get_data(as_text=True)
    app.config["BUDGETS_MAX_IMAGE_BYTES"] = 2048  # small, so the test client does not spool to a temporary file
    big = submit(tiny_png() + b"\x00" * 2048, "big.png")
    assert big.status_code == 400 and "The image is larger than 2 kB." in big.get_data(as_text=True)
    app.config["BUDGETS_MAX_IMAGE_BYTES"] = 1024 * 1024
    no_alt = submit(tiny_png(), "pond.png", alt=" ")
    assert no_alt.status_code == 400 and "Describe the image for people who cannot see it." in \
        no_alt.get_data(as_text=True)
    gps = b"Exif\x00\x00GPSLatitude 50.8798N GPSLongitude 4.7005E"
    plain = tiny_jpeg()
    tagged = plain[:2] + b"\xff\xe1" + (len(gps) + 2).to_bytes(2, "big") + gps + plain[2:]
    created = submit(tagged, "pond.jpg", alt='Reeds "and" frogs')
    assert created.status_code == 302
    with app.app_context():
        project = db.session.scalar(sa.select(BudgetProject))
        assert project.image == plain and b"GPSLatitude" not in project.image and project.image_type == "image/jpeg"
        project_id = project.id
    image = client.get(f"/budgets/projects/{project_id}/image")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data == plain
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    assert f'<img src="/budgets/projects/{project_id}/image" alt="Reeds &#34;and&#34; frogs">' in page
    without = post_form(rita, url, {**base, "title": "No picture"})
    assert without.status_code == 302
    with app.app_context():
        other = db.session.scalar(sa.select(BudgetProject.id).where(BudgetProject.title == "No picture"))
    assert client.get(f"/budgets/projects/{other}/image").status_code == 404
    # Added after submission by the author (while submitted and reviewed), checked the same way.
    add = f"/budgets/projects/{other}/image"
    assert "Add an image" in rita.get(f"/budgets/projects/{other}").get_data(as_text=True)
    bad = post_form(rita, add, {"image": (io.BytesIO(b"GIF89a"), "x.gif"), "image_alt": "x"},
                    content_type="multipart/form-data")
    assert bad.status_code == 400 and "must be a PNG, JPEG or WebP" in bad.get_data(as_text=True)
    added = post_form(rita, add, {"image": (io.BytesIO(tiny_png()), "later.png"), "image_alt": "The pond site"},
                      content_type="multipart/form-data")
    assert added.status_code == 302
    served = client.get(add)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "no-cache"
    again = client.get(add, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304  # unchanged: the browser keeps its copy
    # Another resident may not; once balloting starts the author may not either, a clerk still may.
    with app.app_context():
        make_user("pbw3-sam@example.org", verified=True)
    sam = _login(client, "pbw3-sam@example.org")
    assert post_form(sam, add, {"image": (io.BytesIO(tiny_png()), "x.png"), "image_alt": "Mine"},
                     content_type="multipart/form-data").status_code == 403
    with app.test_request_context():
        from agora.accounts.models import User

        admin = db.session.scalar(sa.select(User).where(User.email == "pbw3-admin@example.org"))
        process = db.session.get(BudgetProcess, process_id)
        services.set_phase(admin, process, "valuating")
        db.session.commit()
    assert post_form(rita, add, {"image": (io.BytesIO(tiny_png()), "x.png"), "image_alt": "Late"},
                     content_type="multipart/form-data").status_code == 403
    assert "Add an image" not in rita.get(f"/budgets/projects/{other}").get_data(as_text=True)
    clerk = _login(client, "pbw3-admin@example.org")
    replaced = post_form(clerk, add, {"image": (io.BytesIO(plain), "works.jpg"), "image_alt": "Works begin"},
                         content_type="multipart/form-data")
    assert replaced.status_code == 302
    changed = client.get(add, headers={"If-None-Match": served.headers["ETag"]})
    assert changed.status_code == 200 and changed.data == plain  # a new image, not "not modified"


def test_a_large_budget_vote_is_counted_by_a_background_job(app, client, monkeypatch):
    """Above BUDGETS_BACKGROUND_TALLY_BALLOTS closing queues a job; until it has counted every heading the
    results page says so (202); then it shows the same result a synchronous count gives."""
    from sqlalchemy import select

    from agora.audit import AuditEntry
    from agora.budgets import services
    from agora.budgets.models import BudgetHeading
    from agora.jobs import Job

    _CLIENTS.clear()
    monkeypatch.setitem(app.config, "BUDGETS_BACKGROUND_TALLY_BALLOTS", 0)
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    dispatched = []
    monkeypatch.setattr("agora.jobs.dispatch", lambda app, job_id: dispatched.append(job_id))
    process_id, city_id, (park, trees, lights) = _points_or_ranking_budget(
        app, ballot_type="cumulative", total_points=10, max_points=6)
    with app.app_context():
        make_user("pbw2-rita@example.org", verified=True)
    rita = _login(client, "pbw2-rita@example.org")
    post_form(rita, f"/budgets/headings/{city_id}/ballot", {f"points-{park}": "6", f"points-{lights}": "4"})
    admin = _login(client, "pbw2-admin@example.org")
    assert post_form(admin, f"/budgets/{process_id}/close").status_code == 302
    counting = admin.get(f"/budgets/{process_id}/results")
    assert counting.status_code == 202 and "being counted" in counting.get_data(as_text=True)
    assert len(dispatched) == 1
    from agora import jobs

    jobs.run_job(app, dispatched[0])  # what the worker does
    page = admin.get(f"/budgets/{process_id}/results")
    assert page.status_code == 200 and "Park" in page.get_data(as_text=True)
    with app.test_request_context():
        heading = db.session.get(BudgetHeading, city_id)
        assert heading.result == services.count_heading(heading)  # the same as counting now
        assert set(heading.result["selected"]) == {str(park), str(lights)}
        assert db.session.scalar(select(Job.status).where(Job.id == dispatched[0])) == "done"
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(process_id))
                                     .where(AuditEntry.action.like("budget.%"))).all()
        assert "budget.close" in actions and "budget.tally" in actions
