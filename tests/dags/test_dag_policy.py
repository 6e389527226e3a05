"""Policy checks over every DAG in dags/ (Mozilla / Astronomer style)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def dagbag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dags_import_cleanly(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"ektp_coverage_daily", "ektp_retract_date"}


def test_owner_retries_tags_and_docs(dagbag):
    for dag in dagbag.dags.values():
        if dag.timetable.can_be_scheduled:
            assert dag.dag_id.endswith("_daily"), "a scheduled dag_id ends in its cadence"
        else:
            assert dag.params, "a DAG only a person triggers asks for what it needs (Params)"
        assert dag.tags and "ektp" in dag.tags
        assert dag.doc_md and "report date" in dag.doc_md.lower()
        assert dag.max_active_runs == 1
        assert not dag.catchup
        for task in dag.tasks:
            assert task.owner == "dukcapil-data"
            assert task.retries >= 1
            verb = task.task_id.split("_")[0]
            assert verb in {"plan", "load", "publish", "record", "build", "write", "retract", "send"}, task.task_id


def test_task_graph(dagbag):
    dag = dagbag.get_dag("ektp_coverage_daily")
    assert {t.task_id for t in dag.tasks} >= {"plan_file_loads", "load_file_group", "publish_coverage"}
    publish = dag.get_task("publish_coverage")
    assert "load_file_group" in publish.upstream_task_ids
    assert publish.trigger_rule == "none_failed"
    assert publish.outlets, "publishing emits an Asset for downstream consumers"


def test_failed_runs_alert_through_the_notifier(dagbag):
    """One alert per failed run, through ektp.airflow.notifications (log; webhook or provider notifier if set)."""
    from ektp.airflow.notifications import RunAlertNotifier

    for dag in dagbag.dags.values():
        callbacks = dag.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert any(isinstance(c, RunAlertNotifier) for c in callbacks), dag.dag_id
        # Off unless EKTP_RUN_DEADLINE_MINUTES is set: with a deadline, dag.test() fails in Airflow 3.3.2.
        if not os.environ.get("EKTP_RUN_DEADLINE_MINUTES"):
            assert not dag.deadline, "a default Deadline Alert would break `airflow dags test`"


def test_every_wait_is_bounded(dagbag):
    """A hung task or run ends in a failure (which alerts) instead of holding the next night; the defaults
    are docker-compose.yml's, so a run outside compose behaves as one in it."""
    from tests.unit.test_compose_file import compose_airflow_environment

    compose = compose_airflow_environment()
    for dag in dagbag.dags.values():
        assert dag.dagrun_timeout == timedelta(minutes=float(compose["EKTP_RUN_TIMEOUT_MINUTES"])), dag.dag_id
        for task in dag.tasks:
            assert task.execution_timeout == timedelta(minutes=float(compose["EKTP_TASK_TIMEOUT_MINUTES"])), task
            assert task.retry_delay == timedelta(minutes=float(compose["EKTP_RETRY_DELAY_MINUTES"])), task
            assert task.execution_timeout < dag.dagrun_timeout


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.stem)
def test_wait_settings_come_from_the_environment(tmp_path, dag_file):
    """Each component reads them when it parses the DAG; a timeout of zero (or less) is refused, not unbounded."""
    code = (
        "import os, sys, runpy, json;"
        f"sys.path.insert(0, {str(ROOT / 'plugins')!r});"
        f"dag = runpy.run_path({str(dag_file)!r})['dag'];"
        "task = dag.tasks[0];"
        "print(json.dumps([task.execution_timeout.total_seconds(), task.retry_delay.total_seconds(),"
        " dag.dagrun_timeout.total_seconds()]))"
    )
    env = {"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "EKTP_TASK_TIMEOUT_MINUTES": "7.5",
           "EKTP_RETRY_DELAY_MINUTES": "0", "EKTP_RUN_TIMEOUT_MINUTES": "11"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [450.0, 0.0, 660.0]
    for name in ("EKTP_TASK_TIMEOUT_MINUTES", "EKTP_RUN_TIMEOUT_MINUTES"):
        refused = subprocess.run([sys.executable, "-c", code], env={**env, name: "0"}, capture_output=True,
                                 text=True, timeout=120)
        assert refused.returncode != 0 and f"{name}: must be above 0" in refused.stderr, refused.stderr[-2000:]


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.stem)
def test_nothing_heavy_or_io_at_parse_time(tmp_path, dag_file):
    """Parsing a DAG must not import pandas, Great Expectations or warehouse code, nor touch the warehouse."""
    code = (
        "import sys, runpy, os;"
        f"sys.path.insert(0, {str(ROOT / 'plugins')!r});"
        f"runpy.run_path({str(dag_file)!r});"
        "heavy = [m for m in ('pandas', 'great_expectations', 'ektp.ingest.validation', 'ektp.warehouse')"
        " if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    env = {"AIRFLOW_HOME": str(tmp_path), "EKTP_LANDING_DIR": str(tmp_path / "missing"),
           "AIRFLOW_CONN_EKTP_WAREHOUSE": f"sqlite:///{tmp_path / 'never-created.sqlite'}",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert not (tmp_path / "never-created.sqlite").exists()


def test_the_retraction_dag_runs_only_when_triggered_with_a_date_and_a_reason(dagbag):
    import copy

    from airflow.sdk.definitions.param import ParamValidationError

    dag = dagbag.get_dag("ektp_retract_date")
    assert not dag.timetable.can_be_scheduled
    assert dag.is_paused_upon_creation is False, "a paused DAG would queue the retraction without running it"
    assert [t.task_id for t in dag.tasks] == ["retract_report_date"]
    for value in ("2026-11-4", "04/11/2026", "2026-02-30", None):
        with pytest.raises(ParamValidationError):
            copy.deepcopy(dag.params)["report_date"] = value
    for value in ("", None):
        with pytest.raises(ParamValidationError):
            copy.deepcopy(dag.params)["reason"] = value
    params = copy.deepcopy(dag.params)
    params.update({"report_date": "2026-11-04", "reason": "published by mistake"})
    assert params.validate() == {"report_date": "2026-11-04", "reason": "published by mistake", "dry_run": False}


# --- what the Airflow UI shows -------------------------------------------------------------------------


def test_every_task_says_what_it_reads_writes_and_how_to_rerun_it(dagbag):
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            doc = task.doc_md or ""
            for word in ("Reads", "Writes", "Rerun"):
                assert f"**{word}**" in doc, (dag.dag_id, task.task_id, word)


def test_the_dag_docs_link_the_runbook_and_the_owner_has_a_contact_link(dagbag):
    for dag in dagbag.dags.values():
        assert "docs/runbook.md" in dag.doc_md, dag.dag_id
        link = dag.owner_links.get("dukcapil-data", "")
        assert link.startswith(("mailto:", "https://")), (dag.dag_id, dag.owner_links)


def test_the_owner_link_comes_from_the_environment(tmp_path):
    code = (
        "import sys, runpy;"
        f"sys.path.insert(0, {str(ROOT / 'plugins')!r});"
        f"print(runpy.run_path({str(ROOT / 'dags' / 'ektp_coverage_daily.py')!r})['dag'].owner_links)"
    )
    env = {"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "EKTP_OWNER_LINK": "https://chat.example/dukcapil"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'dukcapil-data': 'https://chat.example/dukcapil'" in done.stdout


def test_the_trigger_form_asks_for_a_report_date_and_validates_it(dagbag):
    import copy

    from airflow.sdk.definitions.param import ParamValidationError
    from airflow.serialization.serialized_objects import DagSerialization

    dag = dagbag.get_dag("ektp_coverage_daily")
    for value in ("2026-11-4", "04/11/2026", "2026-02-30", "yesterday"):
        with pytest.raises(ParamValidationError):
            copy.deepcopy(dag.params)["report_date"] = value
    params = copy.deepcopy(dag.params)
    assert params.validate() == {"report_date": None}, "a scheduled run needs no report date"
    params["report_date"] = "2026-11-04"
    assert params.validate() == {"report_date": "2026-11-04"}
    # what the UI renders the form from: the serialized DAG's params, with a title and a description
    serialized = DagSerialization.to_dict(dag)["dag"]["params"]
    (name, param), = [(n, p) for n, p in serialized]
    schema = param["schema"].get("__var", param["schema"])
    assert name == "report_date" and schema["format"] == "date" and schema["title"] == "Report date"
    assert schema["type"] == ["null", "string"] and "YYYY-MM-DD" in param["description"]


def test_the_published_asset_says_what_it_is(dagbag):
    (asset,) = dagbag.get_dag("ektp_coverage_daily").get_task("publish_coverage").outlets
    assert asset.name == "ektp_coverage"
    assert "ektp_coverage" in asset.extra["description"] and asset.extra["docs"] == "docs/tables.md"
