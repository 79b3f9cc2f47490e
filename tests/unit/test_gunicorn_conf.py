"""gunicorn.conf.py: sync workers, one per core unless WEB_CONCURRENCY says otherwise (see the file)."""

import runpy

from tests.conftest import REPO_ROOT

CONF = str(REPO_ROOT / "gunicorn.conf.py")


def test_sync_workers_as_many_as_web_concurrency_says(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(CONF)
    assert (settings["worker_class"], settings["workers"]) == ("sync", 3)
    assert "threads" not in settings  # a sync worker serves one request at a time


def test_one_process_per_core_by_default(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert runpy.run_path(CONF)["workers"] == 8


def test_workers_freeze_the_loaded_app_out_of_the_collectors_sight(monkeypatch):
    calls = []
    monkeypatch.setattr("gc.collect", lambda: calls.append("collect"))
    monkeypatch.setattr("gc.freeze", lambda: calls.append("freeze"))
    runpy.run_path(CONF)["post_worker_init"](worker=None)
    assert calls == ["collect", "freeze"]  # loading's garbage goes first, not frozen with the app
