"""Card stages, the site funnel and card-event outcomes (contract §6.2, §6.3), on both warehouses.

Rows go straight into the ingest tables, as the loader would write them (recordings without statuses, the
manifest, valid card events, rejected rows, noted changes); publishing then runs the statements in the order
the nightly publish runs them (``publish`` below). The scenario's expected rows are worked out by hand from
the rows listed here, never computed by the code under test. A property test compares the SQL with a plain
Python reading of the contract on random small warehouses, with files landing late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from ektp import warehouse as wh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fetch

WIB = timezone(timedelta(hours=7))
FUNNEL_COLUMNS = ["report_date", "site_code", "site_name", "recorded", "biometric_duplicate", "prr", "printed",
                  "delivered", "activated", "awaiting_print_14d"]
EVENTS = ("prr", "biometric_duplicate", "printed", "delivered", "activated")
CARD_REASONS = ("malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate", "nik_serial",
                "bad_event", "bad_event_at")
RECORDING_COLUMNS = ["file_path", "row_number", "recording_date", "batch_id", "site_code", "site_name",
                     "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex",
                     "kelurahan_code_captured", "warnings"]
MANIFEST_COLUMNS = ["file_path", "file_kind", "file_date", "sha256", "size_bytes", "row_count", "rows_rejected",
                    "status", "site_code", "site_name", "validated_at", "run_id"]
REJECTED_COLUMNS = ["file_path", "row_number", "line_number", "file_kind", "file_date", "first_reason", "reasons",
                    "warnings", "raw_record", "rejected_at", "run_id"]
CARD_EVENT_COLUMNS = ["file_path", "row_number", "event_date", "nik", "event", "event_at", "site_code"]
AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def utc_text(day: date, wib: time) -> str:
    """A WIB time of day as the loader stores a timestamp: fixed-width UTC text (it sorts like the instant)."""
    return datetime.combine(day, wib, WIB).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


@dataclass
class Landing:
    """What the loader would have written for some landed files, put straight into the warehouse."""

    manifest: list[list] = field(default_factory=list)
    recordings: list[list] = field(default_factory=list)
    events: list[list] = field(default_factory=list)
    rejected: list[list] = field(default_factory=list)
    changed: set[date] = field(default_factory=set)

    def batch(self, path: str, day: date, site_code: str, site_name: str | None,
              rows: list[tuple[str, time, str]], rejected: int = 0, status: str = "loaded") -> Landing:
        """``rows``: (nik, WIB time, the row's own site_code) of valid rows; ``rejected`` more rows are rejected."""
        self.manifest.append([path, "batch", day.isoformat(), "0" * 64, 100, len(rows) + rejected, rejected,
                              status, site_code, site_name, AT, "test"])
        if status != "loaded":
            return self
        for n, (nik, at, row_site) in enumerate(rows, start=1):
            self.recordings.append([path, n, day.isoformat(), f"B-{day}", row_site, site_name or "", "OPR-1",
                                    utc_text(day, at), nik, "Nama Samaran", "2009-03-01", "L", None, None])
        for n in range(len(rows) + 1, len(rows) + rejected + 1):
            self._reject(path, n, "batch", day, "nik_format")
        self.changed.add(day)
        return self

    def cards(self, path: str, day: date, events: list[tuple[str, str, time]], rejected: tuple[str, ...] = ()
              ) -> Landing:
        """``events``: (nik, event, WIB time) of valid rows; ``rejected``: first reasons of rejected rows."""
        self.manifest.append([path, "card_events", day.isoformat(), "1" * 64, 100, len(events) + len(rejected),
                              len(rejected), "loaded", None, None, AT, "test"])
        for n, (nik, event, at) in enumerate(events, start=1):
            self.events.append([path, n, day.isoformat(), nik, event, utc_text(day, at), None])
        for n, reason in enumerate(rejected, start=len(events) + 1):
            self._reject(path, n, "card_events", day, reason)
        self.changed.add(day)
        return self

    def _reject(self, path: str, n: int, kind: str, day: date, reason: str) -> None:
        self.rejected.append([path, n, n + 1, kind, day.isoformat(), reason, reason, None, "{}", AT, "test"])

    def write(self, engine: sa.Engine) -> None:
        with wh.transaction(engine) as conn:
            wh.bulk_insert(conn, "ektp_ingest.file_manifest", MANIFEST_COLUMNS, self.manifest)
            wh.bulk_insert(conn, "ektp_ingest.recording", RECORDING_COLUMNS, self.recordings)
            wh.bulk_insert(conn, "ektp_ingest.card_event", CARD_EVENT_COLUMNS, self.events)
            wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_COLUMNS, self.rejected)
            wh.bulk_insert(conn, "ektp_ingest.pending_change", ["change_date", "noted_at", "run_id"],
                           [[d.isoformat(), AT, "test"] for d in sorted(self.changed)])


