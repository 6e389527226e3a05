"""
### e-KTP outreach coverage, nightly

Publishes report date **D** (WIB) for the run whose logical date is D: takes in the day's field
recording batches from `EKTP_LANDING_DIR`, validates them with Great Expectations (rejected rows
go to `ektp_quarantine` with their reasons), reconciles accepted recordings with the SIAK extract
in force, and replaces D's partitions of the `ektp_coverage` tables in one transaction, together
with every earlier-published date that late or changed files affect.

**Run a date**: `airflow dags test ektp_coverage_daily 2026-11-03`, or *Trigger* here with the
**report date** filled in (a date typed in the form wins over the logical date the form fills in).
A date that has not ended in WIB (today or later) is refused at once and nothing changes. To rerun a
date, run it again or clear its run: the pipeline is idempotent. To withdraw a published date, trigger
`ektp_retract_date`.

Runbook: [docs/runbook.md](docs/runbook.md) in the project (run, backfill, rerun, withdraw, quarantine
queries, alerts); tables and columns: [docs/tables.md](docs/tables.md); the contract:
[docs/CONTRACT.md](docs/CONTRACT.md).

Warehouse: the `ektp_warehouse` connection. Alerts (`ektp.airflow.notifications`): a failed run is logged and
sent to `EKTP_ALERT_WEBHOOK_URL` if set; so is a run not finished `EKTP_RUN_DEADLINE_MINUTES` after it was
queued, where that is set (docker-compose.yml: 360, i.e. 06:00 WIB on D+1 for the nightly run). A run that
rejects a file, ignores a path of the landing area, refuses an extract or rejects more than
`EKTP_ALERT_REJECTED_PERCENT` of a site's rows sends one **data alert** the same way, and stays green.

Every wait is bounded: a task try fails after `EKTP_TASK_TIMEOUT_MINUTES` (default 60) and is retried
twice, `EKTP_RETRY_DELAY_MINUTES` (default 5) apart; a run fails after `EKTP_RUN_TIMEOUT_MINUTES`
(default 300) running; the warehouse's waits (connect, statement, locks, the writers' lock) have their own
`EKTP_PG_*` and `EKTP_WRITE_LOCK_WAIT_MINUTES` limits. A configuration error (no `ektp_warehouse`
connection, no such database, a refused login, a missing right, a mistyped setting) fails at once, not
retried, naming the connection, host and database; under `airflow dags test` nothing is retried unless
`EKTP_RETRY_IN_DAGS_TEST=on`.
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable
from ektp.airflow import dag_limits, notifications, tasks

COVERAGE_TABLES = Asset(name="ektp_coverage", extra=dag_limits.coverage_asset_extra())

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
    owner_links=dag_limits.owner_links(),
    params={"report_date": dag_limits.report_date_param(
        "The report date to publish (WIB), YYYY-MM-DD; it must have ended. Empty: the run's logical date "
        "(a scheduled run, `airflow dags test`), or yesterday for a trigger without one.")},
    # One alert per failed run (naming the failed task); retries that succeed stay quiet.
    on_failure_callback=notifications.run_failure_notifier(),
    deadline=notifications.run_deadline(),
) as dag:

    @task
    def plan_file_loads() -> list[dict]:
        """Compare the landing area with the file manifest and plan the loads.

        **Reads** the landing area `EKTP_LANDING_DIR` (names and sizes; the bytes of new or changed files)
        and `ektp_ingest.file_manifest`. **Writes** nothing but the warehouse schema (created or migrated on
        the first run). Hands the mapped loads their work items: counts and paths, never rows.
        Refuses a report date that has not ended in WIB (the run fails at once, no retry, nothing changed).

        **Rerun**: clear this task with its downstream tasks, or run the date again."""
        ctx = get_current_context()
        return tasks.plan_file_loads(ctx.get("logical_date"), ctx["dag_run"].run_after,
                                     ctx["params"].get("report_date"))

    @task(map_index_template="{{ item_label }}")
    def load_file_group(item: dict) -> dict:
        """Validate and load one group of files (or the extracts, or the skipped files' records).

        **Reads** the group's landed files. **Writes** `ektp_ingest` (accepted rows, extracts, file manifest)
        and `ektp_quarantine` (rejected rows whole, rejected files), one transaction per file: a killed
        load leaves nothing half-written. Nothing is published yet.

        **Rerun**: clearing one mapped instance reloads its files; the run's publish then runs again."""
        ctx = get_current_context()
        ctx["item_label"] = tasks.describe_item(item)
        return tasks.load_file_group(item, ctx["run_id"])

    @task(trigger_rule="none_failed", outlets=[COVERAGE_TABLES])
    def publish_coverage() -> dict:
        """Resolve duplicates, reconcile with the extract in force and publish.

        **Reads** `ektp_ingest`. **Writes** the report date's partitions of every `ektp_coverage` table (and
        every published date that changed files affect), `ektp_ingest.published_report`, in ONE transaction
        that audits conservation first (write, audit, publish); emits the `ektp_coverage` asset.

        **Rerun**: clear it (or run the date again): it publishes exactly what a fresh run would."""
        ctx = get_current_context()
        return tasks.publish_coverage(ctx.get("logical_date"), ctx["run_id"], ctx["dag_run"].run_after,
                                      ctx["params"].get("report_date"))

    @task
    def write_coverage_report(published: dict) -> dict:
        """Write the HTML report and the follow-up lists of every date the run published.

        **Reads** `ektp_coverage` and the restricted follow-up tables. **Writes** `EKTP_REPORT_DIR`:
        `coverage_<date>.html`, `followup/<date>/` (restricted: NIKs and names) and the outreach list by name.
        `EKTP_REPORTS=off` skips it.

        **Rerun**: clear it; it rewrites the same files from the published tables."""
        ctx = get_current_context()
        return tasks.write_coverage_report(published, ctx.get("logical_date"), ctx["dag_run"].run_after,
                                           ctx["params"].get("report_date"))

    @task
    def send_data_alert() -> dict:
        """Send one data alert if the run found data problems; the run stays green.

        **Reads** the file manifest rows this run wrote and the landing area's names. **Writes** nothing:
        sends one alert (log, `EKTP_ALERT_WEBHOOK_URL`, `EKTP_ALERT_NOTIFIER`) naming rejected files,
        rejected or refused extracts, ignored paths and sites with more than `EKTP_ALERT_REJECTED_PERCENT` of
        their rows rejected: counts, paths and reasons, never values.

        **Rerun**: clear it to send the alert again."""
        ctx = get_current_context()
        return tasks.send_data_alert(ctx["run_id"], ctx)

    published = publish_coverage()
    # a mapped task does not take its docstring as doc_md by itself
    load_file_group.override(doc_md=load_file_group.function.__doc__).expand(item=plan_file_loads()) >> published
    write_coverage_report(published)
    published >> send_data_alert()
