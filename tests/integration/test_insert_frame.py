"""warehouse.insert_frame, the bulk load of validated rows (binary COPY on PostgreSQL, executemany on SQLite):
every value arrives as it was, NULL stays NULL, an empty string stays empty, and a value the column cannot
hold fails with the column's name and never the value."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from ektp import warehouse as wh
from ektp.ingest.batches import RECORDING_COLUMNS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STRING = pd.StringDtype("pyarrow")

# PostgreSQL text cannot hold NUL (nor can a CSV COPY); everything else must come back byte for byte
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


def _recordings(**columns) -> pd.DataFrame:
    """Rows of ektp_ingest.recording as the loader builds them (strings, dates and instants as text)."""
    n = len(next(iter(columns.values())))
    base = {
        "file_path": [f"batches/2026-11-02/b{k:03d}.csv" for k in range(n)], "row_number": list(range(1, n + 1)),
        "recording_date": ["2026-11-02"] * n, "batch_id": ["B1"] * n, "site_code": ["S1"] * n,
        "site_name": ["SMA 1"] * n, "operator_id": ["op"] * n,
        "recorded_at": ["2026-11-02 01:02:03.123456+00:00"] * n, "nik": ["3171010101900001"] * n,
        "full_name": ["Siti"] * n, "birth_date": ["1990-01-01"] * n, "sex": ["P"] * n,
        "kelurahan_code_captured": [None] * n, "warnings": [None] * n,
    } | columns
    frame = pd.DataFrame({name: pd.Series(values, dtype=STRING) for name, values in base.items()})
    frame["row_number"] = frame["row_number"].astype("int64")
    frame["line_number"] = frame["row_number"] + 1  # the header is line 1
    return frame[RECORDING_COLUMNS]


def _read(conn: sa.Connection, columns: str) -> list[tuple]:
    name = wh.table(conn, "ektp_ingest.recording")
    return [tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM {name} ORDER BY file_path"))]


def test_null_and_empty_string_and_awkward_text_arrive_as_given(engine: sa.Engine):
    names = ["Siti", "", 'O"Brien, Jr.', "line\nbreak\r\n", "back\\slash\t", "Ñoño 😀", "  spaced  "]
    captured = [None, "", "3171010001", None, "", "x", None]
    with wh.transaction(engine) as conn:
        assert wh.insert_frame(conn, "ektp_ingest.recording", RECORDING_COLUMNS,
                               _recordings(full_name=names, kelurahan_code_captured=captured)) == len(names)
        assert _read(conn, "full_name, kelurahan_code_captured, warnings") == [
            (n, c, None) for n, c in zip(names, captured, strict=True)]


def test_dates_integers_and_instants_keep_their_values(engine: sa.Engine):
    frame = _recordings(recorded_at=["2026-11-01 17:00:00.000000+00:00", "2026-11-02 16:59:59.999999+00:00"],
                        birth_date=["1950-02-28", "2012-02-29"], recording_date=["2026-11-02", "2026-11-03"])
    frame["row_number"] = [7, 2_147_483_647]
    with wh.transaction(engine) as conn:
        wh.insert_frame(conn, "ektp_ingest.recording", RECORDING_COLUMNS, frame)
        rows = _read(conn, "row_number, recording_date, birth_date, recorded_at")
    if engine.dialect.name == "postgresql":
        assert rows == [(7, date(2026, 11, 2), date(1950, 2, 28), datetime(2026, 11, 1, 17, tzinfo=UTC)),
                        (2_147_483_647, date(2026, 11, 3), date(2012, 2, 29),
                         datetime(2026, 11, 2, 16, 59, 59, 999_999, tzinfo=UTC))]
    else:  # SQLite stores the text as given: fixed-width UTC text sorts like the instant
        assert rows == [(7, "2026-11-02", "1950-02-28", "2026-11-01 17:00:00.000000+00:00"),
                        (2_147_483_647, "2026-11-03", "2012-02-29", "2026-11-02 16:59:59.999999+00:00")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=8))
def test_any_text_comes_back_byte_for_byte(engine: sa.Engine, names: list[str | None]):
    with engine.connect() as conn, conn.begin() as transaction:  # rolled back: each example starts empty
        wh.insert_frame(conn, "ektp_ingest.recording", RECORDING_COLUMNS, _recordings(warnings=names))
        assert [w for w, in _read(conn, "warnings")] == names
        transaction.rollback()


@pytest.mark.postgres
def test_a_value_the_column_cannot_hold_is_named_by_its_column_not_by_its_value(pg_url: str):
    engine = wh.make_engine(pg_url)
    wh.migrate(engine)
    frame = _recordings(birth_date=["1990-01-01", "3171010101900001"])  # a NIK where a date belongs
    with pytest.raises(wh.WarehouseError) as failed, wh.transaction(engine) as conn:
        wh.insert_frame(conn, "ektp_ingest.recording", RECORDING_COLUMNS, frame)
    message = str(failed.value)
    assert "ektp_ingest.recording" in message and "birth_date" in message
    assert "3171010101900001" not in message
    engine.dispose()
