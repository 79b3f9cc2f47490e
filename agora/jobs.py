"""Background jobs: a small generic runner for long work (a LEXIMIN draw) that must not block a page.

A :class:`Job` row records the kind, status (queued → running → done | failed), a progress
fraction with a message, and the result or error; pages poll it. :func:`enqueue` creates the row
inside the caller's transaction and dispatches the job only **after that transaction commits**
(so the worker always finds the row and the data it needs; nothing runs if the action rolls back).

Backends (config ``JOBS_BACKEND``):

- ``"thread"``: a daemon worker thread in the web process (the embedded default);
- ``"rq"``: RQ on Redis (``REDIS_URL``; ``pip install rq``); run ``agora jobs worker``;
- ``"inline"``: run in a fresh thread and wait for it before the request returns (tests, CLI);
- ``"auto"`` (default): ``"rq"`` when ``REDIS_URL`` is set and rq is installed, else ``"thread"``.

A handler is a function ``handler(job_id, payload, report)`` registered with :func:`handler`;
``report(fraction, message)`` records progress (throttled, in its own short transaction). The
handler opens its own units of work; it should not hold a transaction open while it computes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, ForeignKey, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from agora.db import db, utcnow
from agora.errors import AgoraError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
Reporter = Callable[[float, str], None]
Handler = Callable[[int, dict[str, Any], Reporter], Any]
_HANDLERS: dict[str, Handler] = {}
_PENDING_KEY = "agora_pending_jobs"
_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1
    message: Mapped[str] = mapped_column(String(300), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def to_dict(self) -> dict[str, Any]:
        """What the status endpoint returns (no payload, no result: those may be large or private)."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": round(self.progress, 4),
                "message": self.message, "error": self.error, "finished": self.finished,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, actor: Any = None) -> Job:
    """Create a queued job in the current transaction; it is dispatched once that transaction commits."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(kind=kind, payload=payload or {}, created_by_id=getattr(actor, "id", None))
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append((current_app._get_current_object(), job.id))
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # SQLAlchemy also calls this when a savepoint is released
        return
    for app, job_id in session.info.pop(_PENDING_KEY, []):
        dispatch(app, job_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def backend(app: Flask) -> str:
    chosen = app.config.get("JOBS_BACKEND") or "auto"
    if chosen != "auto":
        return chosen
    if app.config.get("REDIS_URL"):
        try:
            import rq  # noqa: F401
        except ImportError:
            log.warning("REDIS_URL is set but rq is not installed: background jobs run in a worker thread")
        else:
            return "rq"
    return "thread"


def dispatch(app: Flask, job_id: int) -> None:
    """Hand a committed, queued job to the configured backend."""
    kind = backend(app)
    if kind == "rq":
        _rq_queue(app).enqueue("agora.jobs.run_rq_job", job_id, job_timeout=app.config.get("JOBS_TIMEOUT", 6 * 3600))
        return
    thread = threading.Thread(target=run_job, args=(app, job_id), name=f"agora-job-{job_id}", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    if kind == "inline":
        thread.join()


def wait_for_threads(timeout: float | None = None) -> None:
    """Join the worker threads started by this process (tests, shutdown)."""
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout)


def _rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    return Queue(app.config.get("JOBS_QUEUE", "agora"), connection=Redis.from_url(app.config["REDIS_URL"]))


def _set(job_id: int, **values: Any) -> None:
    """Update a job row in its own short transaction, outside the handler's session."""
    with db.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(**values))


def _claim(job_id: int) -> bool:
    """Mark a queued job running; False if another worker took it (or it is not queued)."""
    with db.engine.begin() as conn:
        claimed = conn.execute(update(Job).where(Job.id == job_id, Job.status == QUEUED)
                               .values(status=RUNNING, started_at=utcnow(), message=""))
    return claimed.rowcount == 1


def run_job(app: Flask, job_id: int) -> None:
    """Run one queued job to the end, recording progress, result or error. Never raises."""
    with app.app_context():
        try:
            if not _claim(job_id):
                return
            job = db.session.get(Job, job_id)
            fn = _HANDLERS.get(job.kind)
            payload = dict(job.payload or {})
            db.session.remove()  # the handler opens its own units of work
            if fn is None:
                raise RuntimeError(f"no handler registered for job kind {job.kind!r}")
            last = [0.0]

            def report(fraction: float, message: str = "") -> None:
                now = time.monotonic()
                if now - last[0] < 0.25 and fraction < 1:
                    return  # at most four writes a second
                last[0] = now
                _set(job_id, progress=max(0.0, min(1.0, float(fraction))), message=message[:300])

            result = fn(job_id, payload, report)
            _set(job_id, status=DONE, progress=1.0, result=result, finished_at=utcnow())
        except Exception as error:  # noqa: BLE001 - a failed job is recorded, not re-raised in a thread
            db.session.rollback()
            message = error.message if isinstance(error, AgoraError) else f"{type(error).__name__}: {error}"
            if not isinstance(error, AgoraError):
                log.exception("job %s failed", job_id)
            try:
                _set(job_id, status=FAILED, error=message[:5000], finished_at=utcnow())
            except Exception:  # noqa: BLE001
                log.exception("could not record the failure of job %s", job_id)
        finally:
            db.session.remove()


_rq_app: Flask | None = None


def run_rq_job(job_id: int) -> None:
    """Entry point of RQ workers: build the app once per worker process, then run the job."""
    global _rq_app
    if _rq_app is None:
        from agora import create_app

        _rq_app = create_app()
    run_job(_rq_app, job_id)


def get_job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)


def run_queued(app: Flask, *, limit: int | None = None) -> int:
    """Run queued jobs found in the database one by one (the worker without Redis). Returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        with app.app_context():
            job_id = db.session.scalar(select(Job.id).where(Job.status == QUEUED).order_by(Job.id).limit(1))
            db.session.remove()
        if job_id is None:
            break
        run_job(app, job_id)
        ran += 1
    return ran


def fail_stale(app: Flask, *, older_than: float | None = None) -> int:
    """Mark as failed the jobs still "running" long after they started (their worker died), so they can be retried.

    ``older_than`` seconds, by default the config ``JOBS_STALE_SECONDS`` (6 hours). Returns how many.
    """
    from datetime import timedelta

    seconds = float(older_than if older_than is not None else app.config.get("JOBS_STALE_SECONDS", 6 * 3600))
    with app.app_context():
        with db.engine.begin() as conn:
            stale = conn.execute(update(Job).where(Job.status == RUNNING,
                                                   Job.started_at < utcnow() - timedelta(seconds=seconds))
                                 .values(status=FAILED, finished_at=utcnow(),
                                         error="interrupted: the worker stopped before the job finished"))
        return stale.rowcount


def work(app: Flask, *, burst: bool = False, interval: float = 2.0) -> None:
    """``agora jobs worker``: an RQ worker when the backend is rq, else poll the database for queued jobs.

    Either way, jobs left "running" by a dead worker for longer than ``JOBS_STALE_SECONDS`` are
    first marked failed, so the page offers to run them again.
    """
    fail_stale(app)
    if backend(app) == "rq":
        from rq import Worker

        queue = _rq_queue(app)
        Worker([queue], connection=queue.connection).work(burst=burst)
        return
    while True:
        run_queued(app)
        if burst:
            return
        time.sleep(interval)
