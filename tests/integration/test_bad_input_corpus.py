"""The bad-input corpus (tests/corpus/cases.json) through the real pipeline, and a fuzz test of the reader.

For every case, every outcome the manifest names is checked: each file's status and reason, each
rejected row with its first reason (and line number), the accepted and duplicate rows, the ignored
paths, and conservation (contract §2.5) in the tables and in the published counts. Cases that need
a warehouse of their own (extracts, links, several runs, counts that other files would change, big
files) run alone on SQLite through the DAG's task callables (tests/integration/pipeline_runner.py).
All the others land side by side, renamed apart, and run once through ``dag.test()`` on PostgreSQL.
Files identical to another case's then become duplicate deliveries, as the contract says. Finally,
hypothesis feeds random bytes and CSV-ish text to the reader and the loader: nothing crashes, and a
file is either rejected as a file or every row it had is accounted for.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fetch, run_dag_test
from tests.corpus.build import file_bytes, load_cases, load_manifest, materialise
from tests.integration.pg import new_pg_database
from tests.integration.pipeline_runner import run_date

CASES = load_cases()
MACROS = load_manifest()["macros"]
TABLES = ("ektp_ingest.file_manifest", "ektp_ingest.recording", "ektp_ingest.registry_resident",
          "ektp_quarantine.rejected_row", "ektp_quarantine.rejected_file", "ektp_coverage.site_daily",
          "ektp_coverage.kelurahan_daily", "ektp_coverage.rejections_daily")


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    """Outputs of the run go to the test's folder; reports and Data Docs are not what is tested here."""
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    return monkeypatch


def _needs_own_warehouse(case: dict) -> bool:
    """Extracts, links, several runs, settings of their own (``env``), counts that other cases' rows would
    change (duplicates, matches), or ``alone`` in the manifest (big files)."""
    paths = [f["path"] for f in case["files"]]
    expect = case["runs"][-1]["expect"]
    return (bool(case.get("alone")) or len(case["runs"]) > 1
            or any({"symlink_to", "fifo", "raw_path_hex"} & set(f) for f in case["files"])
            or any("env" in r for r in case["runs"])
            or any(p.startswith(("registry/", "../")) for p in paths)
            or bool(set(expect) & {"matched", "targets", "extract_in_force", "site_daily", "duplicates"}))


ALONE = [c for c in CASES if _needs_own_warehouse(c)]
SIDE_BY_SIDE = [c for c in CASES if not _needs_own_warehouse(c)]


