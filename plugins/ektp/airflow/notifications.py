"""Alerts for a failed run and for a run that is late: one small Airflow notifier.

``RunAlertNotifier`` is wired in ``dags/ektp_coverage_daily.py`` as the DAG's ``on_failure_callback``
(one alert per failed run, naming the task that failed) and, where it is switched on, as the callback
of a Deadline Alert (the run for D has not finished 6 hours after it was queued: 06:00 WIB on D+1 for
the nightly run).

What it sends, always: one log record (level ERROR for a failure, WARNING for a late run) with the DAG,
run, report date, task, and a link to the task's log. Never row content: the text of an exception
is left out, because a database error can quote a key value (a NIK); only its type is named.

Configured only from the environment (``ektp.core.settings``), read when an alert is sent (so no re-parse is
needed):

- ``EKTP_ALERT_WEBHOOK_URL``: also POST the alert as JSON (``{"text": ..., "event": ..., ...}``; a Slack
  or Teams incoming webhook reads ``text``). http(s) only; ``EKTP_ALERT_WEBHOOK_TIMEOUT`` seconds
  (default 5). The URL is a secret (it often holds a token) and is never logged, only its host.
- ``EKTP_ALERT_NOTIFIER`` + ``EKTP_ALERT_NOTIFIER_KWARGS``: also call another Airflow notifier, e.g. a
  provider's ``airflow.providers.slack.notifications.slack_webhook.SlackWebhookNotifier`` with
  ``{"slack_webhook_conn_id": "slack_alerts", "text": "{{ ektp_alert.text }}"}``. Its templates see the
  alert as ``ektp_alert`` (``text``, ``subject``, and the fields below).
- ``EKTP_RUN_DEADLINE_MINUTES`` (read when the DAG is parsed, so it matters in the DAG processor):
  minutes after a run is queued by which it must have finished; docker-compose.yml sets 360. Unset
  or ``0``: no Deadline Alert. It is off by default because in Airflow 3.3.2 ``dag.test()`` (and so
  ``airflow dags test``, the contract's way to run a date) fails at the end of a *successful* run of a
  DAG that has a Deadline Alert: it looks the alerts up by id, but its DAG holds them unsaved.

Sending an alert never raises: a webhook or notifier that fails is logged, and the run's state and
the other alert channels are not affected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from airflow.sdk import BaseNotifier

from ektp.core.safe_text import escaped
from ektp.core.settings import setting

log = logging.getLogger(__name__)

RUN_FAILED = "run_failed"
DEADLINE_MISSED = "deadline_missed"
DATA_PROBLEMS = "data_problems"
#: paths listed in one data alert, at most, per kind of problem (the counts are always whole)
LISTED = 20


class RunAlertNotifier(BaseNotifier):
    """Log an alert for a run, and pass it on to a webhook and/or another notifier if configured.

    Works with the three contexts Airflow hands a callback: a task's (task-level callback), a DAG
    run's with its last failed task (DAG-level callback, run by the DAG processor), and the small
    dict context of a missed deadline (``{"dag_run": {...}, "deadline": {...}}``, run by the triggerer).
    """

    template_fields = ()

    def __init__(self, event: str = RUN_FAILED, context: Mapping[str, Any] | None = None):
        super().__init__(context=context)  # type: ignore[arg-type]
        self.event = event

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing to render. Skipping it also avoids an Airflow 3.3.2 fault: under ``airflow dags test``
        a DAG-level callback's context holds a SerializedDAG, which has no Jinja environment."""
        if self.template_fields:
            super().render_template_fields(context, jinja_env)

    def notify(self, context) -> None:
        alert = build_alert(context, self.event)
        _log_alert(alert)
        _post_webhook(alert)
        _call_configured_notifier(alert, context)

    async def async_notify(self, context) -> None:
        """The triggerer runs deadline callbacks in its event loop: do the blocking I/O in a thread."""
        import asyncio

        await asyncio.to_thread(self.notify, context)


def run_failure_notifier() -> RunAlertNotifier:
    """The DAG's ``on_failure_callback``."""
    return RunAlertNotifier(event=RUN_FAILED)


def run_deadline():
    """A Deadline Alert: the run has not finished ``EKTP_RUN_DEADLINE_MINUTES`` after it was queued.

    Counted from when the run was queued, not from its logical date: the nightly run for D is queued
    at 00:00 WIB on D+1, so the default 6 hours is 06:00 WIB on D+1, while a backfill or a rerun of an
    old date (whose logical date is long past) is not reported late the moment it is created. Airflow
    runs the callback in the triggerer: without a triggerer, late runs are not reported.
    Returns None (no deadline) when ``EKTP_RUN_DEADLINE_MINUTES`` is unset or 0 (see the module doc).
    """
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    minutes = deadline_minutes()
    if not minutes:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=minutes),
        callback=AsyncCallback(RunAlertNotifier, kwargs={"event": DEADLINE_MISSED}),
        name="ektp_run_not_finished_in_time",
    )


