"""Agora's limits are on their views; a default limit set in the configuration still applies everywhere."""

from __future__ import annotations


def test_a_configured_default_limit_applies_to_every_page(tmp_path):
    from agora import create_app
    from agora.extensions import limiter

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "RATELIMIT_DEFAULT": "2 per minute"})
    with app.app_context():
        limiter.reset()
        client = app.test_client()
        assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]
        limiter.reset()
