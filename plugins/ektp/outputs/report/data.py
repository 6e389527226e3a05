"""What the report shows, read from the warehouse in one snapshot: plain JSON-ready values, no words.

Coverage, sites, rejections, uploads and the card funnel come from the published ``ektp_coverage`` tables; the
campaign per operator, the days to hand-over and the print backlog per kecamatan are counted from the
validated recordings and card events (``ektp_ingest``), as counts only. No NIK and no resident's name
reaches the result. Every percentage is rounded in SQL (half up, the contract's coverage_pct rule).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median_low
from typing import Any

from ektp.core.calendar import WIB

#: bars in the kelurahan chart (the lowest coverage first); the tables and data island hold more
MAX_KELURAHAN_BARS = 100
#: rows of the kelurahan and outreach lists in the file (a national report stays a few MB)
MAX_LIST_ROWS = 2000
#: the card funnel's awaiting-print threshold (contract §6.3)
AWAITING_PRINT_DAYS = 14


def _plain(value: Any) -> Any:
    """A warehouse value as JSON: dates as ISO text, NUMERIC as a number with its 2 decimals."""
    if isinstance(value, datetime):
        return value.astimezone(WIB).isoformat(timespec="seconds") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # NUMERIC columns, and sums of BIGINT on PostgreSQL
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    return value


def _rows(conn, name: str, report_date: date, **extra) -> list[dict]:
    from ektp import warehouse as wh

    return [{k: _plain(v) for k, v in r._mapping.items()}
            for r in wh.query(conn, f"report/{name}", {"report_date": report_date, **extra})]


def _coverage(value: Any) -> float | None:
    """A percentage rounded in SQL, as a number with 2 decimals."""
    return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.01")))


def load_report_data(engine, report_date: date) -> dict:
    """Everything the report shows, read in one snapshot."""
    awaiting_since = report_date - timedelta(days=AWAITING_PRINT_DAYS)
    from ektp import warehouse as wh

    with engine.connect() as conn:
        # sorts of 84,000 kelurahan and the card stages' hashes in memory, and no JIT (ektp.warehouse.tuning)
        wh.tune_set_based_statements(conn)
        summary = _rows(conn, "select_report_summary", report_date)[0]
        kecamatan = _rows(conn, "select_kecamatan_coverage", report_date)
        kelurahan = _rows(conn, "select_kelurahan_coverage", report_date)
        coverage_trend = _rows(conn, "select_coverage_trend", report_date)
        recording_trend = _rows(conn, "select_recording_trend", report_date)
        rejections = _rows(conn, "select_rejections", report_date)
        sites = _rows(conn, "select_site_results", report_date)
        outreach = _rows(conn, "select_outreach_targets", report_date)
        coverage_totals = _rows(conn, "select_totals", report_date)[0]
        site_totals = _rows(conn, "select_site_totals", report_date)[0]
        site_campaign = _rows(conn, "select_site_campaign", report_date)
        operators = _rows(conn, "select_operator_campaign", report_date)
        funnel = _rows(conn, "select_site_funnel", report_date)
        handover = _rows(conn, "select_handover_days", report_date)
        backlog = _rows(conn, "select_print_backlog", report_date, awaiting_since=awaiting_since)
        files = _rows(conn, "select_files_today", report_date)
    for r in kecamatan + kelurahan:
        r["coverage_pct"] = _coverage(r["coverage_pct"])
    for r in sites + site_campaign:
        r["match_rate"] = _coverage(r["match_rate"])
    published_at = summary["published_at"]
    if isinstance(published_at, str) and published_at:  # SQLite keeps the text as stored (UTC)
        published_at = datetime.fromisoformat(published_at).astimezone(WIB).isoformat(timespec="seconds")
    totals = {
        **{k: coverage_totals[k] for k in ("target_residents", "recorded_on_date", "recorded_to_date", "remaining")},
        "coverage_pct": _coverage(coverage_totals["coverage_pct"]),
        "remaining_aged_16_18": sum(r["remaining_aged_16_18"] for r in outreach),
        "rows_received": sum(r["rows_received"] for r in sites),
        "rows_rejected": sum(r["rows_rejected"] for r in sites),
        "rows_accepted": sum(r["rows_accepted"] for r in sites),
        "matched": sum(r["matched"] for r in sites),
        "sites": len(sites),
        "match_rate": _coverage(site_totals["match_rate"]),
    }
    trend = _merge_trend(coverage_trend, recording_trend)
    kelurahan.sort(key=lambda r: (r["coverage_pct"], r["kelurahan_code"]))
    outreach.sort(key=lambda r: (-r["remaining"], r["kelurahan_code"]))
    return {
        "report_date": report_date.isoformat(),
        "extract_date": summary["extract_date"],
        "published_at": published_at,
        "totals": totals,
        "kecamatan": kecamatan,
        "kelurahan": kelurahan[:MAX_LIST_ROWS],
        "kelurahan_count": len(kelurahan),
        "trend": trend,
        "extract_changes": extract_changes(trend),
        "rejections": rejections,
        "sites": sites,
        "site_campaign": site_campaign[:MAX_LIST_ROWS],
        "site_count": len(site_campaign),
        "operators": operators[:MAX_LIST_ROWS],
        "operator_count": len(operators),
        "outreach": outreach[:MAX_LIST_ROWS],
        "outreach_count": len(outreach),
        "funnel": _with_handover(funnel[:MAX_LIST_ROWS], handover),
        "funnel_count": len(funnel),
        "funnel_totals": _funnel_totals(funnel, handover),
        "print_backlog": backlog,
        "files": files[:MAX_LIST_ROWS],
        "files_totals": _files_totals(files),
    }


def _files_totals(files: list[dict]) -> dict:
    """The uploads of the date by outcome (every file, however many the lists keep), and the rows loaded."""
    totals = {outcome: sum(1 for f in files if f["outcome"] == outcome)
              for outcome in ("loaded", "rejected", "duplicate_delivery")}
    return {**totals, "files": len(files), "rows_loaded": sum(f["rows"] for f in files if f["outcome"] == "loaded")}


def _merge_trend(coverage: list[dict], recording: list[dict]) -> list[dict]:
    """One row per published date up to the report date: the extract's coverage and the rows received, and
    ``campaign_matched``: matched recordings summed over every date so far, across extracts."""
    days: dict[str, dict] = {}
    for r in coverage:
        days.setdefault(r["report_date"], {"report_date": r["report_date"]}).update(
            extract_date=r["extract_date"], target_residents=r["target_residents"],
            recorded_on_date=r["recorded_on_date"], recorded_to_date=r["recorded_to_date"])
    rounded = {r["report_date"]: _coverage(r["coverage_pct"]) for r in coverage}  # in SQL
    for r in recording:
        days.setdefault(r["report_date"], {"report_date": r["report_date"]}).update(
            {k: v for k, v in r.items() if k != "report_date"})
    out, campaign = [], 0
    for day in sorted(days):
        row = days[day]
        row["coverage_pct"] = rounded.get(day)
        campaign += row.get("matched") or 0
        row["campaign_matched"] = campaign
        out.append(row)
    return out


def extract_changes(trend: list[dict]) -> list[dict]:
    """The published dates on which another extract came into force than on the date before (the first date
    with an extract counts as one): coverage restarts there, against the new extract's residents."""
    changes, before = [], None
    for r in trend:
        extract = r.get("extract_date")
        if extract and extract != before:
            changes.append({"report_date": r["report_date"], "extract_date": extract, "previous": before})
        before = extract or before
    return changes