def test_corpus_is_big_enough_and_well_formed():
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert case["description"] and case["files"] and case["runs"], case["id"]
        for run in case["runs"]:
            expect = run["expect"]
            loaded = [w for w in expect["files"].values() if w["status"] == "loaded"]
            assert len(expect.get("rejected_rows", [])) == sum(w.get("rejected", 0) for w in loaded), case["id"]


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite warehouse, copied for each case (migrating is most of a tiny run's time)."""
    from ektp.warehouse import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "warehouse.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def _copy_warehouse(template: Path, folder: Path) -> str:
    for part in template.parent.glob(template.name + "*"):
        shutil.copy(part, folder / part.name)
    return f"sqlite:///{folder / template.name}"


@pytest.mark.parametrize("case", ALONE, ids=[c["id"] for c in ALONE])
def test_corpus_case_alone(case, tmp_path, quiet_env, migrated_sqlite):
    landing = materialise(case, tmp_path / "case", MACROS)
    url = _copy_warehouse(migrated_sqlite, tmp_path)
    quiet_env.setenv("EKTP_LANDING_DIR", str(landing))
    quiet_env.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
    for run in case["runs"]:
        for name in {n for r in case["runs"] for n in r.get("env", {})}:  # a run's settings: only its own
            quiet_env.delenv(name, raising=False)
        for name, value in run.get("env", {}).items():
            quiet_env.setenv(name, value)
        result = run_date(run["date"])
        check_outcome(url, landing, run["date"], run["expect"], f"{case['id']} after the run for {run['date']}")
        for load in result["loads"]:
            for out in load.get("files", []):
                assert out["rows"] == out["rejected"] + out["loaded"], case["id"]


def check_outcome(url: str, landing: Path, day: str, expect: dict, where: str, own: set[str] | None = None) -> None:
    """``expect`` after the run for ``day``; ``own``: the case's paths, when other cases' files are landed too
    (the accepted rows are then checked as accepted + duplicates, which other cases cannot change)."""
    from ektp.ingest.landing import scan

    def mine(path: str) -> bool:
        return own is None or path in own

    manifest = {r[0]: r for r in fetch(url, "SELECT file_path, status, row_count, rows_rejected, reason, duplicate_of "
                                            "FROM ektp_ingest.file_manifest") if mine(r[0])}
    assert set(manifest) == set(expect["files"]), where
    for path, want in expect["files"].items():
        _, status, rows, rejected, reason, duplicate_of = manifest[path]
        assert status == want["status"], f"{where}: {path}"
        if "rows" in want:
            assert (rows, rejected) == (want["rows"], want.get("rejected", 0)), f"{where}: {path}"
        if "reason" in want:
            assert want["reason"] in (reason or "") + (duplicate_of or ""), f"{where}: {path}"

    quarantined = [r for r in fetch(url, "SELECT file_path, row_number, first_reason, line_number "
                                         "FROM ektp_quarantine.rejected_row") if mine(r[0])]
    assert {r[:3] for r in quarantined} == {tuple(r[:3]) for r in expect.get("rejected_rows", [])}, where
    lines = {r[:2]: r[3] for r in quarantined}
    for r in expect.get("rejected_rows", []):
        if len(r) > 3:
            assert lines[(r[0], r[1])] == r[3], f"{where}: line number of {r[:2]}"

    status: dict[str, int] = {}
    for path, dup in fetch(url, "SELECT file_path, duplicate_status FROM ektp_ingest.recording"):
        if mine(path):
            status[dup] = status.get(dup, 0) + 1
    if own is None:
        assert status.get("accepted", 0) == expect["accepted"], where
        assert sum(status.values()) - status.get("accepted", 0) == expect.get("duplicates", 0), where
    else:
        assert sum(status.values()) == expect["accepted"] + expect.get("duplicates", 0), where

    for path, row, name in expect.get("recordings", []):
        assert fetch(url, "SELECT full_name FROM ektp_ingest.recording WHERE file_path = :p AND row_number = :r",
                     p=path, r=row) == [(name,)], f"{where}: {path} row {row}"
    for path, row, length in expect.get("name_lengths", []):
        assert fetch(url, "SELECT length(full_name) FROM ektp_ingest.recording WHERE file_path = :p "
                     "AND row_number = :r", p=path, r=row) == [(length,)], where
    for path, row, text in expect.get("raw_contains", []):
        (raw,), = fetch(url, "SELECT raw_record FROM ektp_quarantine.rejected_row WHERE file_path = :p "
                        "AND row_number = :r", p=path, r=row)
        assert text in raw, where
    for path, row, length in expect.get("raw_min_length", []):
        (n,), = fetch(url, "SELECT length(raw_record) FROM ektp_quarantine.rejected_row WHERE file_path = :p "
                      "AND row_number = :r", p=path, r=row)
        assert n >= length, where
    for path, row, length in expect.get("raw_max_length", []):  # an oversized record is not kept whole
        (n,), = fetch(url, "SELECT length(raw_record) FROM ektp_quarantine.rejected_row WHERE file_path = :p "
                      "AND row_number = :r", p=path, r=row)
        assert n <= length, where
    if "niks" in expect:
        niks = [n for p, n in fetch(url, "SELECT file_path, nik FROM ektp_ingest.recording") if mine(p)]
        assert sorted(niks) == expect["niks"], where
    if "matched" in expect:
        assert fetch(url, "SELECT count(*) FROM ektp_ingest.recording WHERE reconciliation_status = 'matched'") \
            == [(expect["matched"],)], where
    if "extract_in_force" in expect:
        assert {str(d) for d, in fetch(url, "SELECT extract_date FROM ektp_coverage.kelurahan_daily "
                                       "WHERE report_date = :d", d=day)} == {expect["extract_in_force"]}, where
    if "targets" in expect:
        assert fetch(url, "SELECT sum(target_residents) FROM ektp_coverage.kelurahan_daily WHERE report_date = :d",
                     d=day) == [(expect["targets"],)], where
    if "site_daily" in expect:
        got = fetch(url, "SELECT site_code, batch_files, rows_received, rows_rejected, rows_duplicate, rows_accepted "
                    "FROM ektp_coverage.site_daily WHERE report_date = :d ORDER BY site_code", d=day)
        assert [list(r) for r in got] == expect["site_daily"], where

    _, ignored = scan(landing)
    assert set(expect.get("ignored", [])) <= set(ignored), where
    assert fetch(url, "SELECT count(*) FROM ektp_ingest.published_report WHERE report_date = :d", d=day) == [(1,)]
    check_conservation(url, where)
    for table in TABLES:  # nothing in the input dropped a table
        fetch(url, f"SELECT count(*) FROM {table}")


def check_conservation(url: str, where: str) -> None:
    """Contract §2.5 from the tables themselves, per file and per published date."""
    per_file = fetch(url, """
        SELECT m.file_path, m.row_count, m.rows_rejected,
               (SELECT count(*) FROM ektp_quarantine.rejected_row r WHERE r.file_path = m.file_path),
               (SELECT count(*) FROM ektp_ingest.recording c WHERE c.file_path = m.file_path)
          FROM ektp_ingest.file_manifest m WHERE m.status = 'loaded' AND m.file_kind = 'batch'""")
    for path, rows, rejected, quarantined, validated in per_file:
        assert rows == rejected + validated and rejected == quarantined, f"{where}: {path}"
    skipped = fetch(url, """
        SELECT m.file_path FROM ektp_ingest.file_manifest m WHERE m.status <> 'loaded'
           AND (EXISTS (SELECT 1 FROM ektp_quarantine.rejected_row r WHERE r.file_path = m.file_path)
                OR EXISTS (SELECT 1 FROM ektp_ingest.recording c WHERE c.file_path = m.file_path))""")
    assert skipped == [], f"{where}: rows of a rejected or duplicate file were kept"
    for day, received, rejected, dup, accepted in fetch(url, """
            SELECT report_date, sum(rows_received), sum(rows_rejected), sum(rows_duplicate), sum(rows_accepted)
              FROM ektp_coverage.site_daily GROUP BY report_date"""):
        assert received == rejected + dup + accepted, f"{where}: site_daily {day}"
        by_reason = fetch(url, "SELECT coalesce(sum(rows), 0) FROM ektp_coverage.rejections_daily "
                          "WHERE report_date = :d", d=day)[0][0]
        assert by_reason == rejected, f"{where}: rejections_daily {day}"


# --- the other cases side by side: one landing area, one run, each case's outcome checked ------------

SHARED_DATE = "2027-01-11"
#: expectations that name rows by file path (renamed with the case's files)
ROW_KEYS = ("rejected_rows", "recordings", "name_lengths", "raw_contains", "raw_min_length", "raw_max_length")


def _renamed(case_id: str, path: str) -> str:
    """The case's file under a name of its own (a hidden name stays hidden)."""
    parent, _, name = path.rpartition("/")
    dot = "." if name.startswith(".") else ""
    return f"{parent}/{dot}{case_id}__{name[len(dot):]}"


def _shared_landing(landing: Path) -> dict[str, tuple[dict, set[str]]]:
    """Write every side-by-side case; returns each case's expectation (renamed) and its paths."""
    out: dict[str, tuple[dict, set[str]]] = {}
    content: dict[str, bytes] = {}
    for case in SIDE_BY_SIDE:
        assert [r["date"] for r in case["runs"]] == [SHARED_DATE], case["id"]
        last = case["runs"][0]["expect"]
        own = set()
        for spec in case["files"]:
            path = _renamed(case["id"], spec["path"])
            own.add(path)
            (landing / path).parent.mkdir(parents=True, exist_ok=True)
            (landing / path).write_bytes(file_bytes(spec, MACROS))
            if spec["path"] in last["files"]:
                content[path] = (landing / path).read_bytes()

        def rename(rows, case_id=case["id"]):
            return [[_renamed(case_id, r[0]), *r[1:]] for r in rows]

        expect = dict(last)
        expect["files"] = {_renamed(case["id"], p): w for p, w in last["files"].items()}
        for key in ROW_KEYS:
            expect[key] = rename(last.get(key, []))
        expect["ignored"] = [_renamed(case["id"], p) for p in last.get("ignored", [])]
        out[case["id"]] = (expect, own)
    # identical bytes are one delivery across cases too: the smallest path is it (contract §2.1)
    first_by_hash: dict[str, str] = {}
    for path in sorted(content):
        original = first_by_hash.setdefault(hashlib.sha256(content[path]).hexdigest(), path)
        if original == path:
            continue
        for expect, own in out.values():
            if path in own:
                want = expect["files"][path]
                expect["accepted"] -= want.get("rows", 0) - want.get("rejected", 0)
                expect["files"][path] = {"status": "duplicate_delivery", "reason": original}
                for key in ROW_KEYS:
                    expect[key] = [r for r in expect[key] if r[0] != path]
                expect.pop("niks", None)
    return out


@pytest.fixture(scope="module")
def side_by_side(coverage_dag, tmp_path_factory):
    """All side-by-side cases in one landing area, one ``dag.test()`` run on PostgreSQL (the cases that run
    alone use SQLite, so both warehouses see the corpus)."""
    folder = tmp_path_factory.mktemp("side_by_side")
    expectations = _shared_landing(folder / "landing")
    quiet = {"EKTP_VAR_DIR": str(folder / "var"), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}
    with mock.patch.dict(os.environ, quiet), new_pg_database() as url:
        run = run_dag_test(coverage_dag, SHARED_DATE, folder / "landing", url)
        assert run.state == "success"
        yield url, folder / "landing", expectations


@pytest.mark.postgres
@pytest.mark.parametrize("case", SIDE_BY_SIDE, ids=[c["id"] for c in SIDE_BY_SIDE])
def test_corpus_case_side_by_side(side_by_side, case):
    url, landing, expectations = side_by_side
    expect, own = expectations[case["id"]]
    check_outcome(url, landing, SHARED_DATE, expect, f"{case['id']} (side by side)", own)


@pytest.mark.postgres
def test_side_by_side_run_accounts_for_every_landed_file(side_by_side):
    from ektp.ingest.landing import scan

    url, landing, expectations = side_by_side
    landed, _ = scan(landing)
    due = {f.path for f in landed if f.file_date.isoformat() <= SHARED_DATE}
    assert {p for p, in fetch(url, "SELECT file_path FROM ektp_ingest.file_manifest")} == due
    want = set()
    for expect, _ in expectations.values():
        want |= set(expect["files"])
    assert want == due


# --- fuzz: whatever the bytes ---------------------------------------------------------------------

HEADER = MACROS["H"]
VALID_ROWS = [
    "B1,S1,Site,OP1,2027-01-11T09:00:00+07:00,3174022308900001,Budi,1990-08-23,L,31.74.02.1001",
    "B1,S1,Site,OP1,2027-01-11T10:00:00+07:00,3174 0223 0890 0002,\"Siti, A\",1990-08-23,l,",
    "B1,S1,Site,OP1,2027-01-11T09:00:00+07:00,3174022308900001,Budi again,1990-08-23,L,31.74.02.1001",
]
PIECES = st.sampled_from(["a", "1", ",", '"', "\n", "\r", "\r\n", " ", "\t", ".", "-", "'", "3174022308900001",
                          "\u0663", "\u00e9", "\ufeff", "\x00", "2027-01-11", "L", "P", "\u2028", "\x85"])
FIELDS = st.lists(PIECES, max_size=5).map("".join)
LINES = st.one_of(st.lists(FIELDS, max_size=12).map(",".join), st.sampled_from(VALID_ROWS))
HEADERS = st.sampled_from([HEADER, HEADER.upper(), HEADER + ",extra", HEADER + ",nik", "nik,full_name", "",
                           " " + HEADER.replace(",", " , ")])
CSVISH = st.builds(lambda bom, header, lines, eol, final: ("\ufeff" if bom else "") + eol.join([header, *lines])
                   + (eol if final else ""),
                   st.booleans(), HEADERS, st.lists(LINES, max_size=8), st.sampled_from(["\n", "\r\n", "\r"]),
                   st.booleans())
ANY_BYTES = st.one_of(st.binary(max_size=400), CSVISH.map(lambda t: t.encode("utf-8")),
                      CSVISH.map(lambda t: t.encode("utf-8", "replace")[:-1]),  # cut anywhere near the end
                      CSVISH.map(lambda t: t.encode("latin-1", "replace")))


def _records(data: bytes) -> int:
    """Rows received, by the contract's definition, from the text alone: records after the header, except
    empty lines (nothing but whitespace; a quoted empty field is a row)."""
    lines = io.StringIO(data.decode("utf-8-sig"), newline="").readlines()
    taken: list[str] = []

    def feed():
        for line in lines:
            taken.append(line)
            yield line

    reader, rows = csv.reader(feed(), strict=False), []
    while True:
        taken.clear()
        if next(reader, None) is None:
            break
        rows.append("".join(taken))
    return sum(1 for text in rows[1:] if text.strip() or '"' in text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=ANY_BYTES, chunk_rows=st.integers(1, 4))
def test_reader_never_crashes_and_accounts_for_every_row(data, chunk_rows):
    from ektp.ingest.csv_reader import RejectedFile, open_csv
    from ektp.ingest.validation import BATCH_REQUIRED

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        try:
            csv_file = open_csv(path, BATCH_REQUIRED)
        except RejectedFile as exc:
            assert exc.reason
            return
        numbers, width = [], len(csv_file.header)
        for chunk in csv_file.chunks(chunk_rows):
            assert all(len(values) == len(chunk) for values in chunk.columns.values())
            assert all(len(fields) != width for _, _, fields in chunk.malformed)
            numbers += chunk.row_numbers + [r for r, _, _ in chunk.malformed]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert len(numbers) == _records(data)


@pytest.fixture(scope="module")
def fuzz_warehouse():
    from ektp.warehouse import make_engine, migrate

    folder = Path(tempfile.mkdtemp(prefix="ektp-fuzz-"))
    engine = make_engine(f"sqlite:///{folder / 'warehouse.sqlite'}")
    migrate(engine)
    saved = os.environ.get("EKTP_DATA_DOCS")
    os.environ["EKTP_DATA_DOCS"] = "off"
    try:
        yield engine, folder
    finally:
        if saved is None:
            os.environ.pop("EKTP_DATA_DOCS", None)
        else:
            os.environ["EKTP_DATA_DOCS"] = saved
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=ANY_BYTES)
def test_loader_rejects_the_file_or_accounts_for_every_row(fuzz_warehouse, data):
    from datetime import date

    from ektp.ingest.batches import load_batch_files
    from ektp.ingest.landing import BATCH, LandedFile

    engine, folder = fuzz_warehouse
    landed = LandedFile("batches/2027-01-11/fuzz.csv", BATCH, date(2027, 1, 11))
    (folder / "batches" / "2027-01-11").mkdir(parents=True, exist_ok=True)
    (folder / landed.path).write_bytes(data)
    (out,) = load_batch_files(engine, folder, [landed], "fuzz", chunk_rows=3)
    (status, rows, rejected), = fetch(engine, "SELECT status, row_count, rows_rejected FROM "
                                      "ektp_ingest.file_manifest WHERE file_path = :p", p=landed.path)
    quarantined = fetch(engine, "SELECT count(*) FROM ektp_quarantine.rejected_row WHERE file_path = :p",
                        p=landed.path)[0][0]
    validated = fetch(engine, "SELECT count(*) FROM ektp_ingest.recording WHERE file_path = :p", p=landed.path)[0][0]
    assert status == out.status
    if status == "rejected_file":
        assert out.reason and (quarantined, validated) == (0, 0)
        assert fetch(engine, "SELECT count(*) FROM ektp_quarantine.rejected_file WHERE file_path = :p",
                     p=landed.path) == [(1,)]
    else:
        assert status == "loaded"
        assert rows == _records(data) == out.rows
        assert rows == rejected + validated and rejected == quarantined == out.rejected
