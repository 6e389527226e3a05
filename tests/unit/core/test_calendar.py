"""The calendar of the contract: the report date a run publishes, and ages on a report date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pendulum
import pytest
from ektp.core.calendar import WIB, report_date_of, student_age_bounds


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
