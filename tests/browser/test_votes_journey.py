"""Ranked vote in a real browser: keyboard ranking (JavaScript) and the plain form (no JavaScript),
the vote closes, the results show rounds and the chart, and the exported .toi recounts the same."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import assert_accessible
from conftest import log_in as _login
from helpers import make_user

pytestmark = pytest.mark.browser



def test_rank_with_keyboard_and_without_javascript_then_results(live_server, page, browser, tmp_path):
    base, app = live_server
    from agora.db import db, utcnow
    from agora.permissions import Role
    from agora.votes import services

    with app.app_context():
        admin = make_user("vote-admin@example.org", roles=[Role.ADMIN])
        make_user("vote-rita@example.org", verified=True, district="Heverlee")
        make_user("vote-bob@example.org", verified=True, district="Heverlee")
        now = utcnow()
        vote = services.create_vote(admin, services.VoteRules(
            title="Name the new footbridge", options=["Dijle", "Vaart", "Ring"], lot_seed=11,
            opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=1)))
        db.session.commit()
        vote_id = vote.id

    # Rita ranks with the keyboard: the enhanced list with buttons.
    _login(page, base, "vote-rita@example.org")
    page.goto(f"{base}/votes/{vote_id}/ballot")
    page.get_by_role("heading", name="Your ranking").wait_for()
    assert_accessible(page, "ballot page")
    for name in ("Vaart", "Ring", "Dijle"):
        page.get_by_role("button", name=f"Add to ranking: {name}").focus()
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Move up: Dijle").focus()
    page.keyboard.press("Enter")  # Vaart, Dijle, Ring
    assert page.locator(".ranked-list .ranked-label").all_inner_texts() == ["Vaart", "Dijle", "Ring"]
    assert page.get_by_role("button", name="Move up: Dijle").evaluate("b => b === document.activeElement")
    page.get_by_role("button", name="Cast my ballot").click()
    receipt = page.locator("#receipt-code").inner_text()
    assert len(receipt) == 19

    # Bob uses the plain form, without JavaScript; a shared rank is refused with a clear message.
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    plain = context.new_page()
    _login(plain, base, "vote-bob@example.org")
    plain.goto(f"{base}/votes/{vote_id}/ballot")
    plain.get_by_label("Ring").select_option("1")
    plain.get_by_label("Dijle").select_option("1")
    plain.get_by_role("button", name="Cast my ballot").click()
    assert "Rank 1 is given to more than one option" in plain.get_by_role("alert").inner_text()
    plain.get_by_label("Dijle").select_option("2")
    plain.get_by_role("button", name="Cast my ballot").click()
    plain.locator("#receipt-code").wait_for()
    context.close()

    # Results are hidden until the vote closes.
    assert page.goto(f"{base}/votes/{vote_id}/results").status == 403
    with app.app_context():
        from agora.votes.models import Vote

        db.session.get(Vote, vote_id).closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page.goto(f"{base}/votes/{vote_id}/results")
    page.get_by_role("heading", name="Round by round").wait_for()
    assert page.locator(".rounds-table th", has_text="Round 1").count() == 1
    assert page.locator("svg.round-chart").count() >= 1
    assert_accessible(page, "results page")
    page.get_by_label("Receipt code").fill(receipt.lower())
    page.get_by_role("button", name="Check").click()
    assert "Vaart" in page.get_by_role("status").last.inner_text()

    # The published .toi, recounted by the command shown on the page, gives the same winners.
    toi = page.request.get(f"{base}/votes/{vote_id}/cvr.toi").text()
    result = page.request.get(f"{base}/votes/{vote_id}/result.json").json()
    command = page.locator("#recount-command").inner_text().split()
    (tmp_path / command[4]).write_text(toi)
    run = subprocess.run([sys.executable, *command[1:], "--json"], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert json.loads(run.stdout)["winners"] == result["result"]["winners"]
