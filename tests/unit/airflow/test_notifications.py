"""The run alert notifier: what it says, where it sends it, and that it never fails its caller."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from airflow.sdk import BaseNotifier
from ektp.airflow import notifications
from ektp.airflow.notifications import DEADLINE_MISSED, RUN_FAILED, RunAlertNotifier, build_alert

NIK = "3174010101900001"
TOKEN = "T0KEN-in-the-url"


def task_context(**extra) -> dict:
    """The shape of a task's (or a DAG callback's, with its last failed task) context."""
    ti = SimpleNamespace(dag_id="ektp_coverage_daily", run_id="scheduled__2026-11-03T17:00:00+00:00",
                         task_id="load_file_group", map_index=3, try_number=3,
                         log_url="http://airflow.example/dags/ektp_coverage_daily/runs/x/tasks/load_file_group")
    dag_run = SimpleNamespace(dag_id="ektp_coverage_daily", run_id=ti.run_id, state="failed",
                              logical_date=datetime(2026, 11, 2, 17, 0, tzinfo=UTC),
                              run_after=datetime(2026, 11, 3, 17, 0, tzinfo=UTC))
    return {"dag": SimpleNamespace(dag_id="ektp_coverage_daily"), "run_id": ti.run_id, "ti": ti,
            "dag_run": dag_run, "logical_date": dag_run.logical_date, "reason": "task_failure", **extra}


def deadline_context() -> dict:
    """The small context the scheduler stores for a missed deadline (DAGRunResponse as JSON)."""
    return {"dag_run": {"dag_id": "ektp_coverage_daily", "dag_run_id": "backfill__2026-11-02T17:00:00+00:00",
                        "logical_date": "2026-11-01T17:00:00Z", "run_after": "2026-11-02T17:00:00Z",
                        "state": "running", "conf": {}},
            "deadline": {"id": "0192", "deadline_time": "2026-11-02T23:00:00+00:00"}}


class Receiver:
    def __init__(self, status: int = 204, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                time.sleep(delay)
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{TOKEN}"
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


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("EKTP_ALERT_WEBHOOK_URL", "EKTP_ALERT_NOTIFIER", "EKTP_ALERT_NOTIFIER_KWARGS",
                 "EKTP_RUN_DEADLINE_MINUTES", "EKTP_ALERT_WEBHOOK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


# --- the message --------------------------------------------------------------------------------


def test_failure_alert_names_dag_run_task_report_date_and_log_but_no_row_content():
    alert = build_alert(task_context(exception=ValueError(f"duplicate key (nik)=({NIK}) Budi")), RUN_FAILED)
    assert alert["report_date"] == "2026-11-03"  # logical date 2026-11-03 00:00 WIB
    assert (alert["dag_id"], alert["task_id"], alert["map_index"], alert["try_number"]) == (
        "ektp_coverage_daily", "load_file_group", 3, 3)
    assert alert["error_type"] == "ValueError"
    text = alert["text"]
    for part in ("ektp_coverage_daily", "2026-11-03", "FAILED", "scheduled__2026-11-03T17:00:00+00:00",
                 "load_file_group[3]", "try 3", "task_failure", "ValueError", alert["log_url"]):
        assert part in text, part
    assert NIK not in json.dumps(alert) and "Budi" not in json.dumps(alert)


def test_deadline_alert_from_the_triggerer_context():
    alert = build_alert(deadline_context(), DEADLINE_MISSED)
    assert alert["report_date"] == "2026-11-02"
    assert alert["run_id"] == "backfill__2026-11-02T17:00:00+00:00"
    assert alert["deadline_time"] == "2026-11-03T06:00:00+07:00"  # shown in WIB
    assert alert["run_state"] == "running"
    assert "is late" in alert["subject"]
    assert alert["log_url"].endswith("/dags/ektp_coverage_daily/runs/backfill__2026-11-02T17%3A00%3A00%2B00%3A00")


def test_dag_callback_without_its_run_still_alerts():
    alert = build_alert({"dag": SimpleNamespace(dag_id="ektp_coverage_daily"), "run_id": "manual__x",
                         "reason": "timed_out"})
    assert alert["report_date"] is None
    assert "report date unknown" in alert["text"] and "timed_out" in alert["text"]


def test_an_empty_context_does_not_raise():
    assert build_alert({})["event"] == RUN_FAILED


# --- channels -----------------------------------------------------------------------------------


def test_always_logs_and_posts_json_to_the_webhook_without_logging_its_token(receiver, caplog):
    caplog.set_level(logging.INFO, logger="ektp.airflow.notifications")
    RunAlertNotifier()(task_context())
    assert [r.levelno for r in caplog.records if r.getMessage().startswith("ALERT ")] == [logging.ERROR]
    (body,) = receiver.bodies
    assert body["event"] == RUN_FAILED and body["report_date"] == "2026-11-03" and body["text"]
    assert TOKEN not in caplog.text


def test_without_a_webhook_it_only_logs(caplog):
    caplog.set_level(logging.INFO, logger="ektp.airflow.notifications")
    RunAlertNotifier(event=DEADLINE_MISSED)(deadline_context())
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/unreachable", "file:///etc/passwd", "not a url"])
def test_a_failing_or_refused_webhook_is_logged_never_raised(monkeypatch, caplog, url):
    monkeypatch.setenv("EKTP_ALERT_WEBHOOK_URL", url)
    RunAlertNotifier()(task_context())
    assert "ALERT " in caplog.text
    assert "failed" in caplog.text or "not an http(s) URL" in caplog.text


def test_webhook_errors_and_slow_webhooks_do_not_hold_up_the_caller(monkeypatch, caplog):
    for server in (Receiver(status=500), Receiver(delay=3)):
        monkeypatch.setenv("EKTP_ALERT_WEBHOOK_URL", server.url)
        monkeypatch.setenv("EKTP_ALERT_WEBHOOK_TIMEOUT", "0.5")
        started = time.monotonic()
        RunAlertNotifier()(task_context())
        assert time.monotonic() - started < 2.5
        server.close()
    assert caplog.text.count("alert webhook http://127.0.0.1:") == 2
    assert TOKEN not in caplog.text


class RecordingNotifier(BaseNotifier):
    """Stands in for a provider notifier (Slack, SMTP): a templated field, like theirs."""

    template_fields = ("text",)
    sent: list[str] = []

    def __init__(self, text: str, fail: bool = False):
        super().__init__()
        self.text = text
        self.fail = fail

    def notify(self, context) -> None:
        if self.fail:
            raise ConnectionError("provider down")
        RecordingNotifier.sent.append(self.text)


def test_a_configured_provider_style_notifier_gets_the_alert_in_its_templates(monkeypatch, caplog):
    RecordingNotifier.sent.clear()
    monkeypatch.setenv("EKTP_ALERT_NOTIFIER", f"{__name__}.RecordingNotifier")
    monkeypatch.setenv("EKTP_ALERT_NOTIFIER_KWARGS", json.dumps({"text": "{{ ektp_alert.subject }}"}))
    RunAlertNotifier()(task_context())
    assert RecordingNotifier.sent == ["ektp_coverage_daily: run for report date 2026-11-03 FAILED"]

    monkeypatch.setenv("EKTP_ALERT_NOTIFIER_KWARGS", json.dumps({"text": "x", "fail": True}))
    RunAlertNotifier()(task_context())  # does not raise
    assert "RecordingNotifier failed: ConnectionError" in caplog.text
    monkeypatch.setenv("EKTP_ALERT_NOTIFIER", "no.such.Notifier")
    RunAlertNotifier()(task_context())
    assert "no.such.Notifier failed" in caplog.text


def test_the_triggerer_awaits_the_notifier(receiver):
    """How the triggerer runs a deadline callback: ``await RunAlertNotifier(**kwargs, context=...)``."""

    async def run_as_triggerer():
        await RunAlertNotifier(event=DEADLINE_MISSED, context=deadline_context())

    asyncio.run(run_as_triggerer())
    assert [b["event"] for b in receiver.bodies] == [DEADLINE_MISSED]


# --- the deadline --------------------------------------------------------------------------------


def test_no_deadline_unless_configured(monkeypatch):
    assert notifications.run_deadline() is None
    monkeypatch.setenv("EKTP_RUN_DEADLINE_MINUTES", "0")
    assert notifications.run_deadline() is None
    monkeypatch.setenv("EKTP_RUN_DEADLINE_MINUTES", "soon")
    assert notifications.run_deadline() is None


def test_deadline_counts_from_queueing_and_alerts_through_the_notifier(monkeypatch):
    from airflow.sdk import AsyncCallback, DeadlineReference

    monkeypatch.setenv("EKTP_RUN_DEADLINE_MINUTES", "360")
    deadline = notifications.run_deadline()
    assert deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert deadline.interval == timedelta(hours=6)
    assert isinstance(deadline.callback, AsyncCallback)
    assert deadline.callback.path == "ektp.airflow.notifications.RunAlertNotifier"
    assert deadline.callback.kwargs == {"event": DEADLINE_MISSED}


def test_an_alert_names_the_report_date_typed_in_the_trigger_form():
    context = task_context(params={"report_date": "2026-10-30"})
    assert build_alert(context)["report_date"] == "2026-10-30"
    assert build_alert(task_context())["report_date"] == "2026-11-03"


def test_a_data_alert_lists_twenty_paths_of_a_kind_and_counts_them_all(monkeypatch, receiver):
    from ektp.airflow.notifications import DATA_PROBLEMS, send_data_alert
    from ektp.ingest.run_findings import ProblemFile, RunFindings, SiteRejections

    monkeypatch.setenv("EKTP_LANGUAGE", "en")
    findings = RunFindings(
        rejected_files=[ProblemFile(f"batches/2026-11-02/f{i:02}.csv", "batch", "2026-11-02", "not_utf8")
                        for i in range(25)],
        ignored=["batches/05-11-2026"], sites=[SiteRejections("SMAN-3", 40, 30)], rejected_percent=10.0)
    alert = send_data_alert(findings, task_context(reason=None))
    (posted,) = receiver.bodies
    assert posted["event"] == alert["event"] == DATA_PROBLEMS and posted["rejected_files"] == 25
    text = posted["text"]
    assert "25 file(s) rejected whole" in text and "f19.csv" in text and "f20.csv" not in text
    assert "and 5 more" in text and "the file is not UTF-8 text" in text
    assert "SMAN-3: 30 of 40 rows rejected (75.0%)" in text and "batches/05-11-2026" in text
    assert posted["sites"] == [{"site_code": "SMAN-3", "rows": 40, "rejected": 30, "percent": 75.0}]