def publish(engine: sa.Engine, report_date: date) -> list[date]:
    """The publish transaction's steps that these tables need, in the nightly order; returns the dates published."""
    params = {"published_at": datetime.now(UTC), "run_id": "test"}
    with wh.transaction(engine) as conn:
        wh.run_sql(conn, "publish/fill_publish_queue", {"report_date": report_date})
        queue = wh.table(conn, "ektp_ingest.publish_queue")
        dates = [date.fromisoformat(str(d)) for d, in conn.execute(
            sa.text(f"SELECT report_date FROM {queue} ORDER BY report_date"))]
        wh.run_sql(conn, "resolve/update_recording_status")
        wh.run_sql(conn, "publish/delete_queued_dates")
        for day in dates:
            wh.run_sql(conn, "publish/insert_card_events_daily", {**params, "report_date": day})
            wh.run_sql(conn, "publish/insert_site_funnel_daily",
                       {**params, "report_date": day, "awaiting_since": day - timedelta(days=14)})
        wh.run_sql(conn, "publish/insert_published_report", params)
        wh.run_sql(conn, "publish/finish_publish")
    return dates


def funnel(engine: sa.Engine) -> dict[tuple[str, str], tuple]:
    rows = fetch(engine, f"SELECT {', '.join(FUNNEL_COLUMNS)} FROM ektp_coverage.site_funnel_daily")
    return {(str(r[0]), r[1]): tuple(r[2:]) for r in rows}


def card_outcomes(engine: sa.Engine) -> dict[tuple[str, str], int]:
    rows = fetch(engine, "SELECT report_date, outcome, rows FROM ektp_coverage.card_events_daily")
    return {(str(d), outcome): n for d, outcome, n in rows}


# --- a scenario worked out by hand ------------------------------------------------------------------------

