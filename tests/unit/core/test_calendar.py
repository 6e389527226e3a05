"""The calendar of the contract: the report date a run publishes, and ages on a report date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pendulum
import pytest
from ektp.core.calendar import (
    WIB,
    UnfinishedReportDate,
    refuse_unfinished,
    report_date_end,
    report_date_of,
    student_age_bounds,
)


@pytest.mark.parametrize(("logical", "run_after", "published"), [
    # `airflow dags test ektp_coverage_daily D`: D 00:00 UTC, 07:00 WIB
    (datetime(2026, 11, 2, tzinfo=UTC), None, date(2026, 11, 2)),
    # the nightly schedule: D 00:00 WIB
    (pendulum.datetime(2026, 11, 2, tz="Asia/Jakarta"), None, date(2026, 11, 2)),
    (datetime(2026, 11, 1, 17, 0, tzinfo=UTC), None, date(2026, 11, 2)),  # midnight WIB
    (datetime(2026, 11, 1, 16, 59, 59, tzinfo=UTC), None, date(2026, 11, 1)),  # a second before it
    (datetime(2026, 11, 2, 23, 0, tzinfo=timezone(timedelta(hours=-5))), None, date(2026, 11, 3)),
    (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), None, date(2027, 1, 1)),  # a new year in WIB first
    # no logical date (a manual trigger): the WIB day before the run starts, the last complete day
    (None, datetime(2026, 11, 3, 1, 0, tzinfo=WIB), date(2026, 11, 2)),
    (None, datetime(2026, 11, 2, 18, 0, tzinfo=UTC), date(2026, 11, 2)),  # 01:00 WIB on the 3rd
    (None, datetime(2026, 11, 2, 16, 59, tzinfo=UTC), date(2026, 11, 1)),  # 23:59 WIB on the 2nd
    (None, datetime(2027, 1, 1, 0, 30, tzinfo=WIB), date(2026, 12, 31)),
])
def test_the_report_date_of_a_run(logical, run_after, published):
    found = report_date_of(logical, run_after)
    assert found == published
    assert type(found) is date  # not pendulum's subclass: database drivers reject it


def test_a_run_without_any_date_has_no_report_date():
    with pytest.raises(ValueError, match="logical date"):
        report_date_of(None, None)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@pytest.mark.parametrize("day", [date(2026, 11, 4), date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1),
                                 date(2026, 1, 1), date(2025, 12, 31)])
def test_student_age_bounds_are_aged_16_to_18(day):
    bounds = student_age_bounds(day)
    birth = date(day.year - 21, 1, 1)
    while birth <= date(day.year - 14, 12, 31):
        inside = bounds["born_after"] < birth <= bounds["born_by"]
        assert inside == (16 <= _age(birth, day) <= 18), (day, birth)
        birth += timedelta(days=1)


@pytest.mark.parametrize(("day", "born_by", "born_after"), [
    (date(2026, 11, 4), date(2010, 11, 4), date(2007, 11, 4)),
    (date(2028, 2, 29), date(2012, 2, 29), date(2009, 2, 28)),  # no 29 February in 2009
    (date(2027, 3, 1), date(2011, 3, 1), date(2008, 3, 1)),
])
def test_student_age_bounds_by_hand(day, born_by, born_after):
    assert student_age_bounds(day) == {"born_by": born_by, "born_after": born_after}


@pytest.mark.parametrize(("day", "now", "refused"), [
    # the nightly run for D may start at D+1 00:00 WIB: D has just ended
    (date(2026, 11, 2), datetime(2026, 11, 3, 0, 0, tzinfo=WIB), False),
    (date(2026, 11, 2), datetime(2026, 11, 2, 17, 0, tzinfo=UTC), False),  # the same instant in UTC
    (date(2026, 11, 2), datetime(2026, 11, 2, 16, 59, 59, tzinfo=UTC), True),  # 23:59:59 WIB on D: not ended
    (date(2026, 11, 2), datetime(2026, 11, 2, 7, 0, tzinfo=WIB), True),  # today
    (date(2026, 12, 10), datetime(2026, 12, 3, 13, 0, tzinfo=UTC), True),  # a week ahead
    (date(2019, 3, 5), datetime(2026, 12, 3, 13, 0, tzinfo=UTC), False),  # years back
])
def test_a_report_date_that_has_not_ended_in_wib_is_refused(day, now, refused):
    if refused:
        with pytest.raises(UnfinishedReportDate, match=rf"report date {day.isoformat()} has not ended in WIB"):
            refuse_unfinished(day, now)
    else:
        refuse_unfinished(day, now)
    assert report_date_end(day) == datetime(day.year, day.month, day.day, tzinfo=WIB) + timedelta(days=1)


def test_the_refusal_says_when_the_date_ends_and_which_dates_can_run():
    with pytest.raises(UnfinishedReportDate) as refused:
        refuse_unfinished(date(2026, 12, 10), datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    message = str(refused.value)
    assert "ends at 2026-12-11 00:00 WIB" in message and "started at 2026-12-03 20:00 WIB" in message
    assert "Nothing was changed" in message and "up to 2026-12-02" in message
    with pytest.raises(ValueError, match="time zone"):
        refuse_unfinished(date(2026, 12, 10), datetime(2026, 12, 3, 13, 0))  # noqa: DTZ001 - the point


def test_a_report_date_typed_in_the_form_is_the_one_published():
    now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert report_date_of(now, now, "2026-11-04") == date(2026, 11, 4)
    assert report_date_of(now, now, None) == date(2026, 12, 3)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        report_date_of(now, now, "2026-11-4")
