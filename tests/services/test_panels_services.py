"""Panels services: panels, the respondents file, quotas, permissions, the job runner, the draw, drop-outs."""

from __future__ import annotations

import threading
import time

import pytest
from helpers import add_census_entry, make_user
from panels_helpers import feature_text, pool_csv, proportional_quotas

from agora import jobs
from agora.audit import AuditEntry
from agora.db import db, unit_of_work
from agora.errors import Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.panels import services
from agora.panels.models import Panel, Respondent
from agora.permissions import Role


def _clerk(email="clerk@example.org"):
    return make_user(email, roles=[Role.CLERK])


def _panel(clerk, *, size=12, names=("gender", "age_band"), **over) -> Panel:
    data = services.PanelData(title="Kessel-Lo panel", size=size, features=feature_text(list(names)), **over)
    panel = services.create_panel(clerk, data)
    db.session.commit()
    return panel


# --- panels and permissions ---------------------------------------------------------------------

def test_clerk_creates_a_panel_with_feature_questions(ctx):
    clerk = _clerk()
    panel = _panel(clerk)
    assert panel.status == "draft"
    assert panel.features[0] == {"name": "gender", "label": "Gender", "values": ["female", "male", "other"]}
    assert services.features_text(panel.features).splitlines()[1] == "age_band: 16-29, 30-44, 45-64, 65+"
    assert db.session.query(AuditEntry).filter_by(action="panel.create").count() == 1
    # Drafts are invisible to the public and to residents; published panels are listed.
    resident = make_user("rita@example.org", verified=True)
    assert services.list_panels(None) == [] and services.list_panels(resident) == []
    assert services.list_panels(clerk) == [panel]
    services.open_signup(clerk, panel)
    db.session.commit()
    assert services.list_panels(None) == [panel]


@pytest.mark.parametrize(("text", "message"), [
    ("gender female, male", "line 1"),
    ("gender: female", "at least two values"),
    ("gender: female, male\ngender: a, b", "appears twice"),
    ("email: a, b", "cannot be a feature name"),
    ("gender: female, Female", "a value of"),
    ("", "at least one feature"),
])
def test_feature_questions_are_checked_line_by_line(ctx, text, message):
    with pytest.raises(InvalidInput, match=message):
        services.parse_features(text)


@pytest.mark.parametrize("role", [None, Role.MODERATOR])
def test_residents_and_moderators_cannot_manage_panels(ctx, role):
    clerk = _clerk()
    panel = _panel(clerk)
    services.import_respondents(clerk, panel, pool_csv(30, names=["gender", "age_band"]))
    db.session.commit()
    other = make_user("other@example.org", roles=[role] if role else [], verified=True)
    data = services.PanelData(title="x", size=5, features="gender: a, b")
    for call in (lambda: services.create_panel(other, data),
                 lambda: services.update_panel(other, panel, data),
                 lambda: services.import_respondents(other, panel, pool_csv(5, names=["gender", "age_band"])),
                 lambda: services.respondents_page(other, panel),
                 lambda: services.propose_quotas(other, panel),
                 lambda: services.set_quotas(other, panel, []),
                 lambda: services.check_feasibility(other, panel),
                 lambda: services.publish_commitment(other, panel),
                 lambda: services.enter_seed(other, panel, "1234")):
        with pytest.raises(PermissionDenied):
            call()


def test_admin_holds_the_panels_permission(ctx):
    admin = make_user("admin@example.org", roles=[Role.ADMIN])
    assert _panel(admin).created_by_id == admin.id


# --- respondents file ---------------------------------------------------------------------------

