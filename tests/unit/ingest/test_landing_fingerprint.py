"""A landed file's fingerprint (size, sha256, modification and change times), and when a run may reuse the
one the manifest recorded instead of reading the file again."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from ektp.ingest.landing import BATCH, LandedFile, fingerprint, fingerprint_unless_unchanged

PATH = "batches/2026-11-02/SITE_TAB01.csv"


def landed_file(root: Path, content: bytes) -> LandedFile:
    full = root / PATH
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(content)
    return LandedFile(PATH, BATCH, date(2026, 11, 2))


def test_fingerprint_is_size_sha256_and_change_times(tmp_path: Path):
    content = b"nik,full_name\n" + b"x" * 3_000_000  # several read blocks
    f = fingerprint(tmp_path, landed_file(tmp_path, content))
    assert (f.size, f.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    st = (tmp_path / PATH).stat()
    assert (f.modified_ns, f.changed_ns) == (st.st_mtime_ns, st.st_ctime_ns)


def test_an_unchanged_file_is_not_read_again(tmp_path: Path):
    seen = fingerprint(tmp_path, landed_file(tmp_path, b"a,b\n1,2\n"))
    assert fingerprint_unless_unchanged(tmp_path, seen, seen) == seen
    # the proof that it was not read: a recorded sha256 that is not the file's comes back as it is
    recorded = replace(seen, sha256="0" * 64)
    assert fingerprint_unless_unchanged(tmp_path, seen, recorded).sha256 == "0" * 64


def _reland_keeping_mtime(path: Path, content: bytes, mtime_ns: int) -> None:
    """What ``cp -p``, ``rsync -t`` and unzip do: new bytes, the old modification time."""
    time.sleep(0.02)  # the kernel's clock for ctime ticks every few milliseconds
    staged = path.with_name("staged")
    staged.write_bytes(content)
    os.utime(staged, ns=(mtime_ns, mtime_ns))
    shutil.copy2(staged, path)  # copies the mtime over, like cp -p
    staged.unlink()


def test_a_file_relanded_with_its_old_size_and_mtime_is_read_again(tmp_path: Path):
    seen = fingerprint(tmp_path, landed_file(tmp_path, b"a,b\n1,2\n"))
    corrected = b"a,b\n1,3\n"  # one digit fixed: same size
    _reland_keeping_mtime(tmp_path / PATH, corrected, seen.modified_ns)
    assert (tmp_path / PATH).stat().st_mtime_ns == seen.modified_ns
    again = fingerprint_unless_unchanged(tmp_path, seen, seen)
    assert again.sha256 == hashlib.sha256(corrected).hexdigest()
    assert again.changed_ns != seen.changed_ns


def test_a_changed_or_unrecorded_file_is_read(tmp_path: Path):
    seen = fingerprint(tmp_path, landed_file(tmp_path, b"a,b\n1,2\n"))
    new_content = b"a,b\n3,4\n"
    (tmp_path / PATH).write_bytes(new_content)
    os.utime(tmp_path / PATH, ns=(seen.modified_ns + 1_000_000, seen.modified_ns + 1_000_000))  # rewritten later
    expected = hashlib.sha256(new_content).hexdigest()
    assert fingerprint_unless_unchanged(tmp_path, seen, seen).sha256 == expected
    # a manifest row from before modification or change times were recorded, or a file never seen
    now = fingerprint(tmp_path, seen)
    stale = replace(now, sha256="0" * 64)
    assert fingerprint_unless_unchanged(tmp_path, seen, replace(stale, modified_ns=None)).sha256 == expected
    assert fingerprint_unless_unchanged(tmp_path, seen, replace(stale, changed_ns=None)).sha256 == expected
    assert fingerprint_unless_unchanged(tmp_path, seen, None).sha256 == expected
    # same times recorded, other size
    assert fingerprint_unless_unchanged(tmp_path, seen, replace(stale, size=now.size + 1)).sha256 == expected
