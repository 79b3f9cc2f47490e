"""The production entry point: gunicorn with gunicorn.conf.py serves Agora (sync workers, as the file says).

The unit tests of the settings read the file; this one runs it, so that a setting gunicorn refuses, or a hook
that fails in a worker, shows here and not on a server. SQLite, migrated first as `agora db upgrade` does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REPO_ROOT

pytest.importorskip("gunicorn", reason="gunicorn comes with the test and prod extras")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a loopback URL of our own)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_gunicorn_serves_the_app_with_the_production_settings(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'agora.db'}", "SECRET_KEY": "s" * 48,
           "AGORA_INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "2"}
    env.pop("AGORA_TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "agora:create_app()", "db", "upgrade"],
                   cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "agora:create_app()"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{server.communicate(timeout=10)[0]}")
                time.sleep(0.2)
        assert status == 200
        status, body = _get(f"http://127.0.0.1:{port}/proposals/")  # a page that reads the database
        assert status == 200 and "<html" in body
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert output.count("Booting worker with pid") == 2, output  # WEB_CONCURRENCY's worker processes
    assert "Using worker: sync" in output, output
    assert "Traceback" not in output, output
