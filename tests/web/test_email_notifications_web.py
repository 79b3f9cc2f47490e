"""Notifications by e-mail: sent (to the outbox, and by SMTP when configured) when the site mails,
in plain text and the recipient's language, to confirmed addresses that keep the setting on; never
for a rolled-back change; the setting is on the account page."""

from __future__ import annotations

import pytest
from helpers import Auth, make_user, post_form
from sqlalchemy import select

from agora.accounts.models import OutboxMessage, User
from agora.db import db, unit_of_work
from agora.notifications import services as notifications
from agora.proposals import services as proposals


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=1, MAIL_NOTIFICATIONS=True)
    yield
    app.config.update(saved)


def mails(to: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == to)
                                   .order_by(OutboxMessage.id)))


def proposal_by(author):
    with unit_of_work():
        return proposals.create_proposal(author, title="Trees on the square", summary="Shade for everyone",
                                         body="Plant twenty trees on the square.", publish=True)


def test_followers_are_mailed_in_their_language_with_an_absolute_link(ctx):
    rita = make_user("rita@example.org", name="Rita", verified=True, locale="fr")
    sam = make_user("sam@example.org", name="Sam", verified=True, locale="nl")
    proposal = proposal_by(rita)
    with unit_of_work():
        proposals.support_proposal(sam, proposal.id)  # successful: followers (Rita and Sam) are told
    (french,) = mails("rita@example.org")
    assert "La proposition « Trees on the square » a atteint son seuil de soutiens." in french.subject
    assert french.body.startswith("Bonjour Rita,")
    assert f"http://localhost/proposals/{proposal.id}" in french.body
    assert "http://localhost/account/settings" in french.body
    assert "<" not in french.body  # plain text
    (dutch,) = mails("sam@example.org")
    assert "Het voorstel “Trees on the square” heeft zijn steundrempel bereikt." in dutch.subject
    assert dutch.body.startswith("Hallo Sam,")


def test_no_mail_when_opted_out_unconfirmed_or_the_site_does_not_mail(ctx, app):
    rita = make_user("rita@example.org", verified=True)
    quiet = make_user("quiet@example.org", verified=True)
    unconfirmed = make_user("new@example.org", confirmed=False)
    with unit_of_work():
        from agora.accounts.services import set_email_notifications

        set_email_notifications(quiet, False)
    proposal = proposal_by(rita)
    with unit_of_work():
        for user in (quiet, unconfirmed):
            notifications.follow(user, "proposals", proposal.id)
    with unit_of_work():
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Something happened", "/x")
    assert len(mails("rita@example.org")) == 1
    assert mails("quiet@example.org") == [] and mails("new@example.org") == []
    # Everyone still has the in-app notification.
    assert all(notifications.unread_count(u) == 1 for u in (rita, quiet, unconfirmed))
    app.config.update(MAIL_NOTIFICATIONS=None, MAIL_SERVER=None)  # default: mail only when a server is set
    assert not notifications.mail_enabled()
    with unit_of_work():
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Something else", "/x")
    assert len(mails("rita@example.org")) == 1
    app.config.update(MAIL_SERVER="smtp.example.org")
    assert notifications.mail_enabled()


def test_rolled_back_change_mails_nobody(ctx):
    rita = make_user("rita@example.org", verified=True)
    proposal = proposal_by(rita)

    def failing_change():
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Never sent", "/x")
        raise RuntimeError("the change fails after notifying")

    with pytest.raises(RuntimeError), unit_of_work():
        failing_change()
    assert mails("rita@example.org") == []