def test_respondents_upload_all_or_nothing_with_precise_errors(ctx):
    clerk = _clerk()
    panel = _panel(clerk)
    good = "gender,age_band,name,email\nfemale,16-29,Ann,ann@example.org\nMALE,65+,Bob,\n"
    report = services.import_respondents(clerk, panel, good.encode(), filename="pool.csv")
    db.session.commit()
    assert report.added == 2
    rows = db.session.query(Respondent).order_by(Respondent.full_name).all()
    assert [r.features for r in rows] == [{"gender": "female", "age_band": "16-29"},
                                          {"gender": "male", "age_band": "65+"}]  # case forgiven
    assert all(100_000 <= r.number < 1_000_000 for r in rows) and rows[0].email == "ann@example.org"

    bad = "gender,age_band,name\nfemale,16-29,Cleo\nfemale,teen,Dan\nwoman,30-44,Eve\n"
    with pytest.raises(services.RespondentsFileError) as caught:
        services.import_respondents(clerk, panel, bad.encode(), filename="more.csv")
    db.session.rollback()
    assert "more.csv has 2 problem(s)" in caught.value.message
    assert [(e.line, e.column, e.value) for e in caught.value.errors] == [(3, "age_band", "teen"),
                                                                         (4, "gender", "woman")]
    assert "expected one of: 16-29, 30-44, 45-64, 65+" in caught.value.errors[0].message
    assert db.session.query(Respondent).count() == 2  # nothing of the bad file was stored

    with pytest.raises(services.RespondentsFileError) as caught:
        services.import_respondents(clerk, panel, "gender,shoe_size\nfemale,42\n", filename="x.csv")
    columns = {(e.line, e.column) for e in caught.value.errors}
    assert (1, "shoe_size") in columns and (1, "age_band") in columns
    with pytest.raises(services.RespondentsFileError, match="nothing was imported") as caught:
        services.import_respondents(clerk, panel, "number,gender,age_band\n7,female,16-29\n7,male,65+\n")
    assert caught.value.errors[0].column == "number" and "row 2" in caught.value.errors[0].message
    with pytest.raises(services.RespondentsFileError):
        services.import_respondents(clerk, panel, b"\xff\xfe gender")


def test_upload_with_replace_and_semicolons(ctx):
    clerk = _clerk()
    panel = _panel(clerk)
    services.import_respondents(clerk, panel, pool_csv(20, names=["gender", "age_band"]))
    report = services.import_respondents(clerk, panel, "gender;age_band\nfemale;30-44\n", replace=True)
    db.session.commit()
    assert (report.added, report.replaced) == (1, 20)
    assert services.pool_size(panel) == 1


def test_features_cannot_drop_answered_values(ctx):
    clerk = _clerk()
    panel = _panel(clerk)
    services.import_respondents(clerk, panel, "gender,age_band\nother,65+\n")
    db.session.commit()
    data = services.PanelData(title="t", size=12, features="gender: female, male\nage_band: 16-29, 30-44, 45-64, 65+")
    with pytest.raises(InvalidInput, match="“gender” with “other”"):
        services.update_panel(clerk, panel, data)


# --- quotas ---------------------------------------------------------------------------------------

def test_parse_quotas_names_the_bad_value(ctx):
    clerk = _clerk()
    panel = _panel(clerk, names=("gender",))
    raw = [("gender", "female", "2", "6"), ("gender", "male", "x", "6"), ("gender", "other", "0", "1")]
    with pytest.raises(InvalidInput, match="gender = male: the minimum and maximum must be whole numbers"):
        services.parse_quotas(panel, raw)
    raw[1] = ("gender", "male", "7", "3")
    with pytest.raises(InvalidInput, match="gender = male: need 0 ≤ minimum ≤ maximum"):
        services.parse_quotas(panel, raw)
    with pytest.raises(InvalidInput, match="missing: gender = male"):
        services.parse_quotas(panel, raw[:1])
    raw[1] = ("gender", "male", "3", "7")
    assert services.parse_quotas(panel, raw)[1] == {"feature": "gender", "value": "male", "min": 3, "max": 7}


