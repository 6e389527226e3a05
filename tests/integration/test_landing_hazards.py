"""Whatever the landing area holds, a run goes on and publishes every good file (contract §1, §2.1).

Real runs on SQLite through the DAG's task callables (tests/integration/pipeline_runner.py): a symbolic
link loop, a name that is not UTF-8, a file or folder replaced by a link between planning and loading,
a file that vanishes, a newline in a name, and a corrected file copied in with its old mtime. Finally
hypothesis builds random landing areas of such entries beside good files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import shutil
import socket
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date

BATCH_HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name", "birth_date",
                "sex", "kelurahan_code"]
REGISTRY_HEADER = ["nik", "full_name", "birth_date", "sex", "kelurahan_code"]
KELURAHAN = "31.74.01.1001"
DAY = "2026-11-05"


def nik(i: int) -> str:
    return f"317401150805{i:04d}"  # a man born 15-08-2005, Tebet


def batch_bytes(day: str, people: list[int]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BATCH_HEADER)
    writer.writerows(["B-1", "SITE-A", "Site A", "OP-1", f"{day}T09:{k:02d}:00+07:00", nik(i), f"Warga {i}",
                      "2005-08-15", "L", KELURAHAN] for k, i in enumerate(people))
    return buffer.getvalue().encode()


def write_batch(landing: Path, day: str, name: str | bytes, people: list[int]) -> Path:
    folder = landing / "batches" / day
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
    path.write_bytes(batch_bytes(day, people))
    return path


def write_extract(landing: Path, day: str, people: list[int]) -> None:
    folder = landing / "registry" / day
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{nik(i)},Warga {i},2005-08-15,L,{KELURAHAN}\n" for i in people)
    (folder / "unrecorded_residents.csv").write_text(",".join(REGISTRY_HEADER) + "\n" + rows)


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite warehouse, copied for each run (migrating is most of a tiny run's time)."""
    from ektp.warehouse import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "warehouse.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def new_warehouse(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for part in template.parent.glob(template.name + "*"):
        shutil.copy(part, folder / part.name)
    return f"sqlite:///{folder / template.name}"


@pytest.fixture
def env(monkeypatch, tmp_path, migrated_sqlite):
    """A landing area and a warehouse of the test's own; returns (landing, warehouse url)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    url = new_warehouse(migrated_sqlite, tmp_path / "warehouse")
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
                        "EKTP_VAR_DIR": str(tmp_path / "var"), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}.items():
        monkeypatch.setenv(name, value)
    return landing, url


def manifest(url: str) -> dict[str, tuple]:
    return {p: (s, r) for p, s, r in fetch(url, "SELECT file_path, status, reason FROM ektp_ingest.file_manifest")}


def recorded_niks(url: str) -> set[str]:
    return {n for n, in fetch(url, "SELECT nik FROM ektp_ingest.recording")}


def published(url: str, day: str) -> bool:
    return fetch(url, "SELECT count(*) FROM ektp_ingest.published_report WHERE report_date = :d", d=day) == [(1,)]


def assert_xcom_safe(value) -> None:
    """What Airflow stores as an XCom: JSON, as UTF-8."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


# --- one hazard at a time -------------------------------------------------------------------------------


def test_a_symlink_loop_blocks_no_date(env):
    landing, url = env
    write_batch(landing, "2026-11-04", "good.csv", [1, 2])
    write_batch(landing, DAY, "good.csv", [3])
    os.symlink("loop.csv", landing / "batches" / DAY / "loop.csv")
    run_date("2026-11-04")  # the loop is in a later date folder
    assert published(url, "2026-11-04") and recorded_niks(url) == {nik(1), nik(2)}
    run_date(DAY)
    assert published(url, DAY) and recorded_niks(url) == {nik(1), nik(2), nik(3)}
    status, reason = manifest(url)[f"batches/{DAY}/loop.csv"]
    assert status == "rejected_file" and "loop" in reason


