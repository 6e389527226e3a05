"""What the landing scan lists, and what ``open_landed`` refuses to read (contract §1).

Whatever an entry is (a link anywhere, a loop, a FIFO, a socket, a folder named like a file, a name
that is not UTF-8), the scan lists it or ignores it without raising, and reading it either gives the
bytes of a regular file inside the landing root or raises ``RefusedFile`` with a reason.
"""

from __future__ import annotations

import os
import socket
import tempfile
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from ektp.ingest.csv_reader import open_csv
from ektp.ingest.landing import BATCH, LandedFile, RefusedFile, VanishedFile, _listing, open_landed, scan, scan_landing

DAY = "2026-11-05"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    (tmp_path / "landing" / "batches" / DAY).mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_bytes(b"nik\n1\n")
    return tmp_path / "landing"


def batch(rel: str) -> LandedFile:
    return LandedFile(rel, BATCH, date.fromisoformat(rel.split("/")[1]))


def day_path(landing: Path, name: str) -> Path:
    return landing / "batches" / DAY / name


def refusal(landing: Path, name: str) -> str:
    with pytest.raises(RefusedFile) as caught:
        open_landed(landing, batch(f"batches/{DAY}/{name}"))
    return caught.value.reason


def test_entries_that_are_not_regular_files_inside_the_root_are_refused_with_a_reason(landing: Path):
    d = landing / "batches" / DAY
    os.symlink("loop.csv", d / "loop.csv")
    os.symlink("b.csv", d / "a.csv")
    os.symlink("a.csv", d / "b.csv")
    os.symlink("nowhere.csv", d / "dangling.csv")
    os.symlink(landing.parent / "outside" / "secret.csv", d / "out.csv")
    os.symlink(landing.parent / "outside", d / "outdir.csv")
    os.symlink(landing / "batches", d / "indir.csv")
    os.mkfifo(d / "pipe.csv")
    files, ignored = scan(landing)
    assert [f.path.rpartition("/")[2] for f in files] == sorted(
        ["loop.csv", "a.csv", "b.csv", "dangling.csv", "out.csv", "outdir.csv", "indir.csv", "pipe.csv"])
    assert ignored == []
    assert refusal(landing, "loop.csv") == "a symbolic link loop"
    assert refusal(landing, "a.csv") == "a symbolic link loop"
    assert "does not exist" in refusal(landing, "dangling.csv")
    assert "outside the landing area" in refusal(landing, "out.csv")
    assert "outside the landing area" in refusal(landing, "outdir.csv")
    assert refusal(landing, "indir.csv") == "not a regular file: a folder"
    assert refusal(landing, "pipe.csv") == "not a regular file: a named pipe (FIFO)"  # and it did not block


def test_a_socket_is_refused():
    with tempfile.TemporaryDirectory(prefix="ektp-") as base:  # short: a socket's path is at most 107 bytes
        landing = Path(base)
        (landing / "batches" / DAY).mkdir(parents=True)
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(day_path(landing, "s.csv")))
            assert refusal(landing, "s.csv") == "not a regular file: a socket"


def test_a_link_to_a_regular_file_inside_the_root_is_read_like_the_file(landing: Path):
    (landing / "batches" / "2026-11-04").mkdir()
    (landing / "batches" / "2026-11-04" / "x.csv").write_bytes(b"a\n1\n")
    os.symlink("../2026-11-04/x.csv", day_path(landing, "y.csv"))
    with open_landed(landing, batch(f"batches/{DAY}/y.csv")) as fh:
        assert fh.read() == b"a\n1\n"


def test_a_vanished_file_is_told_apart(landing: Path):
    with pytest.raises(VanishedFile):
        open_landed(landing, batch(f"batches/{DAY}/gone.csv"))
    assert _listing(str(landing / "gone"), "gone", scan_landing(landing)) == []  # a folder gone while scanning


def test_every_read_of_a_csv_file_checks_again(landing: Path):
    """The header check passed; the file then becomes a link out of the root: its rows are not read."""
    path = day_path(landing, "a.csv")
    path.write_bytes(b"nik,full_name\n3174,Budi\n")
    landed = batch(f"batches/{DAY}/a.csv")
    csv_file = open_csv(path, ("nik",), opener=partial(open_landed, landing, landed))
    path.unlink()
    path.symlink_to(landing.parent / "outside" / "secret.csv")
    with pytest.raises(RefusedFile):
        list(csv_file.chunks(10))


def test_the_scan_lists_only_the_layout_and_never_descends_elsewhere(landing: Path):
    (landing / "notes.txt").write_text("x")
    (landing / "batches" / "2026-1-5").mkdir()
    (landing / "batches" / "2026-1-5" / "x.csv").write_text("x")
    deep = landing / "batches" / DAY / "sub"
    nest = deep.joinpath(*["d"] * 200)
    nest.mkdir(parents=True)
    os.symlink(deep, nest / "up")  # a loop for anything that walks the tree
    (day_path(landing, "dir.csv")).mkdir()
    os.symlink(landing.parent / "outside", landing / "batches" / "2026-11-03")
    (landing / "registry").symlink_to(landing.parent / "outside")
    day_path(landing, ".part.csv").write_text("x")
    day_path(landing, "ok.CSV").write_text("x")
    cards = landing / "cards" / DAY
    cards.mkdir(parents=True)
    (cards / "abis.csv").write_text("x")
    (cards / "unrecorded_residents.txt").write_text("x")
    (landing / "cards" / "latest").mkdir()
    result = scan_landing(landing)
    assert [(f.path, f.kind) for f in result.files] == [(f"batches/{DAY}/ok.CSV", "batch"),
                                                        (f"cards/{DAY}/abis.csv", "card_events")]
    assert sorted(result.ignored) == sorted([
        "notes.txt", "registry", "batches/2026-1-5", "batches/2026-11-03", f"batches/{DAY}/sub",
        f"batches/{DAY}/dir.csv", f"batches/{DAY}/.part.csv", f"cards/{DAY}/unrecorded_residents.txt",
        "cards/latest"])
    assert result.unlisted == []


def test_a_name_that_is_not_utf8_is_listed_escaped_and_read_by_its_bytes(landing: Path):
    raw = os.path.join(os.fsencode(landing / "batches" / DAY), b"J\xfcrgen\\.csv")
    Path(os.fsdecode(raw)).write_bytes(b"x\n")
    (f,) = scan(landing)[0]
    assert f.path == f"batches/{DAY}/J\\xfcrgen\\\\.csv" and f.name_escaped
    with open_landed(landing, LandedFile.from_xcom(f.to_xcom())) as fh:
        assert fh.read() == b"x\n"


def test_an_escaped_name_that_is_another_files_name_is_ignored(landing: Path):
    """The valid name keeps its identity; the other cannot have it."""
    day_path(landing, "J\\xfc.csv").write_bytes(b"valid name\n")
    Path(os.fsdecode(os.path.join(os.fsencode(landing / "batches" / DAY), b"J\xfc.csv"))).write_bytes(b"latin-1\n")
    files, ignored = scan(landing)
    assert [(f.path, f.name_escaped) for f in files] == [(f"batches/{DAY}/J\\xfc.csv", False)]
    assert ignored == [f"batches/{DAY}/J\\xfc.csv"]
