"""gunicorn's settings for Agora: read from the current directory, or given with ``-c gunicorn.conf.py``.

Options on gunicorn's command line override these; ``WEB_CONCURRENCY`` sets the number of processes.
Run it behind a reverse proxy that buffers requests and responses (nginx does by default): a sync worker
serves one request at a time from start to end, so a client sending or reading slowly must meet the
proxy, not a worker.
"""

import gc
import os

# Sync workers, one per core: each process takes a connection only when it is free, so the requests
# queue once, in the kernel, and go to whichever process finishes first. Threaded (gthread) workers
# accept every connection they are offered and keep it: on two cores one held 12 or 15 of 20 clients'
# connections while the other idled, and its queue set the slow end. Paired runs of bench/web.py (20
# clients, PostgreSQL on the same machine, Python 3.12), p95 in ms, gthread 2x4 against sync 2: a
# resident's proposal page 198 and 140 against 84 and 77, a support 144 and 102 against 89 and 81, a
# visitor's page 111 and 108 against 59 and 67. Three sync processes did worse than two (resident's page
# 85-95 in three runs), four worse still (100): with the database on the same machine the cores are
# already busy while a worker waits for it. With the database across a network, a worker idles during
# each query: there, raise WEB_CONCURRENCY.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))


def post_worker_init(worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Once the app is loaded: its objects (modules, mappers, compiled templates) live as long as the
    process, so they leave the cyclic collector's sight. A full collection then walks only what requests
    left instead of every object of the app, and stops the worker for less: in-process, a resident's
    proposal page went from 20.7 to 19.0 M instructions (18.7 with no collector at all), and its full
    collections from about 50 ms to 20 ms (bench/web_profile.py, Python 3.12). Loading's own garbage is
    collected first, or it would be kept for good."""
    gc.collect()
    gc.freeze()
