"""``[core] hostname_callable`` for the Celery test's two workers on one machine: each names its task
instances as a worker on its own machine would, so the metadata database tells which worker ran what."""

from __future__ import annotations

import os


def hostname() -> str:
    return os.environ["EKTP_TEST_WORKER_HOSTNAME"]