LAB, RW = "SMA-LABSCHOOL-KEBAYORAN", "RW01-TEBET"
N = {k: f"31740101030900{i:02d}" for i, k in enumerate(
    ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N11", "N12", "N14"], start=1)}
NOV = {d: date(2026, 11, d) for d in range(1, 31)}
T = {h: time(h) for h in range(7, 17)}
PUBLISHED = [NOV[3], NOV[4], NOV[5], NOV[10], NOV[16], NOV[20]]
LATE_BATCH = f"batches/{NOV[3]}/SMA-LAB_tab3.csv"


def scenario_without_late_batch() -> Landing:
    """Recordings: N1-N4 at the Labschool and N5-N6 at the RW hall on 11-02; N7 (hall) 11-03; N8 (recorded at
    the Labschool, though its row says RW01-TEBET: it counts under its file's site) and N14 (Labschool) 11-04;
    N1 again at the hall 11-04 (already_recorded: not counted); N11 (hall) 11-05. Events below, per case."""
    land = Landing()
    land.batch(f"batches/{NOV[2]}/SMA-LAB_tab1.csv", NOV[2], LAB, "SMA Labschool Kebayoran",
               [(N["N1"], T[8], LAB), (N["N2"], T[9], LAB), (N["N3"], T[10], LAB), (N["N4"], T[11], LAB)])
    land.batch(f"batches/{NOV[2]}/RW01-TEBET_tab1.csv", NOV[2], RW, "Balai Warga RW 01 Tebet",
               [(N["N5"], T[8], RW), (N["N6"], T[9], RW)])
    land.batch(f"batches/{NOV[3]}/RW01-TEBET_tab1.csv", NOV[3], RW, "Balai Warga RW 01 Tebet", [(N["N7"], T[8], RW)])
    # the Labschool's second file: a smaller site name from 11-04 on; N8's row carries the hall's code
    land.batch(f"batches/{NOV[4]}/SMA-LAB_tab2.csv", NOV[4], LAB, "SMA Labschool",
               [(N["N8"], T[9], RW), (N["N14"], T[10], LAB)], rejected=1)
    # the hall's second file: N1 again (a duplicate), and the smallest name of the hall from 11-04 on
    land.batch(f"batches/{NOV[4]}/RW01-TEBET_tab2.csv", NOV[4], RW, "Balai RW 01 Tebet", [(N["N1"], T[8], RW)],
               rejected=1)
    # a repeated delivery is not loaded: its name does not count
    land.batch(f"batches/{NOV[4]}/RW01-TEBET_tab2_resend.csv", NOV[4], RW, "AAA", [], status="duplicate_delivery")
    land.batch(f"batches/{NOV[5]}/RW01-TEBET_tab1.csv", NOV[5], RW, "Balai Warga RW 01 Tebet", [(N["N11"], T[8], RW)])

    land.cards(f"cards/{NOV[3]}/abis.csv", NOV[3], [
        (N["N2"], "prr", T[9]), (N["N2"], "biometric_duplicate", T[9]),  # a tie: biometric_duplicate
        (N["N3"], "biometric_duplicate", T[8]),  # overridden by a later prr (11-04)
        (N["N4"], "prr", T[10]),  # overridden by a later biometric_duplicate (11-06)
        (N["N1"], "prr", T[10]),
        (N["N8"], "prr", T[11]),  # dated before N8's recording (11-04): unlinked, never counted
    ])
    land.cards(f"cards/{NOV[4]}/abis.csv", NOV[4], [
        (N["N3"], "prr", T[15]), (N["N7"], "prr", T[12]),
        (N["N9"], "prr", T[12]),  # no recording until the late batch
        (N["N12"], "prr", T[13]),  # never recorded
    ], rejected=("bad_event", "nik_format", "bad_event"))
    land.cards(f"cards/{NOV[6]}/abis.csv", NOV[6], [(N["N4"], "biometric_duplicate", T[10])])
    land.cards(f"cards/{NOV[7]}/print.csv", NOV[7], [(N["N2"], "printed", T[9])])  # after its biometric_duplicate
    land.cards(f"cards/{NOV[8]}/print.csv", NOV[8], [(N["N3"], "printed", T[9])])
    land.cards(f"cards/{NOV[9]}/print.csv", NOV[9], [(N["N5"], "printed", T[9])])  # printed without a prr event
    land.cards(f"cards/{NOV[10]}/print.csv", NOV[10], [(N["N1"], "printed", T[8]), (N["N9"], "printed", T[9])])
    land.cards(f"cards/{NOV[10]}/outreach_SMA-LAB.csv", NOV[10],
               [(N["N1"], "delivered", T[10]), (N["N1"], "activated", T[11])])
    land.cards(f"cards/{NOV[12]}/print.csv", NOV[12], [(N["N8"], "printed", T[9])])
    land.cards(f"cards/{NOV[17]}/abis.csv", NOV[17], [(N["N11"], "prr", T[9])])  # after 11-16: not counted then
    return land


def late_batch() -> Landing:
    return Landing().batch(LATE_BATCH, NOV[3], LAB, "SMA Labschool Kebayoran", [(N["N9"], T[13], LAB)])


LAB_NAMES = {NOV[3]: "SMA Labschool Kebayoran"} | dict.fromkeys(PUBLISHED[1:], "SMA Labschool")
RW_NAMES = {NOV[3]: "Balai Warga RW 01 Tebet"} | dict.fromkeys(PUBLISHED[1:], "Balai RW 01 Tebet")
#: (recorded, biometric_duplicate, prr, printed, delivered, activated, awaiting_print_14d), before the late batch.
#: Stages (-1 biometric_duplicate, 0 recorded, 1 prr, 2 printed, 3 delivered, 4 activated):
#:   N1: 1 from 11-03, 4 from 11-10          N2: -1 from 11-03 (tie; printed later)   N3: -1 on 11-03, 1 from 11-04,
#:   2 from 11-08                            N4: 1 from 11-03, -1 from 11-06          N5: 0, 2 from 11-09
#:   N6: 0                                   N7: 0 on 11-03, 1 from 11-04             N8: 0 (its 11-03 prr does not
#:   link), 2 from 11-12                     N14: 0                                    N11: 0, 1 from 11-17
#:   N9 (late batch): 0 on 11-03, 1 from 11-04, 2 from 11-10
#: awaiting_print_14d: 11-16 counts recordings of 11-02 (exactly 14 days: N6; N7 of 11-03 is 13 days, prr),
#: 11-20 those up to 11-06 (N6, N7, N11 at the hall, N14 at the Labschool).
LAB_BEFORE = {NOV[3]: (4, 2, 2, 0, 0, 0, 0), NOV[4]: (6, 1, 3, 0, 0, 0, 0), NOV[5]: (6, 1, 3, 0, 0, 0, 0),
              NOV[10]: (6, 2, 2, 2, 1, 1, 0), NOV[16]: (6, 2, 3, 3, 1, 1, 0), NOV[20]: (6, 2, 3, 3, 1, 1, 1)}
LAB_AFTER = {NOV[3]: (5, 2, 2, 0, 0, 0, 0), NOV[4]: (7, 1, 4, 0, 0, 0, 0), NOV[5]: (7, 1, 4, 0, 0, 0, 0),
             NOV[10]: (7, 2, 3, 3, 1, 1, 0), NOV[16]: (7, 2, 4, 4, 1, 1, 0), NOV[20]: (7, 2, 4, 4, 1, 1, 1)}
RW_FUNNEL = {NOV[3]: (3, 0, 0, 0, 0, 0, 0), NOV[4]: (3, 0, 1, 0, 0, 0, 0), NOV[5]: (4, 0, 1, 0, 0, 0, 0),
             NOV[10]: (4, 0, 2, 1, 0, 0, 0), NOV[16]: (4, 0, 2, 1, 0, 0, 1), NOV[20]: (4, 0, 3, 1, 0, 0, 3)}
CARDS_BEFORE = {("2026-11-03", "linked"): 5, ("2026-11-03", "unlinked"): 1,
                ("2026-11-04", "linked"): 2, ("2026-11-04", "unlinked"): 2,
                ("2026-11-04", "bad_event"): 2, ("2026-11-04", "nik_format"): 1,
                ("2026-11-10", "linked"): 3, ("2026-11-10", "unlinked"): 1}
CARDS_AFTER = {("2026-11-03", "linked"): 5, ("2026-11-03", "unlinked"): 1,
               ("2026-11-04", "linked"): 3, ("2026-11-04", "unlinked"): 1,
               ("2026-11-04", "bad_event"): 2, ("2026-11-04", "nik_format"): 1,
               ("2026-11-10", "linked"): 4}


def expected_funnel(lab: dict[date, tuple]) -> dict[tuple[str, str], tuple]:
    out = {}
    for day in PUBLISHED:
        out[(day.isoformat(), LAB)] = (LAB_NAMES[day], *lab[day])
        out[(day.isoformat(), RW)] = (RW_NAMES[day], *RW_FUNNEL[day])
    return out


def test_hand_computed_funnel_and_a_late_batch_that_links_events(engine):
    scenario_without_late_batch().write(engine)
    for day in PUBLISHED:
        assert publish(engine, day) == [day]
    assert funnel(engine) == expected_funnel(LAB_BEFORE)
    assert card_outcomes(engine) == CARDS_BEFORE

    # N9's batch of 11-03 lands late: every published date from 11-03 on is republished, and its events link
    late_batch().write(engine)
    assert publish(engine, NOV[20]) == PUBLISHED
    assert funnel(engine) == expected_funnel(LAB_AFTER)
    assert card_outcomes(engine) == CARDS_AFTER
    statuses = fetch(engine, "SELECT nik, duplicate_status, reconciliation_status FROM ektp_ingest.recording "
                             "WHERE file_path = :p", p="batches/2026-11-04/RW01-TEBET_tab2.csv")
    assert statuses == [(N["N1"], "already_recorded", None)]


def test_one_fresh_run_in_any_order_gives_the_same_tables(engine):
    land = scenario_without_late_batch()
    late = late_batch()
    land.manifest += late.manifest
    land.recordings += late.recordings
    land.changed |= late.changed
    land.write(engine)
    for day in reversed(PUBLISHED):
        assert publish(engine, day) == [day]
    assert funnel(engine) == expected_funnel(LAB_AFTER)
    assert card_outcomes(engine) == CARDS_AFTER
    # views of the latest published date
    latest = fetch(engine, "SELECT report_date, site_code, recorded FROM ektp_coverage.latest_site_funnel "
                           "ORDER BY site_code")
    assert [(str(d), s, n) for d, s, n in latest] == [("2026-11-20", RW, 4), ("2026-11-20", LAB, 7)]
    assert fetch(engine, "SELECT count(*) FROM ektp_coverage.latest_card_events") == [(0,)]  # none dated 11-20


def test_republishing_replaces_the_dates_partitions(engine):
    scenario_without_late_batch().write(engine)
    publish(engine, NOV[16])
    first = fetch(engine, "SELECT published_at FROM ektp_coverage.site_funnel_daily")
    with wh.transaction(engine) as conn:  # a change noted on 11-16 (a file landed again): the date is redone
        wh.bulk_insert(conn, "ektp_ingest.pending_change", ["change_date", "noted_at", "run_id"],
                       [[NOV[16].isoformat(), AT, "test"]])
    publish(engine, NOV[16])
    assert funnel(engine) == {k: v for k, v in expected_funnel(LAB_BEFORE).items() if k[0] == "2026-11-16"}
    assert fetch(engine, "SELECT published_at FROM ektp_coverage.site_funnel_daily") != first


# --- the contract, read plainly, against the SQL ---------------------------------------------------------

STAGE = {"prr": 1, "printed": 2, "delivered": 3, "activated": 4}


def reference(land: Landing, report_dates: list[date]) -> tuple[dict, dict]:
    """site_funnel_daily and card_events_daily as contract §2.3, §4, §6.2 and §6.3 say, row by row in Python."""
    loaded = {m[0]: m for m in land.manifest if m[7] == "loaded"}
    first: dict[str, list] = {}  # §2.3: per NIK the valid row first by (recorded_at, file path, row number)
    for rec in sorted(land.recordings, key=lambda r: (r[7], r[0], r[1])):
        first.setdefault(rec[8], rec)
    funnel_rows, card_rows = {}, {}
    for day in report_dates:
        iso, since = day.isoformat(), (day - timedelta(days=14)).isoformat()
        per_site: dict[str, list[int]] = {}
        for nik, rec in first.items():
            if rec[2] > iso:
                continue
            linked = [e for e in land.events if e[3] == nik and rec[2] <= e[2] <= iso]
            decisions = sorted((e[5], e[4] == "biometric_duplicate") for e in linked
                               if e[4] in ("prr", "biometric_duplicate"))
            if decisions and decisions[-1][1]:  # latest event_at; on a tie biometric_duplicate sorts last
                stage = -1
            else:  # the highest event reached, or recorded (0)
                stage = max((STAGE[e[4]] for e in linked if e[4] in STAGE), default=0)
            site = loaded[rec[0]][8] or ""
            counts = per_site.setdefault(site, [0] * 7)
            for i, hit in enumerate((True, stage == -1, stage >= 1, stage >= 2, stage >= 3, stage == 4,
                                     stage in (0, 1) and rec[2] <= since)):
                counts[i] += hit
        for site, counts in per_site.items():
            names = [m[9] for m in loaded.values()
                     if m[1] == "batch" and (m[8] or "") == site and m[2] <= iso and m[9]]
            funnel_rows[(iso, site)] = (min(names, default=""), *counts)
        for e in land.events:
            if e[2] == iso:
                rec = first.get(e[3])
                outcome = "linked" if rec is not None and rec[2] <= e[2] else "unlinked"
                card_rows[(iso, outcome)] = card_rows.get((iso, outcome), 0) + 1
        for r in land.rejected:
            if r[3] == "card_events" and r[4] == iso and r[0] in loaded:
                card_rows[(iso, r[5])] = card_rows.get((iso, r[5]), 0) + 1
    return funnel_rows, card_rows


#: few days, times and NIKs, so that ties, overrides and links happen often; 16 days span the 14-day limit
DAYS = [date(2027, 1, 1) + timedelta(days=i) for i in range(0, 32, 2)]
TIMES = [time(8), time(9)]
NIKS = [f"317401010309{i:04d}" for i in range(1, 5)]
SITES = [("S-A", "Alpha"), ("S-A", "alpha"), ("S-B", "Beta"), ("S-B", None), ("", None)]

recording = st.tuples(st.sampled_from(NIKS), st.sampled_from(TIMES))
batch_file = st.tuples(st.sampled_from(DAYS), st.sampled_from(SITES), st.lists(recording, min_size=1, max_size=4),
                       st.integers(0, 1))
card_nik = st.sampled_from(NIKS + ["3174010103090099"])  # one NIK never recorded
#: a card file's valid events, sometimes a prr and a biometric_duplicate at the same instant (a tie)
card_events = st.lists(st.one_of(
    st.tuples(card_nik, st.sampled_from(EVENTS), st.sampled_from(TIMES)).map(lambda e: [e]),
    st.tuples(card_nik, st.sampled_from(TIMES)).map(lambda p: [(p[0], "prr", p[1]),
                                                                (p[0], "biometric_duplicate", p[1])]),
), min_size=1, max_size=6).map(lambda groups: [e for group in groups for e in group])
card_file = st.tuples(st.sampled_from(DAYS), card_events, st.lists(st.sampled_from(CARD_REASONS), max_size=2))


def _landing(batches, cards, numbered_from: tuple[int, int] = (0, 0)) -> Landing:
    land = Landing()
    for i, (day, (code, name), rows, rejected) in enumerate(batches, start=numbered_from[0]):
        land.batch(f"batches/{day}/{code or 'NOSITE'}_{i}.csv", day, code, name,
                   [(nik, at, code) for nik, at in rows], rejected=rejected)
    for i, (day, events, rejected) in enumerate(cards, start=numbered_from[1]):
        land.cards(f"cards/{day}/export_{i}.csv", day, events, tuple(rejected))
    return land


def _empty(engine: sa.Engine) -> None:
    with wh.transaction(engine) as conn:
        for name in ("ektp_ingest.file_manifest", "ektp_ingest.recording", "ektp_ingest.card_event",
                     "ektp_quarantine.rejected_row", "ektp_ingest.pending_change", "ektp_ingest.published_report",
                     "ektp_coverage.site_funnel_daily", "ektp_coverage.card_events_daily"):
            conn.execute(sa.text(f"DELETE FROM {wh.table(conn, name)}"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(first=st.tuples(st.lists(batch_file, min_size=1, max_size=5), st.lists(card_file, min_size=1, max_size=5)),
       late=st.tuples(st.lists(batch_file, max_size=2), st.lists(card_file, max_size=2)),
       report_dates=st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True))
def test_the_sql_reads_the_contract_as_plain_python_does(engine, first, late, report_dates):
    """Files landed, dates published in any order, then more files landed late and the latest date run again:
    every published date equals the contract applied to everything landed (the invariant, contract §5)."""
    _empty(engine)
    early = _landing(*first)
    early.write(engine)
    for day in report_dates:
        publish(engine, day)
    added = _landing(*late, numbered_from=(len(first[0]), len(first[1])))
    added.write(engine)  # notes the dates of the files it adds, as the loader does
    publish(engine, max(report_dates))
    everything = Landing(*(a + b for a, b in zip(
        (early.manifest, early.recordings, early.events, early.rejected),
        (added.manifest, added.recordings, added.events, added.rejected), strict=True)))
    expected_funnel_rows, expected_cards = reference(everything, sorted(report_dates))
    assert funnel(engine) == expected_funnel_rows
    assert card_outcomes(engine) == expected_cards


def test_awaiting_print_needs_the_callers_date_arithmetic(engine):
    """The SQL takes report_date - 14 days as :awaiting_since: recordings on or before it that are not printed."""
    Landing().batch(f"batches/{NOV[2]}/RW01-TEBET_tab1.csv", NOV[2], RW, "Balai", [(N["N6"], T[8], RW)]).write(engine)
    publish(engine, NOV[15])
    publish(engine, NOV[16])
    assert {k: v[-1] for k, v in funnel(engine).items()} == {("2026-11-15", RW): 0, ("2026-11-16", RW): 1}


@pytest.mark.parametrize("reason", CARD_REASONS)
def test_rejected_batch_rows_and_unloaded_files_do_not_count_as_card_events(engine, reason):
    land = Landing().cards(f"cards/{NOV[4]}/abis.csv", NOV[4], [], rejected=(reason,))
    land.batch(f"batches/{NOV[4]}/RW01-TEBET_tab1.csv", NOV[4], RW, "Balai", [], rejected=2)
    land.write(engine)
    with wh.transaction(engine) as conn:  # a card file no longer loaded (rows of an older version left behind)
        wh.bulk_insert(conn, "ektp_quarantine.rejected_row", REJECTED_COLUMNS,
                       [[f"cards/{NOV[4]}/gone.csv", 1, 2, "card_events", NOV[4].isoformat(), "bad_event",
                         "bad_event", None, "{}", AT, "test"]])
    publish(engine, NOV[4])
    assert card_outcomes(engine) == {("2026-11-04", reason): 1}
    assert funnel(engine) == {}  # no accepted recording
