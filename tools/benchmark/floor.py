"""The floor a stage is compared with: the same files by plain ``COPY`` and the one coverage join."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

BLOCK = 1 << 20
FLOOR_SCHEMA = "bench_floor"
FLOOR_TABLES = f"""
CREATE SCHEMA IF NOT EXISTS {FLOOR_SCHEMA};
CREATE TABLE {FLOOR_SCHEMA}.resident (nik text, full_name text, birth_date text, sex text, kelurahan_code text);
CREATE TABLE {FLOOR_SCHEMA}.batch_line (line text);
CREATE TABLE {FLOOR_SCHEMA}.card_line (line text);
"""
# One COPY field per line: \x1f and \x1e never occur in the files.
BATCH_LINE_COPY = (f"COPY {FLOOR_SCHEMA}.batch_line (line) FROM STDIN "
                   "(FORMAT csv, HEADER true, DELIMITER E'\\x1f', QUOTE E'\\x1e')")
CARD_LINE_COPY = BATCH_LINE_COPY.replace(".batch_line", ".card_line")
# The one join and group-by that gives coverage: residents per kelurahan, and how many of them were
# recorded with the same birth date and sex. The NIK is field 6 (before the name, which may hold a
# quoted comma); birth_date and sex are counted from the end of the line.
FLOOR_COVERAGE = f"""
CREATE TABLE {FLOOR_SCHEMA}.coverage AS
SELECT r.kelurahan_code, count(*) AS target_residents, count(m.nik) AS recorded
  FROM {FLOOR_SCHEMA}.resident r
  LEFT JOIN (SELECT DISTINCT split_part(line, ',', 6) AS nik, split_part(line, ',', -3) AS birth_date,
                    upper(split_part(line, ',', -2)) AS sex
               FROM {FLOOR_SCHEMA}.batch_line) m
    ON m.nik = r.nik AND m.birth_date = r.birth_date AND m.sex = r.sex
 GROUP BY r.kelurahan_code
"""


def _copy_file(cur: psycopg.Cursor, statement: str, path: Path) -> None:
    with cur.copy(statement) as copy, path.open("rb") as fh:
        while block := fh.read(BLOCK):
            copy.write(block)


def floor_extract(url: str, extract: Path) -> float:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(FLOOR_TABLES)
        conn.commit()
        t0 = time.perf_counter()
        _copy_file(cur, f"COPY {FLOOR_SCHEMA}.resident FROM STDIN (FORMAT csv, HEADER true)", extract)
        conn.commit()
        return time.perf_counter() - t0


def floor_nightly(url: str, batch_files: list[Path], card_files: list[Path] | None = None) -> tuple[float, int]:
    """COPY every batch file and every card-event file of the night, then the coverage join; returns (seconds,
    recorded residents it finds). Card events add their COPY only: linking them needs every earlier night's
    recordings, which the floor does not hold (BENCHMARKS.md, How to reproduce)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        for path in batch_files:
            _copy_file(cur, BATCH_LINE_COPY, path)
        for path in card_files or []:
            _copy_file(cur, CARD_LINE_COPY, path)
        cur.execute(FLOOR_COVERAGE)
        conn.commit()
        seconds = time.perf_counter() - t0
        recorded = cur.execute(f"SELECT coalesce(sum(recorded), 0) FROM {FLOOR_SCHEMA}.coverage").fetchone()[0]
        return seconds, int(recorded)
