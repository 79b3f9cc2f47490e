"""Background jobs through RQ on a real Redis: enqueued after the commit, run by an RQ worker.

Skips, saying why, when rq is missing or no Redis answers at ``AGORA_TEST_REDIS_URL``
(default ``redis://127.0.0.1:6379/15``); CI has both.
"""

from __future__ import annotations

import os
import uuid

import pytest

from agora import jobs
from agora.db import db, unit_of_work

REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@jobs.handler("test.rq.double")
def _double(job_id, payload, report):
    report(0.5, "halfway")
    return {"doubled": 2 * int(payload["n"])}


@pytest.fixture
def redis_queue(app, monkeypatch):
    pytest.importorskip("rq", reason="rq is not installed")
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    name = f"agora-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "auto")  # Redis and rq are there: auto means rq
    monkeypatch.setitem(app.config, "JOBS_QUEUE", name)
    monkeypatch.setattr(jobs, "_rq_app", app)  # the worker's app: this test's database
    yield jobs._rq_queue(app)
    jobs._rq_queue(app).delete(delete_jobs=True)


def test_a_job_goes_through_redis_to_an_rq_worker(app, redis_queue):
    from rq import SimpleWorker

    assert jobs.backend(app) == "rq"
    with app.test_request_context():
        with unit_of_work():
            job_id = jobs.enqueue("test.rq.double", {"n": 21}).id
            assert redis_queue.count == 0, "nothing is sent before the transaction commits"
        assert redis_queue.count == 1
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    assert redis_queue.count == 0
    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        assert job.status == jobs.DONE and job.result == {"doubled": 42} and job.progress == 1.0


def test_a_rolled_back_action_sends_nothing_to_redis(app, redis_queue):
    def failing_action():
        with unit_of_work():
            jobs.enqueue("test.rq.double", {"n": 1})
            raise RuntimeError("the action fails")

    with app.test_request_context(), pytest.raises(RuntimeError):
        failing_action()
    assert redis_queue.count == 0
