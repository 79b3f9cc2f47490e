"""Proposals, debates, comments and moderation through the test client: every state change, the security points."""

from __future__ import annotations

import re

import pytest
from helpers import Auth, make_user, post_form, tiny_png
from sqlalchemy import func, select

from agora.comments.models import Comment
from agora.db import db, unit_of_work
from agora.debates import services as debates
from agora.moderation import services as moderation
from agora.moderation.models import UserBlock
from agora.permissions import Role
from agora.proposals.models import Proposal, ProposalStatus, ProposalSupport

XSS_TITLE = '<script>alert("t")</script>Trees'
XSS_BODY = 'Hello <img src=x onerror=alert(1)> [click](javascript:alert(2)) <script>alert(3)</script>'


@pytest.fixture(autouse=True)
def _config(app):
    saved = dict(app.config)
    app.config.update(PROPOSALS_SUPPORT_THRESHOLD=2, DEBATES_MIN_ACCOUNT_AGE_DAYS=0)
    yield
    app.config.update(saved)


def login(client, email):
    assert Auth(client).login(email).status_code == 302


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def user_id(app, email, **kw) -> int:
    with app.app_context():
        return make_user(email, **kw).id


def get(app, model, id_):
    """A fresh copy of a row, read in its own app context (requests get theirs, as on a real server)."""
    with app.app_context():
        obj = db.session.get(model, id_)
        db.session.expunge(obj)
        return obj


def as_user(app, uid):
    from agora.accounts.models import User

    return db.session.get(User, uid)


def new_proposal(client, **data):
    form = {"title": "More trees on the square", "summary": "Plant twenty trees for shade",
            "body": "A longer text with **bold** words.", "district_id": "", "tags": "green", "publish": "Publish"}
    form.update(data)
    return post_form(client, "/proposals/new", form)


def assert_no_live_script(html: str) -> None:
    assert "<script>alert" not in html and "<img" not in html
    assert 'href="javascript:' not in html


def a_proposal(app, author_id, title="Benches", **kw) -> int:
    from agora.proposals import services

    with app.app_context(), unit_of_work():
        return services.create_proposal(as_user(app, author_id), title=title, summary="More benches please",
                                        body="Older people need rest.", publish=True, **kw).id


def a_debate(app, author_id, title="Car-free centre?") -> int:
    with app.app_context(), unit_of_work():
        return debates.create_debate(as_user(app, author_id), title=title, body="What do you think of it?").id


def a_comment(app, author_id, debate_id, body) -> int:
    from agora.comments import services as comments

    with app.app_context(), unit_of_work():
        return comments.add_comment(as_user(app, author_id), "debates", debate_id, body=body).id


def act(app, fn, mod_id, *args, **kw):
    with app.app_context(), unit_of_work():
        return fn(as_user(app, mod_id), *args, **kw)


def test_submit_preview_draft_publish_and_xss_is_inert(app, client):
    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")
    assert client.get("/proposals/new").status_code == 200
    preview = new_proposal(client, title=XSS_TITLE, body=XSS_BODY, publish="", preview="Preview")
    assert preview.status_code == 200 and count(app, Proposal) == 0
    html = preview.get_data(as_text=True)
    assert "Nothing is saved yet" in html and "&lt;script&gt;" in html
    assert_no_live_script(html)
    draft = new_proposal(client, title=XSS_TITLE, body=XSS_BODY, publish="", save_draft="Save as draft")
    assert draft.status_code == 302
    with app.app_context():
        pid = db.session.scalars(select(Proposal.id)).one()
    assert get(app, Proposal, pid).status == ProposalStatus.DRAFT
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert_no_live_script(page)
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;Trees" in page
    other = app.test_client()  # drafts are the author's alone
    assert other.get(f"/proposals/{pid}").status_code == 404
    assert post_form(client, f"/proposals/{pid}/publish").status_code == 302
    assert get(app, Proposal, pid).status == ProposalStatus.PUBLISHED
    listing = other.get("/proposals/").get_data(as_text=True)
    assert "Trees" in listing
    assert_no_live_script(listing)
    feed = other.get("/proposals/feed.atom")
    assert feed.content_type.startswith("application/atom+xml")
    assert "<script>" not in feed.get_data(as_text=True)


def test_form_errors_name_the_field(app, client):
    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")
    response = new_proposal(client, tags="ok, <b>bad</b>")
    assert response.status_code == 200 and count(app, Proposal) == 0
    assert re.search(r'id="tags-error"[^>]*>Tags are words', response.get_data(as_text=True))


