"""Files with personal data are created for their owner only, whatever the umask: the SQLite warehouse with its
-wal and -shm files, and anything written through ``ektp.core.file_modes``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ektp import warehouse as wh
from ektp.core import file_modes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_sqlite_warehouse_and_its_wal_and_shm_are_owner_only(tmp_path, umask_0):
    db = tmp_path / "warehouse.sqlite"
    engine = wh.make_engine(f"sqlite:///{db}")
    wh.migrate(engine)
    with wh.transaction(engine) as conn:  # a write, so the write-ahead log holds rows
        wh.bulk_insert(conn, "ektp_coverage.rejections_daily", ["report_date", "reason", "rows", "published_at"],
                       [["2027-01-11", "nik_format", 1, "2027-01-12T00:00:00+00:00"]])
    with engine.connect() as conn:  # a reader beside the writer: SQLite keeps -wal and -shm while it is open
        conn.exec_driver_sql("SELECT count(*) FROM rejections_daily").scalar_one()
        files = sorted(tmp_path.iterdir())
        assert [f.name for f in files] == ["warehouse.sqlite", "warehouse.sqlite-shm", "warehouse.sqlite-wal"]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()


def test_an_existing_warehouse_keeps_its_mode_and_other_urls_are_left_alone(tmp_path, umask_0):
    db = tmp_path / "shared.sqlite"
    db.touch(mode=0o640)  # ops chose to share it with a group
    wh.make_engine(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o640
    for url in ("sqlite://", "sqlite:///:memory:"):
        engine = wh.make_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.sqlite"]


def test_folders_are_made_with_the_mode_asked_for(tmp_path, umask_0):
    (tmp_path / "kept").mkdir(mode=0o755)
    file_modes.make_dirs(tmp_path / "kept" / "a" / "b", file_modes.PRIVATE_DIR)
    assert [_mode(p) for p in (tmp_path / "kept", tmp_path / "kept/a", tmp_path / "kept/a/b")] == [0o755, 0o700, 0o700]
    file_modes.make_dirs(tmp_path / "kept" / "a" / "b", file_modes.PRIVATE_DIR)  # again: nothing to do


def test_replace_text_is_whole_or_nothing(tmp_path, umask_0):
    path = tmp_path / "coverage_2027-01-11.html"
    leftover = tmp_path / ".coverage_2027-01-11.html.tmp"
    leftover.write_text("a killed run's")
    os.chmod(leftover, 0o666)
    file_modes.replace_text(path, "first", file_modes.GROUP_FILE)
    assert path.read_text() == "first" and _mode(path) == 0o640 and not leftover.exists()
    with pytest.raises(UnicodeEncodeError):
        file_modes.replace_text(path, "second \udc80", file_modes.GROUP_FILE)  # fails while writing
    assert path.read_text() == "first" and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_replaced_folder_is_swapped_in_whole_or_not_at_all(tmp_path, umask_0):
    replaced_folder = file_modes.replaced_folder
    folder = tmp_path / "2026-11-04"
    folder.mkdir()
    (folder / "stale.csv").write_text("old")
    with replaced_folder(folder) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o700 and not (tmp / "stale.csv").exists()
        (tmp / "new.csv").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-04"]
    assert sorted(p.name for p in folder.iterdir()) == ["new.csv"]  # nothing of the old folder stays
    with pytest.raises(RuntimeError), replaced_folder(folder) as tmp:
        (tmp / "half.csv").write_text("half")
        raise RuntimeError("the write failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-04"]  # no half-written folder left
    assert sorted(p.name for p in folder.iterdir()) == ["new.csv"]
