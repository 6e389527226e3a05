"""
### e-KTP outreach coverage, nightly

Publishes report date **D** (WIB) for the run whose logical date is D: takes in the day's field
recording batches from `EKTP_LANDING_DIR`, validates them with Great Expectations (rejected rows
go to `ektp_quarantine` with their reasons), reconciles accepted recordings with the SIAK extract
in force, and replaces D's partitions of the `ektp_coverage` tables in one transaction, together
with every earlier-published date that late or changed files affect.

Warehouse: the `ektp_warehouse` connection. Runbook and table reference: the project README.
Alerts (`ektp.airflow.notifications`): a failed run is logged and sent to `EKTP_ALERT_WEBHOOK_URL` if set;
so is a run not finished `EKTP_RUN_DEADLINE_MINUTES` after it was queued, where that is set
(docker-compose.yml: 360, i.e. 06:00 WIB on D+1 for the nightly run).

Every wait is bounded: a task try fails after `EKTP_TASK_TIMEOUT_MINUTES` (default 60) and is retried
twice, `EKTP_RETRY_DELAY_MINUTES` (default 5) apart; a run fails after `EKTP_RUN_TIMEOUT_MINUTES`
(default 300) running.
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable
from ektp.airflow import dag_limits, notifications, tasks

COVERAGE_TABLES = Asset(name="ektp_coverage")

with DAG(
    dag_id="ektp_coverage_daily",
    description="Validate e-KTP field recordings, reconcile with SIAK, publish daily coverage",
    doc_md=__doc__,
    # The interval [D 00:00 WIB, D+1 00:00 WIB) has logical date D and runs once D has ended.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Jakarta"),
    start_date=dag_limits.START_DATE,  # early: no past report date is dropped (contract §5)
    catchup=False,
    max_active_runs=1,
    # Generous but finite time limits (docs/decisions.md): a hung task or run fails and alerts.
    default_args=dag_limits.default_args(),
    dagrun_timeout=dag_limits.run_timeout(),
    tags=["ektp", "dukcapil", "coverage"],
    # One alert per failed run (naming the failed task); retries that succeed stay quiet.
    on_failure_callback=notifications.run_failure_notifier(),
    deadline=notifications.run_deadline(),
) as dag:

    @task
    def plan_file_loads() -> list[dict]:
        ctx = get_current_context()
        return tasks.plan_file_loads(ctx.get("logical_date"), ctx["dag_run"].run_after)

    @task(map_index_template="{{ item_label }}")
    def load_file_group(item: dict) -> dict:
        ctx = get_current_context()
        ctx["item_label"] = tasks.describe_item(item)
        return tasks.load_file_group(item, ctx["run_id"])

    @task(trigger_rule="none_failed", outlets=[COVERAGE_TABLES])
    def publish_coverage() -> dict:
        ctx = get_current_context()
        return tasks.publish_coverage(ctx.get("logical_date"), ctx["run_id"], ctx["dag_run"].run_after)

    @task
    def write_coverage_report(published: dict) -> dict:
        ctx = get_current_context()
        return tasks.write_coverage_report(published, ctx.get("logical_date"), ctx["dag_run"].run_after)

    published = publish_coverage()
    load_file_group.expand(item=plan_file_loads()) >> published
    write_coverage_report(published)