def test_unverified_resident_is_told_to_verify(app, client):
    user_id(app, "rita@example.org")
    login(client, "rita@example.org")
    assert "Only verified residents" in client.get("/proposals/new").get_data(as_text=True)
    assert new_proposal(client).status_code == 403 and count(app, Proposal) == 0


def test_support_twice_is_a_clean_message_and_threshold_reached(app, client):
    rita = user_id(app, "rita@example.org", verified=True)
    pid = a_proposal(app, rita)
    user_id(app, "bob@example.org", verified=True)
    login(client, "bob@example.org")
    first = post_form(client, f"/proposals/{pid}/support", follow_redirects=True)
    assert "Thank you for your support" in first.get_data(as_text=True)
    second = post_form(client, f"/proposals/{pid}/support", follow_redirects=True)
    assert second.status_code == 200
    assert "You have already supported this proposal" in second.get_data(as_text=True)
    assert count(app, ProposalSupport) == 1
    assert client.post(f"/proposals/{pid}/support").status_code == 400  # no CSRF token: refused
    rita_client = app.test_client()
    login(rita_client, "rita@example.org")
    reached = post_form(rita_client, f"/proposals/{pid}/support", follow_redirects=True)
    assert "reached its support threshold" in reached.get_data(as_text=True)
    assert get(app, Proposal, pid).status == ProposalStatus.SUCCESSFUL


def test_edit_retire_and_follow(app, client):
    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")
    new_proposal(client)
    with app.app_context():
        pid = db.session.scalars(select(Proposal.id)).one()
    assert client.get(f"/proposals/{pid}/edit").status_code == 200
    edited = post_form(client, f"/proposals/{pid}/edit", {
        "title": "Even more trees", "summary": "Plant thirty trees now", "body": "Longer body text here.",
        "district_id": "", "tags": "green, shade", "publish": "Publish"})
    assert edited.status_code == 302
    with app.app_context():
        proposal = db.session.get(Proposal, pid)
        assert proposal.title == "Even more trees" and proposal.tags == ["green", "shade"]
    assert post_form(client, f"/proposals/{pid}/follow", {"stop": "1"}).status_code == 302
    assert post_form(client, f"/proposals/{pid}/follow").status_code == 302
    retired = post_form(client, f"/proposals/{pid}/retire", {"reason": "done", "explanation": "Planted"},
                        follow_redirects=True)
    assert "It is done" in retired.get_data(as_text=True)
    assert get(app, Proposal, pid).status == ProposalStatus.RETIRED
    bob = app.test_client()
    user_id(app, "bob@example.org", verified=True)
    login(bob, "bob@example.org")
    assert bob.get(f"/proposals/{pid}/edit").status_code == 403


def test_listing_search_and_filters_render(app, client):
    rita = user_id(app, "rita@example.org", verified=True)
    a_proposal(app, rita, title="Bike lanes on the ring", tags="mobility")
    a_proposal(app, rita, title="A new library", tags="mobility")
    page = client.get("/proposals/?q=bike&sort=hot&status=active&tag=mobility&district=city").get_data(as_text=True)
    assert "Bike lanes on the ring" in page and "A new library" not in page
    assert page.count('<a class="tag" href="/proposals/?tag=mobility">mobility</a>') == 1  # the card's tag link
    assert client.get("/proposals/?sort=evil&status=evil&page=99").status_code == 200