def deadline_minutes() -> float:
    return setting("run_deadline_minutes")


# --- the alert ----------------------------------------------------------------------------------


def build_alert(context: Mapping[str, Any], event: str = RUN_FAILED) -> dict[str, Any]:
    """The alert's fields, from whichever context Airflow passed. Only ids, dates, states and type names."""
    context = context or {}
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")

    dag_id = _first(getattr(dag, "dag_id", None), _field(dag_run, "dag_id"), getattr(ti, "dag_id", None))
    run_id = _first(context.get("run_id"), _field(dag_run, "run_id"), _field(dag_run, "dag_run_id"),
                    getattr(ti, "run_id", None))
    logical_date = _as_datetime(_first(context.get("logical_date"), _field(dag_run, "logical_date")))
    run_after = _as_datetime(_field(dag_run, "run_after"))
    exception = context.get("exception")
    deadline = context.get("deadline") or {}

    alert: dict[str, Any] = {
        "event": event,
        "dag_id": dag_id,
        "run_id": run_id,
        "report_date": _report_date(logical_date, run_after, _requested_date(context, dag_run)),
        "logical_date": _iso(logical_date),
        "run_state": _state(_field(dag_run, "state")),
        "task_id": getattr(ti, "task_id", None),
        "map_index": _map_index(ti),
        "try_number": getattr(ti, "try_number", None),
        "reason": context.get("reason") if isinstance(context.get("reason"), str) else None,
        "error_type": type(exception).__name__ if isinstance(exception, BaseException) else None,
        "deadline_time": _iso(_field(deadline, "deadline_time")),
        "log_url": _log_url(ti, dag_id, run_id),
    }
    alert["subject"] = _subject(alert)
    alert["text"] = _text(alert)
    return alert


def _subject(alert: Mapping[str, Any]) -> str:
    what = "is late" if alert["event"] == DEADLINE_MISSED else "FAILED"
    return f"{alert['dag_id'] or 'DAG'}: run for report date {alert['report_date'] or 'unknown'} {what}"


def _text(alert: Mapping[str, Any]) -> str:
    parts = [f"run {alert['run_id']}"]
    if alert["event"] == DEADLINE_MISSED:
        parts.append(f"not finished by its deadline {alert['deadline_time'] or '?'}")
        if alert["run_state"]:
            parts.append(f"state {alert['run_state']}")
    if alert["task_id"]:
        task = alert["task_id"] + (f"[{alert['map_index']}]" if alert["map_index"] is not None else "")
        parts.append(f"task {task}" + (f" (try {alert['try_number']})" if alert["try_number"] else ""))
    if alert["reason"]:
        parts.append(f"reason {alert['reason']}")
    if alert["error_type"]:
        parts.append(f"error {alert['error_type']}")
    text = f"{alert['subject']}: " + ", ".join(parts)
    if alert["log_url"]:
        text += f". Log: {alert['log_url']}"
    return text


def _log_alert(alert: Mapping[str, Any]) -> None:
    level = logging.WARNING if alert["event"] == DEADLINE_MISSED else logging.ERROR
    log.log(level, "ALERT %s", escaped(alert["text"]))  # a run id or reason is free text


# --- channels: each one's failure is logged and swallowed ----------------------------------------


def _post_webhook(alert: Mapping[str, Any]) -> bool:
    url = setting("alert_webhook_url")
    if not url:
        return False
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        log.error("EKTP_ALERT_WEBHOOK_URL is not an http(s) URL: alert not posted")
        return False
    where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    try:
        import urllib.request

        timeout = setting("alert_webhook_timeout")
        body = json.dumps(dict(alert), default=str).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "ektp-coverage-alerts"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            status = response.status
    except Exception as exc:  # noqa: BLE001 - an alert channel must never fail the caller
        log.error("alert webhook %s failed: %s", where, type(exc).__name__)
        return False
    log.info("alert posted to webhook %s (HTTP %s)", where, status)
    return True


