"""Permissions of the files the pipeline writes, whatever the process's umask (docs/security.md).

Files with NIKs or names (the SQLite warehouse, the follow-up CSV lists) are for their owner only;
the HTML reports (counts only) may be read by the owner's group. A mode is given when a file or
folder is created, so the umask can only make it stricter, never looser (a umask of 0 would make
pathlib's defaults world-writable).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
GROUP_FILE = 0o640
GROUP_DIR = 0o750


def make_dirs(path: Path, mode: int) -> None:
    """Create ``path`` and each missing parent with ``mode``; folders that exist are left as they are."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with suppress(FileExistsError):  # another task made it meanwhile
            folder.mkdir(mode=mode)


def create_new(path: Path, mode: int) -> int:
    """A descriptor of a new file, open for writing, created with ``mode``. Refuses a file or link that is
    already there, which would keep its own permissions (or lead elsewhere)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)


def replace_text(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to a new file beside ``path`` and move it over ``path`` (a reader sees the old file or
    the new one, never half of one). Nothing is left behind if writing fails."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # a killed run's: it may have other permissions
    try:
        with os.fdopen(create_new(tmp, mode), "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def replaced_folder(folder: Path) -> Iterator[Path]:
    """A new owner-only folder (``.<name>.tmp`` beside ``folder``) to write files into; when the block ends
    without an error it replaces ``folder`` (a reader sees the old folder or the new one, never half of one, and
    no file of the old one stays). Nothing is left behind if writing fails: the old folder stays as it was.
    One writer at a time: the caller holds the folder's lock."""
    tmp = folder.with_name(f".{folder.name}.tmp")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(tmp, ignore_errors=True)  # a killed writer's
    try:
        tmp.mkdir(mode=PRIVATE_DIR)
        yield tmp
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
