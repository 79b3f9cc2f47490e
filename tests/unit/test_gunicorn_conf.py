"""gunicorn.conf.py: threaded workers only on interpreters that stay sound under them (see the file)."""

import runpy
import sys

from tests.conftest import REPO_ROOT

CONF = str(REPO_ROOT / "gunicorn.conf.py")


def test_threads_per_core_on_python_312_and_later(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 12, 0, "final", 0))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(CONF)
    assert (settings["worker_class"], settings["workers"], settings["threads"]) == ("gthread", 3, 4)


def test_one_thread_per_process_on_python_311(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 11, 7, "final", 0))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(CONF)
    assert (settings["workers"], settings["threads"]) == (3, 1)


def test_one_process_per_core_by_default(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert runpy.run_path(CONF)["workers"] == 8


def test_workers_freeze_the_loaded_app_out_of_the_collectors_sight(monkeypatch):
    calls = []
    monkeypatch.setattr("gc.collect", lambda: calls.append("collect"))
    monkeypatch.setattr("gc.freeze", lambda: calls.append("freeze"))
    runpy.run_path(CONF)["post_worker_init"](worker=None)
    assert calls == ["collect", "freeze"]  # loading's garbage goes first, not frozen with the app