def _call_configured_notifier(alert: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    path = setting("alert_notifier")
    if not path:
        return False
    try:
        from airflow.sdk.module_loading import import_string

        kwargs = setting("alert_notifier_kwargs")
        notifier = import_string(path)(**kwargs)
        context = {**context, "ektp_alert": dict(alert)}
        if not hasattr(context.get("dag"), "get_template_env"):
            context.pop("dag", None)  # a SerializedDAG (under `airflow dags test`) cannot render templates
        notifier(context)
    except Exception as exc:  # noqa: BLE001 - an alert channel must never fail the caller
        log.error("alert notifier %s failed: %s", escaped(path), type(exc).__name__)
        return False
    return True


# --- the data alert: one per run that found data problems, the run stays green --------------------------


def send_data_alert(findings, context: Mapping[str, Any]) -> dict[str, Any]:
    """Send one data alert for ``findings`` (an ``ektp.ingest.run_findings.RunFindings``) through the same
    channels as a failure: the log (level WARNING), the webhook, the configured notifier. Never raises."""
    alert = build_data_alert(findings, context)
    log.warning("DATA ALERT %s", escaped(alert["text"]))
    _post_webhook(alert)
    _call_configured_notifier(alert, context)
    return alert


def build_data_alert(findings, context: Mapping[str, Any]) -> dict[str, Any]:
    """The alert's fields: the run, counts, paths (escaped), site codes and reasons in words; never values."""
    from ektp.core.reasons import describe
    from ektp.core.texts import texts

    _ = texts(setting("language"))
    alert = build_alert(context, DATA_PROBLEMS)
    alert.update(findings.to_xcom())
    alert["subject"] = _("{dag}: data problems in the run for report date {date}",
                         dag=alert["dag_id"] or "DAG", date=alert["report_date"] or "?")
    lines = [alert["subject"] + " (" + _("run {run}; the run went on and published", run=alert["run_id"]) + ")"]

    def listed(header: str, items: list[str]) -> None:
        lines.append(header)
        lines.extend(f"- {item}" for item in items[:LISTED])
        if len(items) > LISTED:
            lines.append("- " + _("and {n} more", n=_.number(len(items) - LISTED)))

    if findings.rejected_files:
        listed(_("{n} file(s) rejected whole; their rows count nowhere:", n=_.number(len(findings.rejected_files))),
               [f"{f.path}: {describe(f.reason, _)}" for f in findings.rejected_files])
    if findings.rejected_extracts:
        listed(_("{n} SIAK extract(s) rejected or refused; the extract before stays in force:",
                 n=_.number(len(findings.rejected_extracts))),
               [f"{f.path}: {describe(f.reason, _)}" for f in findings.rejected_extracts])
    if findings.ignored:
        listed(_("{n} path(s) in the landing area ignored: not the layout (folders are dates written YYYY-MM-DD, "
                 "batch files end in .csv):", n=_.number(len(findings.ignored))), list(findings.ignored))
    if findings.sites:
        listed(_("{n} outreach site(s) with more than {percent} of their rows rejected:",
                 n=_.number(len(findings.sites)), percent=_.percent(findings.rejected_percent, 0)),
               [_("{site}: {rejected} of {rows} rows rejected ({percent})", site=s.site_code or "?",
                  rejected=_.number(s.rejected), rows=_.number(s.rows), percent=_.percent(s.percent, 1))
                for s in findings.sites])
    if alert["log_url"]:
        lines.append(_("Log: {url}", url=alert["log_url"]))
    alert["text"] = "\n".join(lines)
    return alert


# --- reading the context --------------------------------------------------------------------------


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _iso(value: Any) -> str | None:
    """A timestamp in WIB, the time zone the operators and the contract work in."""
    parsed = _as_datetime(value)
    if parsed is None:
        return str(value) if value else None
    return _wib(parsed).isoformat()


def _wib(value: datetime) -> datetime:
    from ektp.core.calendar import WIB

    return value.astimezone(WIB) if value.tzinfo else value


def _requested_date(context: Mapping[str, Any], dag_run: Any) -> Any:
    """The report date typed in the trigger form, if any (the run's params, or its conf)."""
    for holder in (context.get("params"), _field(dag_run, "conf")):
        if isinstance(holder, Mapping) and holder.get("report_date"):
            return holder.get("report_date")
    return None


def _report_date(logical_date: datetime | None, run_after: datetime | None, requested: Any = None) -> str | None:
    from ektp.core.calendar import report_date_of

    try:
        day: date = report_date_of(logical_date, run_after, requested)
    except Exception:  # noqa: BLE001 - no date in the context (e.g. a DAG callback without its run)
        return None
    return day.isoformat()


def _state(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _map_index(ti: Any) -> int | None:
    index = getattr(ti, "map_index", None)
    return index if isinstance(index, int) and index >= 0 else None


def _log_url(ti: Any, dag_id: str | None, run_id: str | None) -> str | None:
    try:
        url = getattr(ti, "log_url", None)
        if isinstance(url, str) and url:
            return url
        if not (dag_id and run_id):
            return None
        from airflow.sdk.configuration import conf

        base = conf.get("api", "base_url", fallback="") or "http://localhost:8080/"
        return f"{base.rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id)}"
    except Exception:  # noqa: BLE001 - a link is a convenience
        return None
