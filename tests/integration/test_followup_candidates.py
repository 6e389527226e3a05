"""The suggestions' candidate blocks as both warehouses send them (one row per block, a JSON array per column):
every resident in each of its wanted blocks, whatever its name holds."""

from __future__ import annotations

from datetime import date

from ektp import warehouse as wh
from ektp.outputs import followup
from ektp.outputs.followup import Query

EXTRACT = date(2026, 11, 1)
#: names a JSON array, a CSV line or a separator-joined string would mangle
HOSTILE_NAMES = ["Siti Aminah", 'Budi "Bud" Santoso', "a\tb", "line\nbreak", "back\\slash", '["x", "y"]', "null",
                 "a,b;c|d", "\u2028\u2029", "\U0001f3eb SMA", "\x01\x1f\x7f", "", None, "  spaced  ", "Ä ö ñ ß",
                 "'; DROP TABLE x; --", '\\"', "\\u0000"]


def _residents() -> list[tuple]:
    days, kelurahan = ["2008-09-04", "2008-09-05"], ["31.74.01.1001", "31.74.01.1002", "32.73.01.1001"]
    return [(EXTRACT, k + 1, f"3174{k:012d}", name, date.fromisoformat(days[k % 2]), "LP"[k % 2], kelurahan[k % 3])
            for k, name in enumerate(HOSTILE_NAMES * 2)]


def _settings(conn) -> tuple | None:
    if wh.is_sqlite(conn):
        return None
    return tuple(wh.run_sql(conn, "warehouse/select_setting", {"name": name}).scalar_one()
                 for name in ("enable_sort", "jit"))


def test_candidate_blocks_hold_every_resident_with_its_name_intact(engine):
    residents = _residents()
    queries = [Query(("f.csv", 1), "3174000000000000", "x", "2008-09-04", "L", "31.74.01.1001"),  # its province
               Query(("f.csv", 2), "3274000000000000", "x", "2008-09-05", "P", None),  # the whole country
               Query(("f.csv", 3), "3274000000000000", "x", None, "P", "32.73.01.1001")]  # a kelurahan only
    with wh.transaction(engine) as conn:
        wh.bulk_insert(conn, "ektp_ingest.registry_resident", ["extract_date", "row_number", "nik", "full_name",
                                                               "birth_date", "sex", "kelurahan_code"], residents)
        followup._insert_candidate_keys(conn, queries)
        before = _settings(conn)
        with wh.local_settings(conn, enable_sort="off", jit="off"):
            assert _settings(conn) == (before if wh.is_sqlite(conn) else ("off", "off"))
            got = {(kind, value): sorted(zip(c.nik, c.full_name, c.birth_date, c.sex, c.kelurahan_code, strict=True))
                   for kind, value, c in followup._candidate_blocks(conn, EXTRACT)}
        assert _settings(conn) == before  # for that statement only
    as_sent = [(nik, name or "", day.isoformat(), sex, kel) for _, _, nik, name, day, sex, kel in residents]
    want = {("b", followup.birth_block("2008-09-04", "31")):
            sorted(r for r in as_sent if r[2] == "2008-09-04" and r[4].startswith("31")),
            ("b", followup.birth_block("2008-09-05", followup.NATIONWIDE)):
            sorted(r for r in as_sent if r[2] == "2008-09-05"),
            ("k", "31.74.01.1001"): sorted(r for r in as_sent if r[4] == "31.74.01.1001"),
            ("k", "32.73.01.1001"): sorted(r for r in as_sent if r[4] == "32.73.01.1001")}
    assert got == want