def test_a_file_name_that_is_not_utf8_is_loaded_under_its_escaped_name(env):
    landing, url = env
    write_batch(landing, DAY, "J\xfcrgen.csv".encode("latin-1"), [1, 2])  # as a Windows device names it
    write_batch(landing, DAY, "good.csv", [3])
    result = run_date(DAY)
    assert_xcom_safe(result)
    escaped_path = f"batches/{DAY}/J\\xfcrgen.csv"
    assert manifest(url)[escaped_path] == ("loaded", None)
    assert {p for p, in fetch(url, "SELECT DISTINCT file_path FROM ektp_ingest.recording")} == {
        escaped_path, f"batches/{DAY}/good.csv"}
    assert published(url, DAY) and recorded_niks(url) == {nik(1), nik(2), nik(3)}
    run_date(DAY)  # found again under the same name: still one file, loaded
    assert manifest(url)[escaped_path] == ("loaded", None)


def _plan(day: str) -> list[dict]:
    from ektp.airflow import tasks

    return json.loads(json.dumps(tasks.plan_file_loads(datetime.fromisoformat(day).replace(tzinfo=UTC))))


def _load_and_publish(items: list[dict], day: str) -> list[dict]:
    from ektp.airflow import tasks

    run_id = f"test__{uuid.uuid4().hex[:8]}"
    loads = [tasks.load_file_group(item, run_id) for item in items]
    assert_xcom_safe(loads)
    tasks.publish_coverage(datetime.fromisoformat(day).replace(tzinfo=UTC), run_id)
    return loads


def _outside_copy(tmp: Path, people: list[int]) -> Path:
    """A CSV with residents' rows outside the landing area (an attacker's or another system's file)."""
    secret = tmp / "outside" / "secret.csv"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(batch_bytes(DAY, people))
    return secret


def test_a_file_replaced_by_a_link_after_planning_is_not_followed(env, tmp_path):
    landing, url = env
    victim = write_batch(landing, DAY, "a.csv", [1])
    write_batch(landing, DAY, "b.csv", [2])
    items = _plan(DAY)
    victim.unlink()
    victim.symlink_to(_outside_copy(tmp_path, [90, 91]))
    _load_and_publish(items, DAY)
    assert recorded_niks(url) == {nik(2)}  # nothing from outside the landing area
    status, reason = manifest(url)[f"batches/{DAY}/a.csv"]
    assert status == "rejected_file" and "symbolic link" in reason
    assert published(url, DAY)


def test_a_date_folder_replaced_by_a_link_after_planning_is_not_followed(env, tmp_path):
    landing, url = env
    write_batch(landing, DAY, "a.csv", [1])
    items = _plan(DAY)
    (landing / "batches" / DAY).rename(tmp_path / "moved")
    outside = _outside_copy(tmp_path, [90]).parent
    (outside / "a.csv").write_bytes(batch_bytes(DAY, [91]))
    (landing / "batches" / DAY).symlink_to(outside)
    _load_and_publish(items, DAY)
    assert recorded_niks(url) == set()
    status, reason = manifest(url)[f"batches/{DAY}/a.csv"]
    assert status == "rejected_file" and "symbolic link" in reason


def test_a_file_replaced_by_a_link_while_its_rows_are_read_is_not_followed(env, tmp_path, monkeypatch):
    """Every read checks again: here the file turns into a link after its header was checked, before its
    rows are read (the loader rolls back and rejects it; the group's other file loads)."""
    from ektp.ingest import loading

    landing, url = env
    victim = write_batch(landing, DAY, "a.csv", [1])
    write_batch(landing, DAY, "b.csv", [2])
    secret = _outside_copy(tmp_path, [90])
    items = _plan(DAY)
    checked = loading._open

    def swap_after_the_header_check(root, landed, required):
        opened = checked(root, landed, required)
        if landed.path.endswith("/a.csv") and not victim.is_symlink():
            victim.unlink()
            victim.symlink_to(secret)
        return opened

    monkeypatch.setattr(loading, "_open", swap_after_the_header_check)
    loads = _load_and_publish(items, DAY)
    assert recorded_niks(url) == {nik(2)}
    assert manifest(url)[f"batches/{DAY}/a.csv"][0] == "rejected_file"
    outcomes = {o["path"]: o["status"] for load in loads for o in load.get("files", [])}
    assert outcomes == {f"batches/{DAY}/a.csv": "rejected_file", f"batches/{DAY}/b.csv": "loaded"}


