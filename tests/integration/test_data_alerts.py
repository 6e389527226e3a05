"""The data alert: a run that rejects a file, ignores a folder of the landing area, refuses an extract or rejects
too many of a site's rows sends ONE alert through the failure alerts' channels (here a real webhook receiver on
a local port) and stays green; a run with nothing wrong sends none. Real ``dag.test()`` runs on both warehouses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_dag_test
from tests.integration.nik_scan import landing_niks, niks_in

pytestmark = pytest.mark.slow

D1, D2 = "2026-11-02", "2026-11-03"
BATCH_HEADER = "batch_id,site_code,site_name,operator_id,recorded_at,nik,full_name,birth_date,sex,kelurahan_code"


class Receiver:
    """A webhook endpoint: every POSTed JSON body, in order."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.raw: list[str] = []
        bodies, raw = self.bodies, self.raw

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                raw.append(body)
                bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/data"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch) -> Iterator[Receiver]:
    r = Receiver()
    monkeypatch.setenv("EKTP_ALERT_WEBHOOK_URL", r.url)
    yield r
    r.close()


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _land_problems(landing: Path) -> None:
    """D2's problems: one of each kind the alert reports, and a hidden file it must not."""
    _write(landing / "batches" / D2 / "NO-NIK-COLUMN.csv",
           ["batch_id,site_code,site_name,operator_id,recorded_at,full_name,birth_date,sex",
            f"B9,RW98,Balai RW 98,OP9,{D2}T09:00:00+07:00,Siti,1990-01-01,P"])
    # a batch folder with the date written the Indonesian way: ignored by the scan, so never loaded
    _write(landing / "batches" / "03-11-2026" / "RW97_TAB01.csv",
           [BATCH_HEADER, f"B8,RW97,Balai RW 97,OP8,{D2}T09:00:00+07:00,3174010101900001,Adi,1990-01-01,L,"])
    _write(landing / "batches" / D2 / ".partial-upload.csv", [BATCH_HEADER])
    # every row of this site is rejected (the NIK is not 16 digits): 100 % is over the threshold
    _write(landing / "batches" / D2 / "RW99-BAD_TAB01.csv",
           [BATCH_HEADER] + [f"B7,RW99-BAD,Balai RW 99,OP7,{D2}T10:0{i}:00+07:00,31740101019000{i},Ani,1990-01-01,P,"
                             for i in range(4)])
    # an extract a tenth of the size of the one before: refused as implausible, the earlier one stays in force
    registry = sorted((landing / "registry").iterdir())[0] / "unrecorded_residents.csv"
    lines = registry.read_text(encoding="utf-8").splitlines()
    _write(landing / "registry" / D2 / "unrecorded_residents.csv", lines[: 1 + (len(lines) - 1) // 10])


def test_one_data_alert_per_run_with_problems_and_the_run_stays_green(
        coverage_dag, warehouse_url, tmp_path, monkeypatch, receiver):
    from tools.sample_data import generate

    landing = tmp_path / "landing"
    generate(landing, seed=5, start_date=date.fromisoformat(D1), days=2, residents=300,
             recordings_per_day=80, files_per_day=3, error_rate=0.0, progress=False)
    monkeypatch.setenv("EKTP_RETRY_DELAY_MINUTES", "0")  # a failing task shows at once, not after 10 minutes
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.setenv("EKTP_ALERT_REJECTED_PERCENT", "50")
    monkeypatch.setenv("EKTP_LANGUAGE", "en")

    clean = run_dag_test(coverage_dag, D1, landing, warehouse_url)
    assert clean.state == "success"
    assert receiver.bodies == [], "a run with nothing wrong sends no alert"

    _land_problems(landing)
    run = run_dag_test(coverage_dag, D2, landing, warehouse_url)
    assert run.state == "success", "data problems never fail the run"
    assert len(receiver.bodies) == 1, receiver.bodies
    alert = receiver.bodies[0]
    assert alert["event"] == "data_problems" and alert["report_date"] == D2 and alert["run_id"] == run.run_id
    assert alert["rejected_files"] == 1 and alert["rejected_extracts"] == 1 and alert["sites_over_threshold"] == 1
    by_path = {f["path"]: f["reason"] for f in alert["files"]}
    assert by_path == {f"batches/{D2}/NO-NIK-COLUMN.csv": "missing_column",
                       f"registry/{D2}/unrecorded_residents.csv": "implausible_extract"}
    assert "batches/03-11-2026" in alert["ignored"]
    assert not any("partial-upload" in p for p in alert["ignored"]), "hidden names are left alone"
    (site,) = alert["sites"]
    assert (site["site_code"], site["rows"], site["rejected"], site["percent"]) == ("RW99-BAD", 4, 4, 100.0)
    text = alert["text"]
    assert "a required column is missing from the header" in text
    assert "fewer than half the residents of the extract before" in text
    assert "RW99-BAD: 4 of 4 rows rejected (100.0%)" in text and "more than 50%" in text
    assert not niks_in(receiver.raw[0], landing_niks(landing)), "an alert never holds a NIK"
    assert "Siti" not in receiver.raw[0] and "Ani" not in receiver.raw[0]


def test_the_data_alert_speaks_indonesian_by_default_and_escapes_paths(coverage_dag, sqlite_url, tmp_path,
                                                                        monkeypatch, receiver):
    from tools.sample_data import generate

    landing = tmp_path / "landing"
    generate(landing, seed=6, start_date=date.fromisoformat(D1), days=1, residents=200,
             recordings_per_day=40, files_per_day=2, error_rate=0.0, progress=False)
    monkeypatch.setenv("EKTP_RETRY_DELAY_MINUTES", "0")  # a failing task shows at once, not after 10 minutes
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.delenv("EKTP_LANGUAGE", raising=False)
    _write(landing / "batches" / "2026-11-2\x1b[31m" / "x.csv", [BATCH_HEADER])  # a terminal escape in a name
    run = run_dag_test(coverage_dag, D1, landing, sqlite_url)
    assert run.state == "success"
    (alert,) = receiver.bodies
    assert alert["ignored"] == ["batches/2026-11-2\\u001b[31m"], "escaped, as in the logs"
    assert "\x1b" not in json.dumps(alert, ensure_ascii=False), "the escape character itself never goes out"
    assert "diabaikan" in alert["text"], alert["text"]
