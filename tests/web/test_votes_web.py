"""Vote pages: creating, the no-JavaScript ballot, 403 for ineligible residents, hidden results."""

from __future__ import annotations

from datetime import timedelta

from helpers import PASSWORD, make_user, post_form

from agora.db import db, utcnow
from agora.permissions import Role
from agora.votes import services


def _login(client, email):
    assert post_form(client, "/account/login", {"email": email, "password": PASSWORD}).status_code == 302


def _vote(**over):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    now = utcnow()
    rules = dict(title="Name the new bridge", options=["Dijle", "Vaart", "Ring"], lot_seed=7,
                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1))
    rules.update(over)
    vote = services.create_vote(admin, services.VoteRules(**rules))
    db.session.commit()
    return vote.id, [o.id for o in vote.options]


def test_admin_creates_a_vote_through_the_form(app, client):
    with app.app_context():
        make_user("admin@example.org", roles=[Role.ADMIN])
    _login(client, "admin@example.org")
    assert client.get("/votes/new").status_code == 200
    data = {"title": "Where do we plant trees?", "options": "Park\nSquare\nSchool", "seats": "1", "method": "",
            "stv_rule": "wigm", "overvote_rule": "reject", "skipped_rule": "reject", "tie_break": "",
            "lot_seed": "", "eligibility": "all", "district_id": "",
            "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-08T18:00"}
    response = post_form(client, "/votes/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Instant runoff" in page and "Earlier rounds" in page and "Square" in page
    bad = post_form(client, "/votes/new", {**data, "options": "Park"})
    assert bad.status_code == 400 and "one per line" in bad.get_data(as_text=True)


def test_resident_votes_without_javascript_and_sees_clear_errors(app, client):
    with app.app_context():
        vote_id, (a, b, c) = _vote()
        make_user("rita@example.org", verified=True)
    _login(client, "rita@example.org")
    page = client.get(f"/votes/{vote_id}/ballot").get_data(as_text=True)
    assert f'<select id="rank-{a}" name="rank-{a}">' in page and "How the votes are counted" in page
    refused = post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{a}": "1", f"rank-{b}": "1"})
    assert refused.status_code == 400
    assert "Rank 1 is given to more than one option (Dijle, Vaart)" in refused.get_data(as_text=True)
    gap = post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{a}": "1", f"rank-{c}": "3"})
    assert "Rank 2 is missing" in gap.get_data(as_text=True)
    done = post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{b}": "1", f"rank-{a}": "2"})
    assert done.status_code == 200 and "receipt-code" in done.get_data(as_text=True)
    assert done.headers["Cache-Control"] == "no-store"
    again = post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{a}": "1"})
    assert again.status_code == 302
    assert "You have voted" in client.get(f"/votes/{vote_id}").get_data(as_text=True)


def test_ineligible_residents_get_403(app, client):
    with app.app_context():
        from agora.census.models import District

        make_user("kim@example.org", verified=True, district="Wilsele")
        make_user("noah@example.org")
        heverlee = District(name="Heverlee")
        db.session.add(heverlee)
        db.session.commit()
        vote_id, (a, _b, _c) = _vote(eligibility="district", district_id=heverlee.id)
    for email in ("kim@example.org", "noah@example.org", "admin@example.org"):
        _login(client, email)
        assert client.get(f"/votes/{vote_id}/ballot").status_code == 403
        assert post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{a}": "1"}).status_code == 403
        post_form(client, "/account/logout")


def test_results_hidden_before_close_even_for_admins_then_published(app, client):
    with app.app_context():
        vote_id, (a, b, c) = _vote()
        make_user("rita@example.org", verified=True)
    _login(client, "rita@example.org")
    post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{c}": "1", f"rank-{a}": "2"})
    post_form(client, "/account/logout")
    _login(client, "admin@example.org")
    for suffix in ("results", "cvr.csv", "cvr.toi", "result.json"):
        assert client.get(f"/votes/{vote_id}/{suffix}").status_code == 403, suffix
    assert post_form(client, f"/votes/{vote_id}/close").status_code == 302
    page = client.get(f"/votes/{vote_id}/results").get_data(as_text=True)
    assert "Round 1" in page and "<svg" in page and "python -m voting rank vote-" in page
    assert "Ring" in page.split("winner-list")[1][:200]
    csv_text = client.get(f"/votes/{vote_id}/cvr.csv").get_data(as_text=True)
    receipt = csv_text.splitlines()[2].split(",")[0]  # after the #candidates and header lines
    checked = client.get(f"/votes/{vote_id}/results", query_string={"receipt": receipt}).get_data(as_text=True)
    assert "This ballot is in the count" in checked
    assert client.get(f"/votes/{vote_id}/result.json").get_json()["result"]["winners"] == ["Ring"]


def test_rules_locked_once_open(app, client):
    with app.app_context():
        vote_id, _ids = _vote()
    _login(client, "admin@example.org")
    assert client.get(f"/votes/{vote_id}/edit").status_code == 409


def test_a_large_vote_is_counted_by_a_background_job(app, client, monkeypatch):
    """Above VOTES_BACKGROUND_TALLY_BALLOTS the results page starts a job and says so; the job stores
    the same count the page then shows, and audits it once."""
    from sqlalchemy import func, select

    from agora.audit import AuditEntry
    from agora.jobs import Job

    monkeypatch.setitem(app.config, "VOTES_BACKGROUND_TALLY_BALLOTS", 1)
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")  # the job runs when the request commits
    with app.app_context():
        vote_id, (a, b, c) = _vote()
        for name in ("rita", "jan"):
            make_user(f"{name}@example.org", verified=True)
    for name, first in (("rita", c), ("jan", c)):
        _login(client, f"{name}@example.org")
        post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{first}": "1", f"rank-{a}": "2"})
        post_form(client, "/account/logout")
    _login(client, "admin@example.org")
    assert post_form(client, f"/votes/{vote_id}/close").status_code == 302
    counting = client.get(f"/votes/{vote_id}/results")
    assert counting.status_code == 202 and "2 ballots are being counted" in counting.get_data(as_text=True)
    assert 'http-equiv="refresh"' in counting.get_data(as_text=True)
    page = client.get(f"/votes/{vote_id}/results")
    assert page.status_code == 200 and "Ring" in page.get_data(as_text=True).split("winner-list")[1][:200]
    assert client.get(f"/votes/{vote_id}/result.json").get_json()["result"]["winners"] == ["Ring"]
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "votes.tally"))
        assert job.status == "done" and job.result == {"winners": ["Ring"], "ballots": 2}
        tallies = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "vote.tally")
        assert db.session.scalar(tallies) == 1


def test_result_json_of_a_vote_still_being_counted_says_so(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "VOTES_BACKGROUND_TALLY_BALLOTS", 0)
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    from agora import jobs

    monkeypatch.setattr(jobs, "dispatch", lambda app, job_id: None)  # no worker picks it up here
    with app.app_context():
        vote_id, (a, _b, _c) = _vote()
        make_user("rita@example.org", verified=True)
    _login(client, "rita@example.org")
    post_form(client, f"/votes/{vote_id}/ballot", {f"rank-{a}": "1"})
    post_form(client, "/account/logout")
    _login(client, "admin@example.org")
    post_form(client, f"/votes/{vote_id}/close")
    response = client.get(f"/votes/{vote_id}/result.json")
    assert response.status_code == 202 and response.get_json()["status"] == "counting"
    assert response.headers["Retry-After"] == "5"
    client.get(f"/votes/{vote_id}/results")  # a second look does not queue a second count
    with app.app_context():
        from sqlalchemy import func, select

        assert db.session.scalar(select(func.count()).select_from(jobs.Job)) == 1
