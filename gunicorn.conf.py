"""gunicorn's settings for Agora: read from the current directory, or given with ``-c gunicorn.conf.py``.

Options on gunicorn's command line override these; ``WEB_CONCURRENCY`` sets the number of processes.
"""

import gc
import os
import sys

worker_class = "gthread"
# One process per core, each with four threads that overlap the database's round trips: on two cores
# this served the proposal pages and supports faster than 2x2, 3x2, 4x1, 2x10, 3x7 or 4x5 did
# (bench/web.py --workers W --threads T, Python 3.11). With the database on the same machine, one thread
# per process did about as well (3.12, two runs each); the threads are for a database across a network.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = 4

if sys.version_info < (3, 12):
    # CPython 3.11 corrupts its own heap when several threads serve Agora: a process died of SIGSEGV
    # about once per 100,000 requests at full load (bench/web.py, 3.11.2 and 3.11.7; core dumps show an
    # ORM object's attribute values freed while still in use). Python 3.12.1 served 560,000 requests
    # the same way without one, 3.13.0 158,000. On 3.11, one thread per process: as fast on two cores as
    # four threads (proposal page p95 54-69 ms, support 47-72 ms, in two runs), where twice the processes
    # was slower (88-104, 76-101).
    threads = 1


def post_worker_init(worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Once the app is loaded: its objects (modules, mappers, compiled templates) live as long as the
    process, so they leave the cyclic collector's sight. A full collection then walks only what requests
    left instead of every object of the app, and stops the worker's threads for less: in-process, a
    resident's proposal page went from 20.7 to 19.0 M instructions (18.7 with no collector at all), and
    its full collections from about 50 ms to 20 ms (bench/web_profile.py, Python 3.12). Loading's own
    garbage is collected first, or it would be kept for good."""
    gc.collect()
    gc.freeze()