def test_setting_on_the_account_page(app, client):
    with app.app_context():
        make_user("rita@example.org", verified=True)
    Auth(client).login("rita@example.org")
    page = client.get("/account/settings").get_data(as_text=True)
    assert "Notifications by e-mail" in page and 'name="enabled"' in page and "checked" in page
    post_form(client, "/account/notifications", {})  # unchecked box: off
    with app.app_context():
        assert db.session.scalar(select(User.email_notifications).where(User.email == "rita@example.org")) is False
    assert "checked" not in client.get("/account/settings").get_data(as_text=True).split("mail-heading")[1][:900]
    post_form(client, "/account/notifications", {"enabled": "y"})
    with app.app_context():
        assert db.session.scalar(select(User.email_notifications).where(User.email == "rita@example.org")) is True
    assert client.post("/account/notifications", data={}).status_code == 400  # no CSRF token
    Auth(client).logout()
    response = post_form(client, "/account/notifications", {"enabled": ""})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what it was given; ``down`` makes connecting fail."""

    down = False
    delivered: list = []  # noqa: RUF012 - shared on purpose: the job's thread makes its own instance
    connections = 0

    def __init__(self, host, port, timeout=None):  # noqa: ARG002
        if FakeSMTP.down:
            raise ConnectionRefusedError(f"{host}:{port} refused the connection")
        FakeSMTP.connections += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.delivered.append((message["To"], message["Subject"]))

    def close(self):
        pass


@pytest.fixture
def smtp(app, monkeypatch):
    from agora import mail

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.down, FakeSMTP.delivered, FakeSMTP.connections = False, [], 0
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_NOTIFICATIONS=True)
    return FakeSMTP


def followers_of_a_proposal(n: int):
    author = make_user("rita@example.org", verified=True)
    proposal = proposal_by(author)
    with unit_of_work():
        for i in range(n):
            notifications.follow(make_user(f"f{i}@example.org", verified=True), "proposals", proposal.id)
    return proposal


def test_mail_goes_out_by_a_background_job_over_one_connection(ctx, smtp):
    from agora import jobs

    proposal = followers_of_a_proposal(5)
    with unit_of_work():
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Something happened", "/x")
    jobs.wait_for_threads(timeout=30)
    assert sorted(to for to, _subject in smtp.delivered) == sorted(
        ["rita@example.org", *(f"f{i}@example.org" for i in range(5))])
    assert smtp.connections == 1
    assert all(m.sent_at is not None for m in db.session.scalars(select(OutboxMessage)))
    job = db.session.scalar(select(jobs.Job).where(jobs.Job.kind == "mail.deliver"))
    assert job.status == jobs.DONE and job.result == {"sent": 6, "failed": 0}


def test_mail_kept_when_the_server_is_down_and_sent_later_from_the_command_line(app, ctx, smtp):
    from agora import jobs

    proposal = followers_of_a_proposal(2)
    smtp.down = True
    with unit_of_work():
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Something happened", "/x")
    jobs.wait_for_threads(timeout=30)
    assert smtp.delivered == []
    assert len(list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))))) == 3
    db.session.remove()
    smtp.down = False
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "3 sent, 0 still pending" in result.output
    assert len(smtp.delivered) == 3


def test_a_released_savepoint_does_not_dispatch_the_mail_before_the_action_commits(ctx, smtp, monkeypatch):
    """SQLAlchemy runs its commit hooks when a savepoint is released too: dispatched then, the job would look
    for a row not committed yet and never run (PostgreSQL), or mail for an action that then fails."""
    from agora import jobs

    committed_at_dispatch = []
    dispatch = jobs.dispatch

    def spy(app, job_id):
        with db.engine.connect() as other:  # what another process would see
            committed_at_dispatch.append(other.execute(select(jobs.Job.id).where(jobs.Job.id == job_id)).first()
                                         is not None)
        dispatch(app, job_id)

    monkeypatch.setattr(jobs, "dispatch", spy)
    proposal = followers_of_a_proposal(1)
    late, later = make_user("late@example.org"), make_user("later@example.org")

    def notify_then_savepoint(follower, *, then_fail: bool = False):
        notifications.notify_followers("proposals", proposal.id, "test", lambda: "Something happened", "/x")
        with db.session.begin_nested():
            notifications.follow(follower, "proposals", proposal.id)
        if then_fail:
            raise RuntimeError("the action fails after its savepoint")

    with unit_of_work():
        notify_then_savepoint(late)
    jobs.wait_for_threads(timeout=30)
    assert committed_at_dispatch == [True]
    assert sorted(to for to, _subject in smtp.delivered) == ["f0@example.org", "rita@example.org"]
    smtp.delivered.clear()
    with pytest.raises(RuntimeError), unit_of_work():
        notify_then_savepoint(later, then_fail=True)
    jobs.wait_for_threads(timeout=30)
    assert smtp.delivered == [] and committed_at_dispatch == [True]
