"""Dates as the contract counts them: WIB, the report date of a run, ages on a report date."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

#: WIB. Indonesia has no daylight saving time, so a fixed offset is exact (contract: UTC+7).
WIB = timezone(timedelta(hours=7), "WIB")


def report_date_of(logical_date: datetime | None, run_after: datetime | None = None,
                   requested: date | str | None = None) -> date:
    """The run for logical date D publishes D, D taken in WIB (contract §5).

    ``airflow dags test ektp_coverage_daily 2026-11-02`` gives 2026-11-02T00:00 UTC (07:00 WIB); the
    nightly schedule gives 2026-11-02T00:00 WIB. Both are 2 November in WIB. A run without a
    logical date (a manual trigger) reports on the WIB day before it starts, the last complete day.
    A report date asked for when the run was triggered (the trigger form's ``report_date``, ``YYYY-MM-DD``)
    comes first: a person who types a date means that date, whatever logical date the form filled in.
    """
    if requested not in (None, ""):
        if isinstance(requested, date):
            return date(requested.year, requested.month, requested.day)
        try:
            day = date.fromisoformat(str(requested))
        except ValueError:
            day = None
        if day is None or day.isoformat() != requested:
            raise ValueError(f"report_date {requested!r} is not a date written YYYY-MM-DD")
        return day
    if logical_date is not None:
        wib = logical_date.astimezone(WIB)
        return date(wib.year, wib.month, wib.day)  # a plain date: drivers reject pendulum's subclass
    if run_after is None:
        raise ValueError("a run needs a logical date to know which report date it publishes")
    return _last_ended(run_after)


class UnfinishedReportDate(ValueError):
    """A run asked for a report date that has not ended in WIB (contract §5): refused, nothing changed."""


def report_date_end(day: date) -> datetime:
    """When report date ``day`` has ended: the next midnight in WIB."""
    return datetime(day.year, day.month, day.day, tzinfo=WIB) + timedelta(days=1)


def refuse_unfinished(day: date, now: datetime) -> None:
    """Raise ``UnfinishedReportDate`` unless report date ``day`` had ended at ``now`` (contract §5).

    Publishing a day that is still going on (or has not started) would move every ``latest_*`` view, the
    report and the outreach list by name to a date whose recordings are not all in. ``now`` is the time the
    run may start (Airflow's ``run_after``: the end of the interval for a scheduled run, the moment of the
    trigger or of ``airflow dags test``), so the refusal never depends on how long a run queued.
    """
    if now.tzinfo is None:
        raise ValueError("the time a run starts must carry its time zone")
    end = report_date_end(day)
    if now < end:
        raise UnfinishedReportDate(
            f"refused: report date {day.isoformat()} has not ended in WIB (it ends at "
            f"{end.strftime('%Y-%m-%d %H:%M')} WIB; this run started at "
            f"{now.astimezone(WIB).strftime('%Y-%m-%d %H:%M')} WIB). A run publishes only a date that has "
            "ended (contract §5). Nothing was changed: no table, no file. Run a date up to "
            f"{_last_ended(now).isoformat()}, or this date once it has ended.")


def _last_ended(now: datetime) -> date:
    """The latest report date that had ended at ``now``: yesterday in WIB."""
    return date.fromordinal(now.astimezone(WIB).date().toordinal() - 1)


def student_age_bounds(report_date: date, youngest: int = 16, oldest: int = 18) -> dict[str, date]:
    """Birth-date bounds of the residents aged ``youngest``..``oldest`` on ``report_date``.

    Aged 16 to 18 on D: born on or before D minus 16 years (``born_by``) and after D minus 19 years
    (``born_after``). A 29 February without its year falls back to 28 February, so a resident born
    on 29 February has the birthday on 1 March in common years.
    """
    return {"born_by": _years_before(report_date, youngest), "born_after": _years_before(report_date, oldest + 1)}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
