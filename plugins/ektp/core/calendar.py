"""Dates as the contract counts them: WIB, the report date of a run, ages on a report date."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

#: WIB. Indonesia has no daylight saving time, so a fixed offset is exact (contract: UTC+7).
WIB = timezone(timedelta(hours=7), "WIB")


def report_date_of(logical_date: datetime | None, run_after: datetime | None = None) -> date:
    """The run for logical date D publishes D, D taken in WIB (contract §5).

    ``airflow dags test ektp_coverage_daily 2026-11-02`` gives 2026-11-02T00:00 UTC (07:00 WIB); the
    nightly schedule gives 2026-11-02T00:00 WIB. Both are 2 November in WIB. A run without a
    logical date (a manual trigger) reports on the WIB day before it starts, the last complete day.
    """
    if logical_date is not None:
        wib = logical_date.astimezone(WIB)
        return date(wib.year, wib.month, wib.day)  # a plain date: drivers reject pendulum's subclass
    if run_after is None:
        raise ValueError("a run needs a logical date to know which report date it publishes")
    return date.fromordinal(run_after.astimezone(WIB).date().toordinal() - 1)


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