_FUNNEL_COUNTS = ("recorded", "biometric_duplicate", "prr", "printed", "delivered", "activated", "awaiting_print_14d")


def _waits(handover: list[dict]) -> dict[str, list[int]]:
    """Days from recording to hand-over of every handed-over card, per site, in order."""
    days: dict[str, list[int]] = {}
    for r in handover:
        waited = (date.fromisoformat(str(r["handed_over_date"])) - date.fromisoformat(str(r["recording_date"]))).days
        days.setdefault(r["site_code"], []).extend([waited] * r["cards"])
    return {site: sorted(w) for site, w in days.items()}


def _funnel_totals(funnel: list[dict], handover: list[dict]) -> dict:
    """Every site's funnel summed, and the median days to hand-over over all sites' cards."""
    waits = sorted(w for site in _waits(handover).values() for w in site)
    return {**{k: sum(r[k] for r in funnel) for k in _FUNNEL_COUNTS},
            "median_days_to_handover": median_low(waits) if waits else None}


def _with_handover(funnel: list[dict], handover: list[dict]) -> list[dict]:
    """Each site's funnel row with ``median_days_to_handover``: the median (the lower middle one of an even
    count, so a whole day) of the days from recording to hand-over of its handed-over cards."""
    waits = _waits(handover)
    out = []
    for r in funnel:
        site = waits.get(r["site_code"], [])
        out.append({**r, "handed_over_counted": len(site),
                    "median_days_to_handover": median_low(site) if site else None})
    return out
