"""Rate limits shared through Redis when AGORA_RATELIMIT_STORAGE_URI points at it."""

from __future__ import annotations

import socket

import pytest


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_login_limit_counts_in_redis(tmp_path):
    pytest.importorskip("redis", reason="the redis client is not installed")
    from agora import create_app
    from agora.extensions import limiter

    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15", "RATELIMIT_LOGIN": "2 per minute",
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        limiter.reset()
        client = app.test_client()
        codes = [client.post("/account/login", data={}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        # A second app (another worker) sees the same count.
        other = create_app({**app.config, "INSTANCE_PATH": str(tmp_path)}).test_client()
        assert other.post("/account/login", data={}).status_code == 429
        limiter.reset()
