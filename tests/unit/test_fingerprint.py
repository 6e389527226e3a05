"""A landed file's fingerprint (size, sha256, modification time), and when a run may reuse the one the
manifest recorded instead of reading the file again."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

from ektp.landing import BATCH, LandedFile, fingerprint, fingerprint_unless_unchanged

PATH = "batches/2026-11-02/SITE_TAB01.csv"


def landed_file(root: Path, content: bytes) -> LandedFile:
    full = root / PATH
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(content)
    return LandedFile(PATH, BATCH, date(2026, 11, 2))


def test_fingerprint_is_size_sha256_and_modification_time(tmp_path: Path):
    content = b"nik,full_name\n" + b"x" * 3_000_000  # several read blocks
    f = fingerprint(tmp_path, landed_file(tmp_path, content))
    assert (f.size, f.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert f.modified_ns == (tmp_path / PATH).stat().st_mtime_ns


def test_an_unchanged_file_is_not_read_again(tmp_path: Path):
    seen = fingerprint(tmp_path, landed_file(tmp_path, b"a,b\n1,2\n"))
    # same bytes: the recorded fingerprint comes back
    again = fingerprint_unless_unchanged(tmp_path, seen, seen.size, seen.modified_ns, seen.sha256)
    assert again == seen
    # the proof that it was not read: other bytes of the same size under the recorded mtime keep the old
    # sha256 (the trade-off git and rsync make: a rewrite that restores size and mtime is not noticed)
    (tmp_path / PATH).write_bytes(b"a,b\n3,4\n")
    os.utime(tmp_path / PATH, ns=(seen.modified_ns, seen.modified_ns))
    assert fingerprint_unless_unchanged(tmp_path, seen, seen.size, seen.modified_ns, seen.sha256).sha256 == seen.sha256


def test_a_changed_or_unrecorded_file_is_read(tmp_path: Path):
    seen = fingerprint(tmp_path, landed_file(tmp_path, b"a,b\n1,2\n"))
    new_content = b"a,b\n3,4\n"
    (tmp_path / PATH).write_bytes(new_content)
    os.utime(tmp_path / PATH, ns=(seen.modified_ns + 1_000_000, seen.modified_ns + 1_000_000))  # rewritten later
    expected = hashlib.sha256(new_content).hexdigest()
    assert fingerprint_unless_unchanged(tmp_path, seen, seen.size, seen.modified_ns, seen.sha256).sha256 == expected
    # a manifest row from before modification times were recorded, or a file never seen
    assert fingerprint_unless_unchanged(tmp_path, seen, seen.size, None, seen.sha256).sha256 == expected
    assert fingerprint_unless_unchanged(tmp_path, seen, None, None, None).sha256 == expected
    # same mtime, other size
    (tmp_path / PATH).write_bytes(new_content + b"5,6\n")
    os.utime(tmp_path / PATH, ns=(seen.modified_ns, seen.modified_ns))
    grown = fingerprint_unless_unchanged(tmp_path, seen, seen.size, seen.modified_ns, seen.sha256)
    assert grown.size == len(new_content) + 4