def test_a_file_that_vanishes_after_planning_is_forgotten(env):
    landing, url = env
    gone = write_batch(landing, DAY, "a.csv", [1])
    write_batch(landing, DAY, "b.csv", [2])
    run_date(DAY)
    assert recorded_niks(url) == {nik(1), nik(2)}
    gone.write_bytes(batch_bytes(DAY, [1, 3]))  # changed, so the next plan loads it again...
    items = _plan(DAY)
    gone.unlink()  # ...but it is gone by then
    loads = _load_and_publish(items, DAY)
    assert recorded_niks(url) == {nik(2)} and f"batches/{DAY}/a.csv" not in manifest(url)
    assert {"path": f"batches/{DAY}/a.csv", "status": "vanished"}.items() <= \
        next(o for load in loads for o in load.get("files", []) if o["path"].endswith("a.csv")).items()


def test_a_newline_in_a_file_name_forges_no_log_line(env, caplog):
    landing, url = env
    name = "a.csv\n2026-11-06 00:00:00 INFO - all files loaded.csv"
    write_batch(landing, DAY, name, [1])
    write_batch(landing, DAY, "\u202eb.csv", [2])  # a right-to-left override
    caplog.set_level(logging.INFO)
    run_date(DAY)
    assert manifest(url)[f"batches/{DAY}/{name}"] == ("loaded", None)  # the name is the file's identity
    ours = [r for r in caplog.records if r.name.startswith("ektp")]
    assert any("a.csv\\n2026-11-06" in r.getMessage() for r in ours)  # logged, escaped
    for record in ours:
        assert "\n" not in record.getMessage() and "\u202e" not in record.getMessage(), record.getMessage()


def test_a_corrected_file_relanded_with_its_old_mtime_replaces_the_old_content(env):
    """rsync -t, cp -p and unzip keep a file's mtime: a one-digit NIK fix has the old size and mtime."""
    landing, url = env
    write_extract(landing, "2026-11-01", [1, 2, 3])
    path = write_batch(landing, DAY, "a.csv", [1, 9])  # 9: a typo for 2, not in the extract
    run_date(DAY)
    statuses = dict(fetch(url, "SELECT nik, reconciliation_status FROM ektp_ingest.recording"))
    assert statuses == {nik(1): "matched", nik(9): "not_in_extract"}
    old = path.stat()
    time.sleep(0.02)  # the kernel's clock for ctime ticks every few milliseconds
    staged = path.with_name("fixed.tmp")
    staged.write_bytes(batch_bytes(DAY, [1, 2]))
    os.utime(staged, ns=(old.st_atime_ns, old.st_mtime_ns))
    shutil.copy2(staged, path)  # cp -p
    staged.unlink()
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    run_date("2026-11-06")  # a later night: the file of the 5th is not one of its own
    statuses = dict(fetch(url, "SELECT nik, reconciliation_status FROM ektp_ingest.recording"))
    assert statuses == {nik(1): "matched", nik(2): "matched"}
    assert fetch(url, "SELECT sum(recorded_to_date) FROM ektp_coverage.kelurahan_daily WHERE report_date = :d",
                 d="2026-11-05") == [(2,)]


def test_an_unchanged_file_with_new_times_is_not_read_by_every_run(env):
    """A file touched or chmod-ed (or recorded before ctimes were) is read once, then its times are recorded."""
    landing, url = env
    path = write_batch(landing, DAY, "a.csv", [1])
    run_date(DAY)
    time.sleep(0.02)
    os.chmod(path, 0o640)  # changes the ctime only
    ctime = path.stat().st_ctime_ns
    items = _plan("2026-11-06")
    assert [i["action"] for i in items] == ["record_skipped"] and items[0]["retimed"][0][0] == f"batches/{DAY}/a.csv"
    _load_and_publish(items, "2026-11-06")
    assert fetch(url, "SELECT changed_ns FROM ektp_ingest.file_manifest") == [(ctime,)]
    assert _plan("2026-11-06") == []


# --- entries no test can make as root: a forked child that is not root reads them ----------------------