def test_listing_search_box_shows_each_search_text_escaped(app, client):
    """The filter form is cached once for every search text; the text itself goes in escaped, per request."""
    first = client.get("/proposals/?q=bike+lanes").get_data(as_text=True)
    assert 'name="q" value="bike lanes"' in first
    evil = client.get('/proposals/?q="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in evil
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in evil
    plain = client.get("/proposals/").get_data(as_text=True)
    assert 'name="q" value=""' in plain and "\x00" not in plain


def test_listing_district_menu_lists_every_district_and_marks_the_chosen_one(app, client):
    from agora.census.models import District
    from agora.db import db

    with app.app_context():
        db.session.add_all([District(name="Kessel-Lo"), District(name="Heverlee")])
        db.session.commit()
        kessel = db.session.query(District).filter_by(name="Kessel-Lo").one().id
    page = client.get(f"/proposals/?district={kessel}").get_data(as_text=True)
    assert f'<option value="{kessel}" selected>Kessel-Lo</option>' in page
    assert ">Heverlee</option>" in page


def test_comment_reply_vote_edit_history_through_the_web(app, client):
    rita = user_id(app, "rita@example.org", verified=True, name="Rita")
    user_id(app, "bob@example.org", verified=True, name="Bob")
    did = a_debate(app, rita)
    login(client, "bob@example.org")
    response = post_form(client, f"/comments/debates/{did}", {"body": XSS_BODY, "stance": "against"})
    assert response.status_code == 302
    with app.app_context():
        cid = db.session.scalars(select(Comment.id)).one()
    page = client.get(f"/debates/{did}").get_data(as_text=True)
    assert_no_live_script(page)
    assert "Against: 1" in page
    rita_client = app.test_client()
    login(rita_client, "rita@example.org")
    reply = post_form(rita_client, f"/comments/debates/{did}", {"body": "Why against?", "parent_id": str(cid)})
    assert reply.status_code == 302 and count(app, Comment, Comment.parent_id == cid) == 1
    assert post_form(rita_client, f"/comments/{cid}/vote", {"value": "up"}).status_code == 302
    assert get(app, Comment, cid).upvotes == 1
    assert post_form(client, f"/comments/{cid}/edit", {"body": "Calmer words"}).status_code == 302
    history = client.get(f"/comments/{cid}/history").get_data(as_text=True)
    assert "Calmer words" in history and "&lt;script&gt;" in history
    assert_no_live_script(history)
    assert rita_client.get(f"/comments/{cid}/edit").status_code == 403
    empty = post_form(client, f"/comments/debates/{did}", {"body": ""}, follow_redirects=True)
    assert "Write a comment first" in empty.get_data(as_text=True)


def test_blocked_user_cannot_post_and_sees_the_reason(app, client):
    rita = user_id(app, "rita@example.org", verified=True)
    mod = user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    did = a_debate(app, mod, title="Parking rules")
    act(app, moderation.block_users, mod, [rita], reason="Spam links")
    login(client, "rita@example.org")
    page = client.get(f"/debates/{did}").get_data(as_text=True)
    assert "Spam links" in page and 'name="body"' not in page
    response = post_form(client, f"/comments/debates/{did}", {"body": "Still here"}, follow_redirects=True)
    assert "Spam links" in response.get_data(as_text=True)
    assert new_proposal(client).status_code == 403
    assert post_form(client, "/debates/new", {"title": "A debate", "body": "Some long body"}).status_code == 403
    assert count(app, Comment) == 0 and count(app, Proposal) == 0


def test_hidden_content_is_not_in_listings_search_or_feed(app, client):
    rita = user_id(app, "rita@example.org", verified=True)
    mod = user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    pid = a_proposal(app, rita, title="Zebra crossing spam")
    did = a_debate(app, rita, title="Zebra debate spam")
    cid = a_comment(app, rita, did, "Zebra comment spam")
    act(app, moderation.moderate, mod, "hide", "proposals", [pid], reason="Spam")
    act(app, moderation.moderate, mod, "hide", "comments", [cid], reason="Spam")
    for url in ("/proposals/", "/proposals/?q=zebra", "/proposals/feed.atom", "/proposals/?status=active&q=spam"):
        assert "Zebra crossing" not in client.get(url).get_data(as_text=True), url
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Hidden by a moderator" in page and "Zebra crossing" not in page
    thread = client.get(f"/debates/{did}").get_data(as_text=True)
    assert "Hidden by a moderator" in thread and "Zebra comment" not in thread
    act(app, moderation.moderate, mod, "hide", "debates", [did], reason="Spam")
    assert "Zebra debate" not in client.get("/debates/").get_data(as_text=True)


def test_flag_queue_bulk_hide_and_block_through_the_web(app, client):
    rita = user_id(app, "rita@example.org", verified=True, name="Rita")
    user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    did = a_debate(app, rita, title="Parking rules")
    cid = a_comment(app, rita, did, "Rude words")
    flagger = app.test_client()
    user_id(app, "ann@example.org")
    login(flagger, "ann@example.org")
    flagged = post_form(flagger, f"/moderation/flag/comments/{cid}", {"reason": "offensive"}, follow_redirects=True)
    assert "moderators will review" in flagged.get_data(as_text=True)
    again = post_form(flagger, f"/moderation/flag/comments/{cid}", {"reason": "spam"}, follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)
    assert flagger.get("/moderation/").status_code == 403
    login(client, "mod@example.org")
    queue = client.get("/moderation/?type=comments").get_data(as_text=True)
    assert "Rude words" in queue and "Offensive or abusive: 1" in queue
    no_reason = post_form(client, "/moderation/bulk/comments", {"action": "hide", "ids": [str(cid)]},
                          follow_redirects=True)
    assert "Give a reason" in no_reason.get_data(as_text=True)
    done = post_form(client, "/moderation/bulk/comments", {"action": "hide", "reason": "Insults", "ids": [str(cid)]},
                     follow_redirects=True)
    assert "1 item" in done.get_data(as_text=True)
    comment = get(app, Comment, cid)
    assert comment.is_hidden and comment.hidden_reason == "Insults"
    assert client.get(f"/moderation/users/{rita}/block").status_code == 200
    blocked = post_form(client, f"/moderation/users/{rita}/block", {"reason": "Repeated insults"},
                        follow_redirects=True)
    assert "Repeated insults" in blocked.get_data(as_text=True)
    assert count(app, UserBlock) == 1
    locked = post_form(client, f"/moderation/debates/{did}/lock", {"reason": "Heated"}, follow_redirects=True)
    assert "closed to new comments" in locked.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/proposals/", "/debates/", "/proposals/new", "/debates/new"])
def test_pages_render_for_a_verified_resident(app, client, url):
    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")
    assert client.get(url).status_code == 200


def test_moderator_hides_directly_and_debates_can_be_followed(app, client):
    rita = user_id(app, "rita@example.org", verified=True)
    user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    did = a_debate(app, rita, title="Parking rules")
    cid = a_comment(app, rita, did, "Unflagged but rude")
    login(client, "mod@example.org")
    page = client.get(f"/debates/{did}").get_data(as_text=True)
    assert f"/moderation/hide/comments/{cid}" in page
    assert client.get(f"/moderation/hide/comments/{cid}").status_code == 200
    done = post_form(client, f"/moderation/hide/comments/{cid}", {"reason": "Rude"}, follow_redirects=True)
    assert "Hidden by a moderator. Reason: Rude" in done.get_data(as_text=True)
    followed = post_form(client, f"/debates/{did}/follow", follow_redirects=True)
    assert "You follow this debate" in followed.get_data(as_text=True)


def test_posting_is_rate_limited_per_account(app, client):
    app.config["RATELIMIT_POSTING"] = "2 per minute"
    rita = user_id(app, "rita@example.org", verified=True)
    did = a_debate(app, rita)
    login(client, "rita@example.org")
    responses = [post_form(client, f"/comments/debates/{did}", {"body": f"Comment {i}"}) for i in range(3)]
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert count(app, Comment) == 2
    refused = responses[2]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "too many attempts" in refused.get_data(as_text=True)


def test_posting_limits_count_posts_only(app, client):
    # Opening the form to write a proposal is not posting: only the POST counts against the limit.
    app.config["RATELIMIT_POSTING"] = "1 per minute"
    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")
    assert [client.get("/proposals/new").status_code for _ in range(3)] == [200, 200, 200]
    # An invalid draft is still a post: it counts (the form again, 200), and the next one is refused.
    assert [post_form(client, "/proposals/new", {"title": ""}).status_code for _ in range(2)] == [200, 429]


def test_posting_is_rate_limited_per_address_across_accounts(app, client):
    # The per-address limit is its own: a second account on the same address does not start afresh.
    app.config["RATELIMIT_POSTING"] = "2 per minute"
    rita = user_id(app, "rita@example.org", verified=True)
    user_id(app, "tom@example.org", verified=True)
    did = a_debate(app, rita)
    login(client, "rita@example.org")
    assert post_form(client, f"/comments/debates/{did}", {"body": "First"}).status_code == 302
    Auth(client).logout()
    login(client, "tom@example.org")
    codes = [post_form(client, f"/comments/debates/{did}", {"body": f"Comment {i}"}).status_code for i in range(2)]
    assert codes == [302, 429]
    assert count(app, Comment) == 2


PNG = tiny_png()
PDF = b"%PDF-1.7\n" + b"0" * 100


def test_attachments_checked_by_content_and_size_and_served_safely(app, client):
    import io

    from agora.proposals.models import ProposalAttachment

    user_id(app, "rita@example.org", verified=True)
    login(client, "rita@example.org")

    def submit_with(*files):
        data = {"title": "Trees with pictures", "summary": "Plant twenty trees for shade", "body": "Body text here.",
                "district_id": "", "tags": "", "publish": "Publish",
                "attachments": [(io.BytesIO(content), name) for name, content in files]}
        return post_form(client, "/proposals/new", data, content_type="multipart/form-data")

    fake = submit_with(("photo.png", b"<html><script>alert(1)</script></html>"))
    assert fake.status_code == 200 and "is not a PNG, JPEG or WebP image nor a PDF" in fake.get_data(as_text=True)
    app.config["PROPOSALS_MAX_IMAGE_BYTES"] = 50
    big = submit_with(("photo.png", PNG))
    assert "photo.png is larger than" in big.get_data(as_text=True)
    app.config["PROPOSALS_MAX_IMAGE_BYTES"] = 1024 * 1024
    many = submit_with(*[(f"p{i}.png", PNG) for i in range(4)])
    assert "at most 3 attachments" in many.get_data(as_text=True)
    assert count(app, Proposal) == 0 and count(app, ProposalAttachment) == 0  # all or nothing

    ok = submit_with(("../../etc/photo.png", PNG), ("plan.pdf", PDF))
    assert ok.status_code == 302
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "etc_photo.png" in page and "plan.pdf" in page
    with app.app_context():
        image, pdf = db.session.scalars(select(ProposalAttachment).order_by(ProposalAttachment.id)).all()
        image_url, pdf_url, pid = (f"/proposals/attachments/{image.id}/x", f"/proposals/attachments/{pdf.id}/x",
                                   image.proposal_id)
    shown = client.get(image_url)
    assert shown.data == PNG and shown.content_type == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    downloaded = client.get(pdf_url)
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    mod = user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    act(app, moderation.moderate, mod, "hide", "proposals", [pid], reason="Spam")
    assert app.test_client().get(image_url).status_code == 404


def test_cached_listing_forgets_a_proposal_as_soon_as_it_is_hidden(app, client):
    """The listing's micro-cache is emptied by any change to proposals in this process."""
    rita = user_id(app, "rita@example.org", verified=True)
    mod = user_id(app, "mod@example.org", roles=[Role.MODERATOR])
    pid = a_proposal(app, rita, title="Quiet square at night")
    assert app.config["PROPOSALS_LISTING_CACHE_SECONDS"] > 0
    for url in ("/proposals/", "/proposals/?sort=hot"):
        assert "Quiet square at night" in client.get(url).get_data(as_text=True)
    act(app, moderation.moderate, mod, "hide", "proposals", [pid], reason="Spam")
    for url in ("/proposals/", "/proposals/?sort=hot"):
        assert "Quiet square at night" not in client.get(url).get_data(as_text=True), url


def test_cached_listing_is_served_again_within_its_time_to_live(app, client):
    from agora.proposals import listing_cache

    rita = user_id(app, "rita@example.org", verified=True)
    a_proposal(app, rita, title="Benches by the river")
    assert "Benches by the river" in client.get("/proposals/").get_data(as_text=True)
    # The first view filled the cache: its results, and its filter form (keyed "filters").
    results = [key for key in listing_cache._entries if "filters" not in key]
    assert len(results) == 1 and len(listing_cache._entries) == 2, "the first view filled the cache"
    # Within the time-to-live the stored fragment is served as is (marked here to tell it apart).
    key = results[0]
    expires, html = listing_cache._entries[key]
    listing_cache._entries[key] = (expires, html.replace("Benches by the river", "From the cache"))
    assert "From the cache" in client.get("/proposals/").get_data(as_text=True)
    # Once it expires the listing is rendered afresh.
    listing_cache._entries[key] = (0.0, listing_cache._entries[key][1])
    assert "Benches by the river" in client.get("/proposals/").get_data(as_text=True)


def test_written_out_comment_form_keeps_the_forms_limits(app, client):
    """The thread's comment form is written in the template, not rendered by WTForms: its textarea must still
    carry CommentForm's length limit and required flag."""
    from wtforms.validators import Length

    from agora.comments.forms import CommentForm

    rita = user_id(app, "rita@example.org", verified=True)
    pid = a_proposal(app, rita)
    login(client, "rita@example.org")
    html = client.get(f"/proposals/{pid}").get_data(as_text=True)
    textarea = re.search(r'<textarea [^>]*id="body"[^>]*>', html).group(0)
    maximum = next(v.max for v in CommentForm.body.kwargs["validators"] if isinstance(v, Length))
    assert f'maxlength="{maximum}"' in textarea
    assert " required" in textarea
    assert 'name="submit"' in html and 'name="csrf_token"' in html
