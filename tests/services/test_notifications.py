"""Follows and notifications: one follow per person, messages in each follower's language."""

from __future__ import annotations

from flask_babel import gettext as _
from helpers import make_user, post_form
from sqlalchemy import func, select

from agora.db import db, unit_of_work
from agora.notifications import services
from agora.notifications.models import Follow, Notification


def test_follow_is_unique_and_notifications_are_translated(ctx):
    dutch, english, author = make_user("nl@example.org", locale="nl"), make_user("en@example.org"), make_user("a@x.org")
    with unit_of_work():
        assert services.follow(dutch, "thing", 7)
        assert not services.follow(dutch, "thing", 7)  # a second click changes nothing
        assert services.follow(english, "thing", 7)
        assert services.follow(author, "thing", 7)
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 3
    with unit_of_work():
        sent = services.notify_followers("thing", 7, "test", lambda: _("Language changed."), "/x", exclude=author)
    assert sent == 2
    messages = dict(db.session.execute(select(Notification.user_id, Notification.message)).all())
    assert messages == {dutch.id: "Taal gewijzigd.", english.id: "Language changed."}
    assert services.unread_count(dutch) == 1
    with unit_of_work():
        services.mark_all_read(dutch)
    assert services.unread_count(dutch) == 0 and services.unread_count(english) == 1
    with unit_of_work():
        assert services.unfollow(english, "thing", 7)
    assert [u.id for u in services.followers("thing", 7)] == sorted([dutch.id, author.id])


def test_notifications_page_and_badge(app, client):
    with app.test_request_context():
        user = make_user("rita@example.org")
        with unit_of_work():
            services.notify([user], "test", lambda: "Your <b>proposal</b> is successful", "/somewhere")
    post_form(client, "/account/login", {"email": "rita@example.org", "password": "correct horse battery"})
    home = client.get("/").get_data(as_text=True)
    assert 'class="badge">1' in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Your &lt;b&gt;proposal&lt;/b&gt; is successful" in page
    post_form(client, "/notifications/read")
    assert 'class="badge"' not in client.get("/").get_data(as_text=True)


def test_the_count_read_with_the_user_follows_changes_in_the_same_request(ctx):
    """The header's count comes with the signed-in user (one query fewer per page); a notification or
    "mark all read" later in the same request must not leave it stale."""
    user = make_user("rita@example.org")
    services.remember_unread_count(user, 0)
    with unit_of_work():
        services.notify([user], "test", lambda: "Hello", "/x")
    assert services.unread_count(user) == 1
    services.remember_unread_count(user, 1)
    with unit_of_work():
        services.mark_all_read(user)
    assert services.unread_count(user) == 0