def _as_nobody(tmp_root: Path, work) -> object:
    """``work()`` in a forked child under uid/gid 65534 (root reads everything); its result, or its error."""
    import pickle

    if os.geteuid() != 0:
        return work()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        try:
            os.setgid(65534)
            os.setuid(65534)
            result = ("ok", work())
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            result = ("error", f"{type(exc).__name__}: {exc}")
        with os.fdopen(writer, "wb") as fh:
            pickle.dump(result, fh)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    assert kind == "ok", value
    return value


@pytest.fixture
def open_tmp():
    """A folder others may enter (pytest's tmp_path is root's own)."""
    folder = Path(tempfile.mkdtemp(prefix="ektp-landing-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_files_are_rejected_and_unlistable_folders_keep_their_files(open_tmp, migrated_sqlite):
    from ektp.ingest.planning import plan_loads
    from ektp.warehouse import make_engine

    landing = open_tmp / "landing"
    locked_file = write_batch(landing, DAY, "locked.csv", [1])
    write_batch(landing, DAY, "good.csv", [2])
    write_batch(landing, "2026-11-04", "earlier.csv", [3])
    url = new_warehouse(migrated_sqlite, open_tmp / "warehouse")
    engine = make_engine(url)
    with engine.begin() as conn:  # the manifest knows the earlier folder's file from a past run
        conn.exec_driver_sql(
            "INSERT INTO file_manifest (file_path, file_kind, file_date, sha256, size_bytes, status, validated_at, "
            "run_id) VALUES ('batches/2026-11-04/earlier.csv', 'batch', '2026-11-04', 'x', 1, 'loaded', "
            "'2026-11-04 00:00:00', 'r')")
    engine.dispose()
    for path in landing.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    for part in (open_tmp / "warehouse").iterdir():
        os.chmod(part, 0o666)
    os.chmod(open_tmp / "warehouse", 0o777)
    os.chmod(locked_file, 0)
    os.chmod(landing / "batches" / "2026-11-04", 0)

    def plan():
        p = plan_loads(make_engine(url), landing, date(2026, 11, 5), 100, 1 << 30)
        return ([f.path for g in p.batch_groups for f in g], [(f.path, why) for f, why in p.refused],
                [path for path, _ in p.removed], p.work_items())

    planned, refused, removed, items = _as_nobody(open_tmp, plan)
    assert planned == [f"batches/{DAY}/good.csv"]
    assert refused == [(f"batches/{DAY}/locked.csv", "cannot be read: permission denied")]
    assert removed == []  # a folder that cannot be listed says nothing about its files
    assert_xcom_safe([i.to_xcom() for i in items])


# --- any landing area -----------------------------------------------------------------------------------

NAMES = st.one_of(
    st.sampled_from(["x.csv", "X.CSV", ".hidden.csv", "x.txt", "x", "2026-11-05", "unrecorded_residents.csv",
                     "a\nb.csv", "\u202ex.csv", "n" * 251 + ".csv", "a\\xfc.csv", " .csv"]),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
    .map(lambda b: b + b".csv"),
)
FOLDERS = st.sampled_from([
    "batches/2026-11-05", "batches/2026-11-04", "batches/2026-11-09", "registry/2026-11-01", "batches",
    "registry", "", "batches/2026-1-5", "batches/2026-11-05/sub", "other",
])
KINDS = st.sampled_from(["good_csv", "junk", "empty", "loop", "dangling", "link_outside", "link_outside_folder",
                         "link_to_folder", "link_to_good", "fifo", "socket", "folder", "deep_folder"])
ENTRIES = st.lists(st.tuples(FOLDERS, NAMES, KINDS), max_size=8)


def _make_entry(landing: Path, outside: Path, folder: str, name: str | bytes, kind: str, good: Path) -> None:
    parent = landing / folder if folder else landing
    if parent.exists() and not parent.is_dir():
        return
    parent.mkdir(parents=True, exist_ok=True)
    path = os.path.join(os.fsencode(parent), os.fsencode(name))
    if os.path.lexists(path):
        return
    if kind == "good_csv":
        Path(os.fsdecode(path)).write_bytes(batch_bytes(folder.rpartition("/")[2] or DAY, [5000 + len(path)]))
    elif kind == "junk":
        Path(os.fsdecode(path)).write_bytes(b"\xff\xfe\x00junk")
    elif kind == "empty":
        Path(os.fsdecode(path)).write_bytes(b"")
    elif kind == "loop":
        os.symlink(path, path)
    elif kind == "dangling":
        os.symlink(b"nowhere/at/all", path)
    elif kind == "link_outside":
        os.symlink(os.fsencode(outside / "secret.csv"), path)
    elif kind == "link_outside_folder":
        os.symlink(os.fsencode(outside), path)
    elif kind == "link_to_folder":
        os.symlink(os.fsencode(landing / "batches"), path)
    elif kind == "link_to_good":
        os.symlink(os.fsencode(good), path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as s, contextlib.suppress(OSError):  # a path too long for an address
            s.bind(path)
    elif kind == "folder":
        os.mkdir(path)
        Path(os.fsdecode(os.path.join(path, b"x.csv"))).write_bytes(batch_bytes(DAY, [7000]))
    elif kind == "deep_folder":
        deep = os.path.join(path, *([b"d"] * 40))
        os.makedirs(deep)
        os.symlink(path, os.path.join(deep, b"up"))  # a loop back up the nest


GOOD = {"batches/2026-11-04/good_a.csv": [1, 2], "batches/2026-11-05/good_b.csv": [3],
        "batches/2026-11-05/zz_good_c.csv": [4, 5]}


def _hazard_landing(base: Path, entries) -> Path:
    landing, outside = base / "landing", base / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.csv").write_bytes(batch_bytes(DAY, [9000]))
    write_extract(landing, "2026-11-01", [1, 2, 3, 4, 5])
    for rel, people in GOOD.items():
        write_batch(landing, rel.split("/")[1], rel.split("/")[2], people)
    for folder, name, kind in entries:
        _make_entry(landing, outside, folder, name, kind, landing / "batches/2026-11-05/good_b.csv")
    return landing


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(entries=ENTRIES)
def test_planning_any_landing_area_never_fails(migrated_sqlite, entries):
    """Planning never raises, plans every good file, and everything it hands on is valid text."""
    from ektp.ingest.planning import plan_loads
    from ektp.warehouse import make_engine

    with tempfile.TemporaryDirectory(prefix="ektp-") as base:
        landing = _hazard_landing(Path(base), entries)
        engine = make_engine(new_warehouse(migrated_sqlite, Path(base) / "warehouse"))
        plan = plan_loads(engine, landing, date(2026, 11, 5), 100, 1 << 30)
        engine.dispose()
        planned = {f.path for g in plan.batch_groups for f in g} | {f.path for f, _ in plan.duplicates}
        assert set(GOOD) <= planned
        assert_xcom_safe([i.to_xcom() for i in plan.work_items()])
        for text in plan.ignored + [why for _, why in plan.refused]:
            assert text.isprintable(), text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(entries=ENTRIES)
def test_a_run_over_any_landing_area_publishes_the_good_files(migrated_sqlite, monkeypatch, entries):
    """A whole run: it succeeds, every good file's rows are published (and nothing from outside the landing
    area), and every dated batch name in a date folder has a manifest entry."""
    from ektp.ingest.landing import scan

    # a link to a good file under a smaller name is that delivery (contract §2.1), dated by its own folder
    entries = [e for e in entries if e[2] != "link_to_good"]
    with tempfile.TemporaryDirectory(prefix="ektp-") as base:
        landing = _hazard_landing(Path(base), entries)
        url = new_warehouse(migrated_sqlite, Path(base) / "warehouse")
        for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
                            "EKTP_VAR_DIR": str(Path(base) / "var"), "EKTP_REPORTS": "off",
                            "EKTP_DATA_DOCS": "off"}.items():
            monkeypatch.setenv(name, value)
        result = run_date(DAY)
        assert_xcom_safe(result)
        niks = recorded_niks(url)
        assert {nik(i) for people in GOOD.values() for i in people} <= niks
        assert nik(9000) not in niks
        assert published(url, DAY)
        files, _ = scan(landing)
        due = {f.path for f in files if f.file_date <= date(2026, 11, 5)}
        assert set(manifest(url)) == due
        counts = fetch(url, "SELECT sum(rows_received), sum(rows_accepted) FROM ektp_coverage.site_daily "
                       "WHERE report_date = :d", d=DAY)
        assert counts[0][1] >= 3
