"""Peak memory and CPU seconds of a running ``airflow`` process tree and of the PostgreSQL server (psutil)."""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg

SAMPLE_SECONDS = 0.2


def _cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU seconds of a process, of its live descendants, and of the children it has waited for
    (their time is added to its own when they exit: PostgreSQL's backends and parallel workers, for the
    postmaster)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def postmaster_pid(pg_url: str) -> int | None:
    """The PostgreSQL server's main process (its data directory's postmaster.pid), when this user may read it."""
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        return int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except (psycopg.Error, OSError, ValueError, IndexError):
        return None


class RssSampler(threading.Thread):
    """Peak RSS of a process and its descendants, sampled every ``interval`` seconds, and the CPU seconds used
    so far by that tree and by the PostgreSQL server (``cpu``: (time, tree, server) at each sample)."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS, postmaster: int | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_process = 0
        self.max_tree = 0
        self.max_server_process = 0  # the largest PostgreSQL server process (backends, parallel workers)
        self.loads: list[float] = []  # the machine's 1-minute load average while sampling (shared machine)
        self.cpu: list[tuple[datetime, float, float]] = []
        self._postmaster = None
        if postmaster is not None:
            with suppress(psutil.Error):
                self._postmaster = psutil.Process(postmaster)
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            tree = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                tree += rss
                self.max_process = max(self.max_process, rss)
            self.max_tree = max(self.max_tree, tree)
            self.loads.append(os.getloadavg()[0])
            if self._postmaster is not None:
                with suppress(psutil.Error):
                    for proc in [self._postmaster, *self._postmaster.children()]:
                        with suppress(psutil.Error):
                            self.max_server_process = max(self.max_server_process, proc.memory_info().rss)
            with suppress(psutil.Error):
                server = _cpu_seconds(self._postmaster) if self._postmaster is not None else 0.0
                self.cpu.append((datetime.now(UTC), _cpu_seconds(root), server))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def cpu_between(self, start: datetime, end: datetime) -> tuple[float, float]:
        """CPU seconds (tree, server) used from ``start`` to ``end``, interpolated between samples."""
        def at(when: datetime) -> tuple[float, float]:
            before = [c for c in self.cpu if c[0] <= when] or self.cpu[:1]
            after = [c for c in self.cpu if c[0] >= when] or self.cpu[-1:]
            (t0, a0, b0), (t1, a1, b1) = before[-1], after[0]
            span = (t1 - t0).total_seconds()
            w = (when - t0).total_seconds() / span if span > 0 else 0.0
            return a0 + w * (a1 - a0), b0 + w * (b1 - b0)

        if not self.cpu:
            return 0.0, 0.0
        (a0, b0), (a1, b1) = at(start), at(end)
        return max(a1 - a0, 0.0), max(b1 - b0, 0.0)
