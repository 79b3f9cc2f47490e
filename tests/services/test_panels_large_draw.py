"""A 2,000-person pool with 6 categories drawn through the background job runner, with progress recorded."""

from __future__ import annotations

import os
import time

import pytest
from helpers import make_user
from panels_helpers import FEATURES, feature_text, pool_csv, proportional_quotas

from agora import jobs
from agora.db import db, unit_of_work
from agora.panels import services
from agora.panels.models import Panel
from agora.permissions import Role

# LEXIMIN by default; PANELS_LARGE_DRAW_METHOD=maximin (or nash, legacy) to compare.
METHOD = os.environ.get("PANELS_LARGE_DRAW_METHOD", "leximin")


def test_2000_person_pool_with_6_categories_draws_in_the_background(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    panel = services.create_panel(clerk, services.PanelData(title="City-wide panel", size=60,
                                                            features=feature_text(list(FEATURES))))
    services.import_respondents(clerk, panel, pool_csv(2000, seed=2026))
    db.session.commit()
    services.set_quotas(clerk, panel, proportional_quotas(panel, slack=0.2))
    assert services.check_feasibility(clerk, panel).feasible
    services.publish_commitment(clerk, panel, method=METHOD, alternates=60)
    db.session.commit()
    assert len(panel.features) == 6 and services.pool_size(panel) == 2000

    started = time.perf_counter()
    with unit_of_work():
        job_id = services.enter_seed(clerk, panel, "2026-11-24").id
    request_returned = time.perf_counter() - started
    assert request_returned < 2.0  # the request only queues the job: the page never waits for the draw

    samples = []
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(jobs.Job, job_id)
        samples.append((job.status, job.progress, job.message))
        if job.finished:
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    jobs.wait_for_threads(60)
    assert job.status == "done", job.error
    running = [p for status, p, _m in samples if status == "running"]
    assert running and any(0 < p < 1 for p in running), samples[:5]
    assert all(b >= a for a, b in zip(running, running[1:], strict=False))  # progress only goes up
    panel = db.session.get(Panel, panel.id)
    assert len(panel.draw.result["panel"]) == 60
    assert all(row["min"] <= row["selected"] <= row["max"] for row in services.composition(panel))
    print(f"\n2,000-person draw ({METHOD}, k=60, 6 categories / 20 values) through the job: {elapsed:.1f} s; "
          f"{len(running)} progress samples; min probability {panel.draw.result['fairness']['minimum']:.4f}; "
          f"request returned in {request_returned * 1000:.0f} ms")
    if os.environ.get("PANELS_LARGE_DRAW_VERIFY"):
        assert services.verify_draw(panel).ok


@pytest.fixture(autouse=True)
def _only_sqlite_unless_asked(app):
    # The same code path on both databases is covered by the smaller draw tests; this one is about time.
    if app.config["TEST_BACKEND"] != "sqlite" and not os.environ.get("PANELS_LARGE_DRAW_ALL_BACKENDS"):
        pytest.skip("the 2,000-person draw runs on SQLite (PANELS_LARGE_DRAW_ALL_BACKENDS=1 for both)")