def test_quota_proposal_follows_the_census_for_districts_and_age_bands(ctx):
    from datetime import date

    clerk = _clerk()
    for i in range(30):  # 2/3 Heverlee, 1/3 Kessel-Lo; ages 20 or 70
        add_census_entry(f"DOC{i:05d}", date(date.today().year - (20 if i % 2 else 70), 1, 1),
                         district="Heverlee" if i % 3 else "Kessel-Lo")
    panel = _panel(clerk, size=30, names=("gender",))
    data = services.PanelData(title="t", size=30, features="district: Heverlee, Kessel-Lo\n"
                              "age_band: 16-29, 30-64, 65+\ngender: female, male")
    services.update_panel(clerk, panel, data)
    # The pool is all Kessel-Lo women aged 16-29: the district and age quotas follow the census anyway.
    services.import_respondents(clerk, panel, "district,age_band,gender\n" + "Kessel-Lo,16-29,female\n" * 40)
    db.session.commit()
    rows = {(r.feature, r.value): r for r in services.quota_rows(panel)}
    assert rows[("district", "Heverlee")].census_share == pytest.approx(2 / 3)
    assert rows[("age_band", "16-29")].census_share == pytest.approx(0.5)
    assert rows[("gender", "female")].census_share is None
    proposal = {(q["feature"], q["value"]): (q["min"], q["max"]) for q in services.propose_quotas(clerk, panel)}
    assert proposal[("district", "Heverlee")] == (0, 0)  # target 20, but nobody from Heverlee is in the pool
    assert proposal[("district", "Kessel-Lo")] == (9, 11)  # target 10 ± max(1, 10 %)
    assert proposal[("age_band", "16-29")] == (13, 17)
    assert proposal[("gender", "female")] == (27, 30)  # the pool share (everyone): 30 - 3, capped at k
    assert proposal[("gender", "male")] == (0, 0)


# --- the job runner ------------------------------------------------------------------------------

@jobs.handler("test.count")
def _count_job(job_id, payload, report):
    for i in range(payload["steps"]):
        report((i + 1) / payload["steps"], f"step {i + 1}")
        time.sleep(payload.get("pause", 0))
    if payload.get("fail"):
        raise InvalidInput("it failed on purpose")
    return {"steps": payload["steps"], "thread": threading.current_thread().name}


