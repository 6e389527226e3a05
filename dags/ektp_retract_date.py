"""
### Withdraw a published report date

Trigger it by hand, with the **report date** to withdraw and the reason (both required; `dry_run` only shows
what would go). In one transaction, taking the same write lock as every run, it removes that date from every
`ektp_coverage` table, from the list of published dates (`ektp_ingest.published_report`: the date then counts
as never published, and no later run brings it back unless that date is run again) and from the follow-up
lists, and writes an audit row to `ektp_ingest.retraction` (when, this run, who triggered it, the reason, the
rows removed per table). The `latest_*` views then show the latest date still published. After the commit
the date's HTML report and follow-up CSV folder are removed; the outreach list by name, if it was for that
date, is rebuilt for the new latest date.

A date that is not published is refused and nothing changes. No other published date depends on the one
withdrawn: they stay as they are. The same as `python -m ektp.admin.retract --date D --reason "..."`;
runbook: docs/runbook.md, "Withdraw a published date".

    airflow dags test ektp_retract_date --conf '{"report_date": "2026-11-04", "reason": "test run"}'
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, get_current_context, task
from ektp.airflow import dag_limits, notifications

with DAG(
    dag_id="ektp_retract_date",
    description="Withdraw one published report date from every ektp_coverage table (audited)",
    doc_md=__doc__,
    schedule=None,  # only ever triggered by a person
    is_paused_upon_creation=False,  # so a trigger runs at once: with no schedule it never runs by itself
    start_date=dag_limits.START_DATE,  # early: no past report date is dropped (contract §5)
    catchup=False,
    max_active_runs=1,
    default_args=dag_limits.default_args(),
    dagrun_timeout=dag_limits.run_timeout(),
    tags=["ektp", "dukcapil", "retraction"],
    owner_links=dag_limits.owner_links(),
    on_failure_callback=notifications.run_failure_notifier(),
    params={
        "report_date": Param(type="string", format="date", title="Report date",
                             description="The published report date to withdraw (WIB), YYYY-MM-DD."),
        "reason": Param(type="string", minLength=1, maxLength=1000, title="Reason",
                        description="Why, for the audit table ektp_ingest.retraction. No NIKs or names."),
        "dry_run": Param(False, type="boolean", title="Dry run",
                         description="Only show (in the task log) what would be removed."),
    },
) as dag:

    @task
    def retract_report_date() -> dict:
        """Withdraw the report date given in the trigger form, in one audited transaction.

        **Reads** `ektp_ingest.published_report` and the date's rows. **Writes** deletes the date from every
        `ektp_coverage` table, `ektp_ingest.published_report` and the follow-up lists, adds an audit row to
        `ektp_ingest.retraction`; then removes the date's report and follow-up folder from `EKTP_REPORT_DIR`.

        **Rerun**: clearing it after a commit finishes the file removal; a date no longer published is
        refused, changing nothing."""
        from ektp.admin.retract import retract_for_airflow
        from ektp.airflow.failures import fail_fast

        ctx = get_current_context()
        params, dag_run = ctx["params"], ctx["dag_run"]
        retract = fail_fast(retract_for_airflow)  # a configuration error: failed at once, not retried
        return retract(params["report_date"], params["reason"], dag_id=dag_run.dag_id, run_id=ctx["run_id"],
                       triggered_by=getattr(dag_run, "triggering_user_name", None), dry_run=bool(params["dry_run"]))

    retract_report_date()
