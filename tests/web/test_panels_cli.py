"""``agora panels import-respondents / draw / verify / show`` through the CLI runner."""

from __future__ import annotations

from helpers import make_user
from panels_helpers import feature_text, pool_csv, proportional_quotas

from agora.db import db
from agora.panels import services
from agora.panels.models import Panel
from agora.permissions import Role

NAMES = ["gender", "age_band"]


def test_cli_imports_draws_and_verifies(app, runner, tmp_path):
    with app.app_context():
        clerk = make_user("clerk@example.org", roles=[Role.CLERK])
        panel = services.create_panel(clerk, services.PanelData(title="CLI panel", size=10,
                                                                features=feature_text(NAMES)))
        db.session.commit()
        panel_id = panel.id
    bad = tmp_path / "bad.csv"
    bad.write_text("gender,age_band\nfemale,old\n", encoding="utf-8")
    result = runner.invoke(args=["panels", "import-respondents", str(panel_id), str(bad)])
    assert result.exit_code == 1 and "bad.csv: row 2, column age_band: unknown value" in result.output
    good = tmp_path / "pool.csv"
    good.write_text(pool_csv(80, names=NAMES), encoding="utf-8")
    result = runner.invoke(args=["panels", "import-respondents", str(panel_id), str(good)])
    assert result.exit_code == 0 and "80 respondents added" in result.output
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        services.set_quotas("cli", panel, proportional_quotas(panel))
        db.session.commit()

    result = runner.invoke(args=["panels", "draw", str(panel_id), "--seed", "1-2-3", "--alternates", "3"])
    assert result.exit_code == 0, result.output
    assert "commitment published" in result.output and "seed: 1-2-3" in result.output
    assert "selected 10 of 80" in result.output and f"python -m sortition verify panel-{panel_id}-result.json" \
        in result.output
    result = runner.invoke(args=["panels", "verify", str(panel_id)])
    assert result.exit_code == 0 and "verified" in result.output
    again = runner.invoke(args=["panels", "draw", str(panel_id), "--seed", "9"])
    assert again.exit_code == 1 and "already entered" in again.output

    with app.app_context():  # tamper with the stored result: verification must fail
        panel = db.session.get(Panel, panel_id)
        result_dict = dict(panel.draw.result)
        outside = next(str(r.number) for r in panel.respondents if r.status == "pool")
        result_dict["panel"] = sorted([*result_dict["panel"][1:], outside])
        panel.draw.result = result_dict
        db.session.commit()
    result = runner.invoke(args=["panels", "verify", str(panel_id)])
    assert result.exit_code == 1 and "NOT verified" in result.output
    assert runner.invoke(args=["panels", "draw", "999", "--seed", "1"]).exit_code == 1


def test_jobs_worker_burst_runs_queued_jobs(app, runner):
    from agora import jobs

    with app.app_context():
        job = jobs.Job(kind="panels.draw", payload={"panel_id": 12345})
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0 and "jobs worker" in result.output
    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        assert job.status == "failed" and "no committed draw" in job.error