def _wait(job_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(jobs.Job, job_id)
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_jobs_run_after_commit_in_a_worker_thread_with_progress(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    with unit_of_work():
        job = jobs.enqueue("test.count", {"steps": 3, "pause": 0.3})
        job_id = job.id
        time.sleep(0.2)
        # Not dispatched before the commit: the row is still queued and nobody claimed it.
        assert db.session.get(jobs.Job, job_id).status == "queued"
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(jobs.Job, job_id)
        seen.add((job.status, round(job.progress, 2)))
        if job.finished:
            break
        time.sleep(0.05)
    jobs.wait_for_threads(10)
    assert job.status == "done" and job.progress == 1.0
    assert job.result["thread"] == f"agora-job-{job_id}"
    assert any(status == "running" and 0 < progress < 1 for status, progress in seen)
    assert job.to_dict()["finished"] is True and job.started_at and job.finished_at


def test_jobs_record_failures_and_rolled_back_jobs_never_run(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    with unit_of_work():
        job_id = jobs.enqueue("test.count", {"steps": 1, "fail": True}).id
    job = _wait(job_id)
    assert job.status == "failed" and job.error == "it failed on purpose"
    def failing_action():
        with unit_of_work():
            jobs.enqueue("test.count", {"steps": 1})
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        failing_action()
    assert db.session.query(jobs.Job).count() == 1  # the rolled-back job left no row and ran nowhere
    with pytest.raises(ValueError, match="no handler"):
        jobs.enqueue("no.such.kind")


def test_database_worker_runs_queued_jobs(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    job = jobs.Job(kind="test.count", payload={"steps": 2})  # queued by another process, e.g. before a restart
    db.session.add(job)
    db.session.commit()
    assert jobs.run_queued(app) == 1
    db.session.expire_all()
    assert db.session.get(jobs.Job, job.id).status == "done"
    assert jobs.run_queued(app) == 0


def test_rq_backend_is_chosen_only_with_redis_and_rq(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "auto")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert jobs.backend(app) == "thread"
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import rq  # noqa: F401
    except ImportError:
        assert jobs.backend(app) == "thread"
    else:
        assert jobs.backend(app) == "rq"


# --- commitment, draw, verification, drop-outs -------------------------------------------------------

def _ready_panel(clerk, n=120, size=12, names=("gender", "age_band", "education"), seed=7):
    panel = _panel(clerk, size=size, names=names)
    services.import_respondents(clerk, panel, pool_csv(n, names=list(names), seed=seed))
    db.session.commit()
    services.set_quotas(clerk, panel, proportional_quotas(panel))
    db.session.commit()
    return panel


def test_infeasible_quotas_are_explained_and_block_the_commitment(ctx):
    clerk = _clerk()
    panel = _ready_panel(clerk)
    quotas = [dict(q) for q in panel.quotas]
    for q in quotas:
        if q["feature"] == "gender":
            q["min"] = q["max"] = 6  # 6 + 6 + 6 other > 12, and few "other" in the pool
    report = services.check_feasibility(clerk, panel, quotas)
    assert not report.feasible and report.conflicts
    words = report.to_dict()
    assert "cannot be met" in words["summary"] and words["suggestions"]
    assert words["suggestions"][0].startswith("For gender = ")
    services.set_quotas(clerk, panel, quotas)
    with pytest.raises(InvalidInput, match="cannot be met") as caught:
        services.publish_commitment(clerk, panel)
    assert caught.value.details["conflicts"]
    db.session.rollback()
    assert panel.draw is None and panel.status == "draft"


def test_conflicts_read_in_the_clerks_language(ctx):
    from flask_babel import force_locale

    clerk = _clerk()
    panel = _ready_panel(clerk)
    quotas = [dict(q, min=6, max=6) if q["feature"] == "gender" else dict(q) for q in panel.quotas]
    with force_locale("nl"):
        dutch = services.check_feasibility(clerk, panel, quotas).to_dict()
    assert "De minima voor gender tellen op tot 18, meer dan de panelgrootte 12." in dutch["conflicts"]
    assert all(not text.startswith(("The ", "No ", "Only ", "Nobody ")) for text in dutch["conflicts"])
    english = services.check_feasibility(clerk, panel, quotas).to_dict()
    assert "The minimums for gender add up to 18, more than the panel size 12." in english["conflicts"]
    # The library's "smallest change" sentence is left out: the translated suggestions say it.
    assert not any(text.startswith("The smallest change") for text in english["conflicts"]) and english["suggestions"]


@pytest.mark.parametrize("lang", ["nl", "fr", "es"])
def test_every_kind_of_conflict_has_a_translated_sentence(ctx, lang):
    from flask_babel import force_locale

    details = [
        {"kind": "minimums_above_size", "feature": "gender", "total": 18, "size": 12},
        {"kind": "maximums_below_size", "feature": "gender", "total": 9, "size": 12},
        {"kind": "too_few_in_pool", "feature": "gender", "value": "other", "available": 0, "minimum": 2},
        {"kind": "too_few_in_pool", "feature": "gender", "value": "other", "available": 1, "minimum": 2},
        {"kind": "too_few_in_pool", "feature": "gender", "value": "other", "available": 3, "minimum": 4},
        {"kind": "households_too_few", "selectable": 10, "size": 12},
        {"kind": "quotas_in_conflict", "size": 12,
         "quotas": [{"feature": "gender", "value": "other", "min": 2, "max": 3}]},
        {"kind": "no_quota_change_helps", "size": 12},
    ]
    english = [services.conflict_text(d) for d in details]
    with force_locale(lang):
        translated = [services.conflict_text(d) for d in details]
    for d, en, text in zip(details, english, translated, strict=True):
        assert text and text != en, d
        assert "gender" in text or d["kind"] in ("households_too_few", "no_quota_change_helps"), text
        assert str(d.get("size", d.get("minimum", ""))) in text, text
    assert services.conflict_text({"kind": "smallest_change", "relaxations": []}) is None


def test_library_errors_say_where_in_the_clerks_language(ctx):
    from flask_babel import force_locale

    import sortition

    error = sortition.SortitionError("the panel size 30 is larger than the pool (20 people)",
                                     code="panel_larger_than_pool", file="pool.csv", value=30)
    with force_locale("fr"):
        message = services._library_error(error).message
    assert "pool.csv" in message and "La taille du panel (30) dépasse celle du vivier." in message
    located = sortition.SortitionError("this value of gender has no quota", code="unknown_value",
                                       file="pool.csv", row=7, column="gender", value="x")
    with force_locale("nl"):
        message = services._library_error(located).message
    assert "pool.csv, rij 7, kolom “gender”, waarde “x”" in message and "Deze waarde heeft geen quotum." in message
    # A code Agora does not know keeps the library's own (English) words rather than losing them.
    odd = sortition.SortitionError("something new", code="brand_new_code")
    assert "something new" in services._library_error(odd).message


def test_commitment_draw_verify_and_dropout(app, ctx, monkeypatch):
    import sortition

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    clerk = _clerk()
    panel = _ready_panel(clerk)
    assert services.check_feasibility(clerk, panel).feasible
    draw = services.publish_commitment(clerk, panel, alternates=5)
    db.session.commit()
    assert panel.status == "committed" and draw.library_version == sortition.__version__
    # The commitment's pool is the anonymised pool: numbers and answers, nothing personal.
    header, first = draw.pool_csv.splitlines()[:2]
    assert header == "id,age_band,education,gender" and "@" not in draw.pool_csv
    assert draw.pool_sha256 == sortition.Pool.from_rows(
        __import__("csv").DictReader(__import__("io").StringIO(draw.pool_csv))).sha256
    with pytest.raises(PhaseClosed):
        services.import_respondents(clerk, panel, pool_csv(3, names=["gender", "age_band", "education"]))
    with pytest.raises(PhaseClosed):
        services.set_quotas(clerk, panel, panel.quotas)
    with pytest.raises(Conflict):
        services.publish_commitment(clerk, panel)
    db.session.rollback()

    with unit_of_work():
        job = services.enter_seed(clerk, panel, "3-1-4-1-5")
    db.session.expire_all()
    job = db.session.get(jobs.Job, job.id)
    assert job.status == "done", job.error
    panel = db.session.get(Panel, panel.id)
    result = panel.draw.result
    assert panel.status == "drawn" and len(result["panel"]) == 12 and len(result["alternates"]) == 5
    assert result["seed"] == "3-1-4-1-5" and result["pool_sha256"] == panel.draw.pool_sha256
    statuses = {str(r.number): r.status for r in panel.respondents}
    assert all(statuses[n] == "selected" for n in result["panel"])
    assert all(statuses[n] == "alternate" for n in result["alternates"])
    assert sum(1 for s in statuses.values() if s == "pool") == 120 - 17
    assert all(row["min"] <= row["selected"] <= row["max"] for row in services.composition(panel))
    assert services.verify_draw(panel).ok
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-3:] == ["panel.commit", "panel.seed", "panel.draw"]
    with pytest.raises(Conflict):
        services.enter_seed(clerk, panel, "again")

    # A drop-out: replaced from the alternates, every quota still met, logged. The one leaving has an
    # alternate with the same answers, so an alternate can always take the seat (numbers are random,
    # so the person is chosen by profile, not by position).
    alternate_profiles = [sorted(r.features.items()) for r in panel.respondents if r.status == "alternate"]
    leaving = next(r for r in panel.respondents
                   if r.status == "selected" and sorted(r.features.items()) in alternate_profiles)
    outcome = services.record_dropout(panel, leaving, clerk, "moved away")
    db.session.commit()
    assert not outcome.problem and len(outcome.replacements) == 1
    assert leaving.status == "dropped" and leaving.status_reason == "moved away"
    assert outcome.replacements[0].status == "selected"
    assert str(outcome.replacements[0].number) in result["alternates"]
    assert len(services.current_panel_numbers(panel)) == 12
    assert all(row["min"] <= row["now"] <= row["max"] for row in services.composition(panel))
    assert panel.draw.replacements[0]["dropped"] == [str(leaving.number)]
    assert [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)][-2:] == [
        "panel.dropout", "panel.replacement"]
    with pytest.raises(Conflict):
        services.record_dropout(panel, leaving, clerk, "twice")
    # The stored result still verifies: replacements do not touch the draw.
    assert services.verify_draw(panel).ok


def test_dropout_permissions_and_the_decline_link(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    clerk = _clerk()
    panel = _ready_panel(clerk)
    services.publish_commitment(clerk, panel, alternates=4)
    db.session.commit()
    with unit_of_work():
        services.enter_seed(clerk, panel, "42")
    db.session.expire_all()
    panel = db.session.get(Panel, panel.id)
    selected = [r for r in panel.respondents if r.status == "selected"]
    resident = make_user("rita@example.org", verified=True)
    moderator = make_user("mo@example.org", roles=[Role.MODERATOR])
    for who in (resident, moderator):
        with pytest.raises(PermissionDenied):
            services.record_dropout(panel, selected[0], who, "no")
        with pytest.raises(PermissionDenied):
            services.people(who, panel)
    # The person themself (linked account) may decline; a trusted caller (the invitation link) too.
    selected[0].user_id = resident.id
    db.session.commit()
    outcome = services.record_dropout(panel, selected[0], resident, "", declined=True)
    assert selected[0].status == "declined" and outcome.replacements
    outcome = services.record_dropout(panel, selected[1], "invitation-link", "declined by link", declined=True)
    db.session.commit()
    assert selected[1].status == "declined"
    # Those who left are never drawn again as replacements.
    gone = {str(selected[0].number), str(selected[1].number)}
    for r in panel.respondents[:3]:
        if r.status == "selected":
            services.record_dropout(panel, r, clerk, "ill")
    db.session.commit()
    assert not gone & set(services.current_panel_numbers(panel))


def test_lottery_of_m_panels_for_a_physical_draw(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    clerk = _clerk()
    panel = _ready_panel(clerk, n=80, size=8, names=("gender", "age_band"))
    services.publish_commitment(clerk, panel, lottery_panels=50, alternates=2)
    db.session.commit()
    with unit_of_work():
        services.enter_seed(clerk, panel, "17")
    db.session.expire_all()
    panel = db.session.get(Panel, panel.id)
    result = panel.draw.result
    assert result["lottery_panels"] == 50 and len(result["distribution"]) == 50
    assert result["distribution"][result["panel_index"]]["panel"] == result["panel"]
    assert services.verify_draw(panel).ok


def test_rq_backend_enqueues_after_commit(app, ctx, monkeypatch):
    """Without a Redis server here: a stand-in queue records what RQ would receive, then a worker runs it."""
    calls = []

    class FakeQueue:
        def enqueue(self, function, *args, **kwargs):
            calls.append((function, args, kwargs))

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    monkeypatch.setattr(jobs, "_rq_queue", lambda _app: FakeQueue())
    with unit_of_work():
        job_id = jobs.enqueue("test.count", {"steps": 2}).id
        assert calls == []  # nothing reaches the queue before the commit
    assert calls == [("agora.jobs.run_rq_job", (job_id,), {"job_timeout": 6 * 3600})]
    jobs.run_job(app, job_id)  # what the RQ worker does with it
    db.session.expire_all()
    assert db.session.get(jobs.Job, job_id).status == "done"
    jobs.run_job(app, job_id)  # a second delivery does not run it again
    assert db.session.get(jobs.Job, job_id).result["steps"] == 2


def test_concurrent_dropouts_never_share_a_replacement(app, monkeypatch):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite serialises writers)")
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    with app.app_context():
        clerk = _clerk()
        panel = _ready_panel(clerk)
        services.publish_commitment(clerk, panel, alternates=6)
        db.session.commit()
        with unit_of_work():
            services.enter_seed(clerk, panel, "race")
        db.session.expire_all()
        panel_id = db.session.get(Panel, panel.id).id
        leaving = [r.id for r in db.session.get(Panel, panel_id).respondents if r.status == "selected"][:4]
    barrier = threading.Barrier(len(leaving))
    errors: list[BaseException] = []

    def drop(respondent_id):
        with app.app_context():
            try:
                barrier.wait()
                with unit_of_work():
                    panel = db.session.get(Panel, panel_id)
                    services.record_dropout(panel, db.session.get(Respondent, respondent_id), "race-test", "ill")
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

    threads = [threading.Thread(target=drop, args=(i,)) for i in leaving]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        panel = db.session.get(Panel, panel_id)
        chosen = [n for r in panel.draw.replacements for n in r["replacements"]]
        assert len(panel.draw.replacements) == 4 and len(chosen) == len(set(chosen)) == 4
        assert len(services.current_panel_numbers(panel)) == 12
        assert sorted(r["round"] for r in panel.draw.replacements) == [1, 2, 3, 4]


def test_jobs_left_running_by_a_dead_worker_become_failed_and_the_draw_can_be_retried(app, ctx, monkeypatch):
    from datetime import timedelta

    from agora.db import utcnow

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    clerk = _clerk()
    panel = _ready_panel(clerk, n=60, size=6, names=("gender",))
    services.publish_commitment(clerk, panel, alternates=2)
    db.session.commit()
    job = jobs.Job(kind="panels.draw", payload={"panel_id": panel.id}, status="running",
                   started_at=utcnow() - timedelta(hours=7))
    db.session.add(job)
    db.session.flush()
    panel.draw.seed, panel.draw.job_id = "1", job.id  # as if the worker died mid-draw
    db.session.commit()
    with pytest.raises(Conflict, match="still running"):
        services.retry_draw(clerk, panel)
    db.session.rollback()
    assert jobs.fail_stale(app) == 1
    db.session.expire_all()
    assert db.session.get(jobs.Job, job.id).error.startswith("interrupted")
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    with unit_of_work():
        retried = services.retry_draw(clerk, db.session.get(Panel, panel.id))
    db.session.expire_all()
    assert db.session.get(jobs.Job, retried.id).status == "done"
    assert db.session.get(Panel, panel.id).status == "drawn"


def test_household_rule_one_person_per_address(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    clerk = _clerk()
    panel = _panel(clerk, size=10, names=("gender",))
    # 40 households of two (same address, spelled differently), all women; 20 single men.
    lines = ["gender,address,postal_code"]
    for i in range(40):
        lines += [f"female,{i} Main Street,3010", f"female,{i}  main street ,3010"]
    lines += [f"male,{i} Side Lane,3000" for i in range(20)]
    services.import_respondents(clerk, panel, "\n".join(lines) + "\n")
    db.session.commit()
    services.set_quotas(clerk, panel, [{"feature": "gender", "value": "female", "min": 5, "max": 5},
                                       {"feature": "gender", "value": "male", "min": 5, "max": 5}])
    assert services.check_feasibility(clerk, panel, households=True).feasible
    draw = services.publish_commitment(clerk, panel, alternates=4, households=True)
    db.session.commit()
    assert draw.pool_csv.splitlines()[0] == "id,gender,household" and "Main" not in draw.pool_csv
    with unit_of_work():
        services.enter_seed(clerk, panel, "homes")
    db.session.expire_all()
    panel = db.session.get(Panel, panel.id)
    assert panel.draw.result["address_columns"] == ["household"]
    by_number = {str(r.number): r for r in panel.respondents}
    addresses = [" ".join(by_number[n].address.lower().split()) for n in panel.draw.result["panel"]]
    assert len(addresses) == len(set(addresses)) == 10
    assert services.verify_draw(panel).ok
    # A replacement never brings in the housemate of someone still on the panel.
    leaving = next(r for r in panel.respondents if r.status == "selected" and r.features["gender"] == "female")
    outcome = services.record_dropout(panel, leaving, clerk, "moved")
    db.session.commit()
    now = [" ".join(by_number[n].address.lower().split()) for n in services.current_panel_numbers(panel)]
    assert len(now) == len(set(now)) == 10 and outcome.replacements
