"""A self-contained HTML coverage report per report date: ``<report_dir>/coverage_<D>.html``.

Every number comes from the published ``ektp_coverage`` tables (``sql/report/*.sql``) and nothing
else: no NIKs, no names of residents. The file works offline: plotly.js is inlined once and each
chart is a ``<div>`` drawn from its figure JSON. The numbers are also embedded as a JSON data island
(``<script type="application/json" id="report-data">``) for checks and re-use, and table cells carry
``data-col``/``data-value`` attributes with the unformatted value.

``python -m ektp.outputs.report --date 2026-11-02`` writes one date's report from the warehouse.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ektp.core.calendar import WIB

log = logging.getLogger(__name__)

#: bars in the kelurahan chart (the lowest coverage first); the tables and data island hold more
MAX_KELURAHAN_BARS = 100
#: rows of the kelurahan and outreach lists in the file (a national report stays a few MB)
MAX_LIST_ROWS = 2000
OUTREACH_TABLE_ROWS = 20

REASONS = {
    "malformed_row": "wrong number of fields",
    "missing_value": "a required field is empty",
    "nik_format": "NIK is not 16 digits",
    "nik_region": "NIK region digits in no code list",
    "nik_birthdate": "NIK date digits are not a date",
    "nik_serial": "NIK serial is 0000",
    "bad_birth_date": "birth date invalid or after the recording",
    "bad_sex": "sex is not L or P",
    "bad_recorded_at": "timestamp without offset or on another day",
}

_FONT = "Inter, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_BLUE, _GREEN, _AMBER, _RED, _GREY = "#2563eb", "#16a34a", "#d97706", "#dc2626", "#94a3b8"
_PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626", "#4f46e5", "#65a30d", "#db2777",
            "#0d9488", "#ca8a04", "#7c3aed"]


# --- data ----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A warehouse value as JSON: dates as ISO text, NUMERIC as a number with its 2 decimals."""
    if isinstance(value, datetime):
        return value.astimezone(WIB).isoformat(timespec="seconds") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # NUMERIC columns, and sums of BIGINT on PostgreSQL
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    return value


def _rows(conn, name: str, report_date: date) -> list[dict]:
    from ektp import warehouse as wh

    return [{k: _plain(v) for k, v in r._mapping.items()}
            for r in wh.query(conn, f"report/{name}", {"report_date": report_date})]


def _coverage(value: Any) -> float | None:
    """A percentage rounded in SQL (half up, the contract's coverage_pct rule), as a number with 2 decimals."""
    return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.01")))


def load_report_data(engine, report_date: date) -> dict:
    """Everything the report shows, read from the published tables in one snapshot."""
    with engine.connect() as conn:
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
    for r in kecamatan + kelurahan:
        r["coverage_pct"] = _coverage(r["coverage_pct"])
    for r in sites:
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
        "rejections": rejections,
        "sites": sites,
        "outreach": outreach[:MAX_LIST_ROWS],
        "outreach_count": len(outreach),
    }


def _merge_trend(coverage: list[dict], recording: list[dict]) -> list[dict]:
    days: dict[str, dict] = {}
    for r in coverage:
        days.setdefault(r["report_date"], {"report_date": r["report_date"]}).update(
            extract_date=r["extract_date"], target_residents=r["target_residents"],
            recorded_on_date=r["recorded_on_date"], recorded_to_date=r["recorded_to_date"])
    rounded = {r["report_date"]: _coverage(r["coverage_pct"]) for r in coverage}  # in SQL
    for r in recording:
        days.setdefault(r["report_date"], {"report_date": r["report_date"]}).update(
            {k: v for k, v in r.items() if k != "report_date"})
    out = []
    for day in sorted(days):
        row = days[day]
        row["coverage_pct"] = rounded.get(day)
        out.append(row)
    return out


# --- charts --------------------------------------------------------------------------------------


def _layout(fig, height: int, **extra) -> None:
    layout = {"template": "plotly_white", "height": height, "font": {"family": _FONT, "size": 12, "color": "#1f2937"},
              "margin": {"l": 10, "r": 20, "t": 10, "b": 40}, "hoverlabel": {"font": {"family": _FONT}},
              "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}}
    fig.update_layout({**layout, **extra})


def _fmt(n: Any) -> str:
    return "–" if n is None else f"{n:,}"


def _label(text: str) -> str:
    """Text for a chart label or legend: plotly.js reads tags and entities in them (``<b>``, ``<a href>``), so a
    name shows as written only with ``<``, ``>`` and ``&`` as entities."""
    return html.escape(str(text), quote=False)


def _kelurahan_label(r: dict) -> str:
    return _label(f"{r['kelurahan_name']} ({r['kelurahan_code'][-4:]})")


def _charts(data: dict) -> dict[str, Any]:
    import plotly.graph_objects as go

    charts: dict[str, Any] = {}
    overall = data["totals"]["coverage_pct"]

    kec = sorted(data["kecamatan"], key=lambda r: (r["coverage_pct"], r["kecamatan_code"]))
    if kec:
        fig = go.Figure(go.Bar(
            x=[r["coverage_pct"] for r in kec], y=[_label(r["kecamatan_name"]) for r in kec], orientation="h",
            marker_color=_BLUE, text=[f"{r['coverage_pct']:.2f}%" for r in kec], textposition="inside",
            insidetextanchor="end", textfont={"color": "#ffffff"},
            customdata=[[_label(r["kecamatan_code"]), _fmt(r["recorded_to_date"]), _fmt(r["target_residents"]),
                         _fmt(r["remaining"])] for r in kec],
            hovertemplate="<b>%{y}</b> (%{customdata[0]})<br>coverage %{x:.2f}%<br>recorded %{customdata[1]} "
                          "of %{customdata[2]}<br>remaining %{customdata[3]}<extra></extra>"))
        if overall is not None:
            fig.add_vline(x=overall, line_dash="dash", line_color=_GREY,
                          annotation_text=f"all: {overall:.2f}%", annotation_position="top")
        _layout(fig, 60 + 34 * len(kec), margin={"l": 10, "r": 20, "t": 30, "b": 40})
        fig.update_xaxes(title_text="coverage to date (%)", range=[0, 100], ticksuffix="%")
        fig.update_yaxes(autorange="reversed")
        charts["kecamatan"] = fig

    kel = data["kelurahan"][:MAX_KELURAHAN_BARS]
    if kel:
        names = {r["kecamatan_code"]: _label(r["kecamatan_name"]) for r in data["kecamatan"]}
        order = sorted({r["kecamatan_code"] for r in kel})
        fig = go.Figure()
        for i, code in enumerate(order):
            rows = [r for r in kel if r["kecamatan_code"] == code]
            fig.add_trace(go.Bar(
                x=[r["coverage_pct"] for r in rows], y=[_kelurahan_label(r) for r in rows],
                orientation="h", name=names.get(code, _label(code)), marker_color=_PALETTE[i % len(_PALETTE)],
                customdata=[[_label(r["kelurahan_code"]), _fmt(r["recorded_to_date"]), _fmt(r["target_residents"]),
                             _fmt(r["remaining"])] for r in rows],
                hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>coverage %{x:.2f}%<br>recorded %{customdata[1]} "
                              "of %{customdata[2]}<br>remaining %{customdata[3]}<extra>%{fullData.name}</extra>"))
        labels = [_kelurahan_label(r) for r in kel]
        _layout(fig, 120 + 19 * len(kel), margin={"l": 10, "r": 20, "t": 10, "b": 40}, bargap=0.25)
        fig.update_xaxes(title_text="coverage to date (%)", range=[0, 100], ticksuffix="%")
        fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed",
                         tickfont={"size": 11})
        charts["kelurahan"] = fig

    trend = data["trend"]
    if trend:
        days = [r["report_date"] for r in trend]

        def col(name: str) -> list:
            return [r.get(name) for r in trend]

        fig = go.Figure()
        other = [None if r.get("rows_accepted") is None else r["rows_accepted"] - r["matched"] for r in trend]
        for name, values, color in (("matched (counts as coverage)", col("matched"), _GREEN),
                                    ("accepted, not matched", other, _AMBER),
                                    ("duplicate", col("rows_duplicate"), _GREY),
                                    ("rejected", col("rows_rejected"), _RED)):
            fig.add_trace(go.Bar(x=days, y=values, name=name, marker_color=color,
                                 hovertemplate="%{x}: %{y:,} rows<extra>" + name + "</extra>"))
        _layout(fig, 340, barmode="stack")
        fig.update_xaxes(type="category", title_text="recording date")
        fig.update_yaxes(title_text="rows received", separatethousands=True)
        charts["recordings"] = fig

        fig = go.Figure()
        fig.add_trace(go.Scatter(x=days, y=col("target_residents"), name="target residents", mode="lines+markers",
                                 line={"color": _GREY, "dash": "dash", "shape": "hv"},
                                 hovertemplate="%{x}: target %{y:,}<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=days, y=col("recorded_to_date"), name="recorded to date", mode="lines+markers+text",
            line={"color": _BLUE, "width": 3}, fill="tozeroy", fillcolor="rgba(37,99,235,0.12)",
            text=[None if c is None else f"{c:.2f}%" for c in col("coverage_pct")], textposition="top center",
            customdata=[[r.get("extract_date") or "none", r.get("coverage_pct")] for r in trend],
            hovertemplate="%{x}: %{y:,} recorded (%{customdata[1]:.2f}%)<br>extract %{customdata[0]}<extra></extra>"))
        _layout(fig, 340)
        fig.update_xaxes(type="category", title_text="report date")
        fig.update_yaxes(title_text="residents", separatethousands=True, rangemode="tozero")
        charts["cumulative"] = fig

    rej = data["rejections"]
    if rej:
        fig = go.Figure(go.Bar(
            x=[r["rows"] for r in rej], y=[_label(r["reason"]) for r in rej], orientation="h", marker_color=_RED,
            text=[f"{r['rows']:,}" for r in rej], textposition="outside", cliponaxis=False,
            customdata=[REASONS.get(r["reason"], "") for r in rej],
            hovertemplate="<b>%{y}</b>: %{x:,} rows<br>%{customdata}<extra></extra>"))
        _layout(fig, 60 + 32 * len(rej), margin={"l": 10, "r": 50, "t": 10, "b": 40})
        fig.update_xaxes(title_text="rows rejected (by first reason)", rangemode="tozero", tickformat=",d",
                         dtick=1 if max(r["rows"] for r in rej) <= 10 else None)
        fig.update_yaxes(autorange="reversed")
        charts["rejections"] = fig
    return charts


# --- HTML ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    key: str
    title: str
    numeric: bool = False
    percent: bool = False


def _cell(row: dict, col: Col) -> str:
    value = row.get(col.key)
    if value is None:
        shown = "–"
    elif col.percent:
        shown = f"{value:.2f}%"
    elif col.numeric:
        shown = f"{value:,}"
    else:
        shown = str(value)
    cls = ' class="num"' if col.numeric or col.percent else ""
    raw = "" if value is None else str(value)
    return f'<td{cls} data-col="{col.key}" data-value="{html.escape(raw)}">{html.escape(shown)}</td>'


def _table(table_id: str, cols: list[Col], rows: list[dict], total: dict | None = None) -> str:
    head = "".join(f'<th class="{"num" if c.numeric or c.percent else ""}">{html.escape(c.title)}</th>'
                   for c in cols)
    body = "".join(f"<tr>{''.join(_cell(r, c) for c in cols)}</tr>" for r in rows)
    foot = f"<tfoot><tr>{''.join(_cell(total, c) for c in cols)}</tr></tfoot>" if total else ""
    if not rows:
        body = f'<tr><td colspan="{len(cols)}" class="empty">nothing published for this date</td></tr>'
    return (f'<div class="table-wrap"><table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody>{foot}</table></div>")


def _chart_html(charts: dict, key: str, empty: str) -> str:
    fig = charts.get(key)
    if fig is None:
        return f'<p class="empty">{html.escape(empty)}</p>'
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                       config={"displaylogo": False, "responsive": True,
                               "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]})


def _when(iso: str | None) -> str:
    """``2026-11-05T06:09:20+07:00`` as ``2026-11-05 06:09 WIB``."""
    if not iso:
        return "–"
    return datetime.fromisoformat(iso).astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


def _kpi(label: str, value: str, note: str = "", tone: str = "") -> str:
    return (f'<div class="kpi {tone}"><div class="kpi-label">{html.escape(label)}</div>'
            f'<div class="kpi-value">{html.escape(value)}</div><div class="kpi-note">{html.escape(note)}</div></div>')


#: characters that mean something to the HTML parser inside a <script> (``</script>``, ``<!--`` and
#: ``<script`` change where the element ends), or to an old JavaScript parser (U+2028, U+2029). In JSON
#: they can only be inside strings, where the escape means the same character.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                                 "\u2029": "\\u2029"})


def script_json(data: Any) -> str:
    """``data`` as JSON that can sit inside a ``<script>`` element whatever its text."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_SCRIPT_ESCAPES)


def render(data: dict) -> str:
    """The report as one HTML document (plotly.js inline, no external resources)."""
    from plotly.offline import get_plotlyjs

    charts = _charts(data)
    t = data["totals"]
    d = data["report_date"]
    cov = t["coverage_pct"]
    kpis = "".join([
        _kpi("Coverage to date", "–" if cov is None else f"{cov:.2f}%",
             f"{t['recorded_to_date']:,} of {t['target_residents']:,} target residents", "accent"),
        _kpi("Recorded on this date", f"{t['recorded_on_date']:,}", "matched with the SIAK extract"),
        _kpi("Still unrecorded", f"{t['remaining']:,}", f"of whom {t['remaining_aged_16_18']:,} aged 16-18"),
        _kpi("Rows received", f"{t['rows_received']:,}", f"from {t['sites']:,} outreach sites"),
        _kpi("Rows rejected", f"{t['rows_rejected']:,}",
             "" if not t["rows_received"] else f"{100 * t['rows_rejected'] / t['rows_received']:.1f}% of received",
             "warn" if t["rows_rejected"] else ""),
    ])
    kec_cols = [Col("kecamatan_code", "Code"), Col("kecamatan_name", "Kecamatan"),
                Col("target_residents", "Target", True), Col("recorded_on_date", "On date", True),
                Col("recorded_to_date", "To date", True), Col("remaining", "Remaining", True),
                Col("coverage_pct", "Coverage", percent=True)]
    kec_total = {"kecamatan_code": "", "kecamatan_name": "All", "target_residents": t["target_residents"],
                 "recorded_on_date": t["recorded_on_date"], "recorded_to_date": t["recorded_to_date"],
                 "remaining": t["remaining"], "coverage_pct": cov}
    kel_cols = [Col("kelurahan_code", "Code"), Col("kelurahan_name", "Kelurahan"), Col("kecamatan_name", "Kecamatan"),
                Col("target_residents", "Target", True), Col("recorded_on_date", "On date", True),
                Col("recorded_to_date", "To date", True), Col("remaining", "Remaining", True),
                Col("coverage_pct", "Coverage", percent=True)]
    site_rows = data["sites"]
    site_cols = [Col("site_code", "Site"), Col("site_name", "Name"), Col("batch_files", "Files", True),
                 Col("rows_received", "Received", True), Col("rows_rejected", "Rejected", True),
                 Col("rows_duplicate", "Duplicate", True), Col("rows_accepted", "Accepted", True),
                 Col("matched", "Matched", True), Col("identity_mismatch", "Identity mismatch", True),
                 Col("not_in_extract", "Not in extract", True), Col("match_rate", "Match rate", percent=True)]
    site_total = {"site_code": "", "site_name": "All sites",
                  **{c.key: sum(s[c.key] for s in data["sites"]) for c in site_cols[2:-1]}}
    site_total["match_rate"] = t["match_rate"]
    rej_rows = [{**r, "meaning": REASONS.get(r["reason"], "")} for r in data["rejections"]]
    rej_cols = [Col("reason", "Reason"), Col("meaning", "Meaning"), Col("rows", "Rows", True)]
    kec_names = {r["kecamatan_code"]: r["kecamatan_name"] for r in data["kecamatan"]}
    out_rows = [{**r, "kecamatan_name": kec_names.get(r["kecamatan_code"], r["kecamatan_code"])}
                for r in data["outreach"][:OUTREACH_TABLE_ROWS]]
    out_cols = [Col("kelurahan_code", "Code"), Col("kelurahan_name", "Kelurahan"), Col("kecamatan_name", "Kecamatan"),
                Col("remaining", "Still unrecorded", True), Col("remaining_aged_16_18", "Of whom aged 16-18", True)]
    kel_note = ""
    if data["kelurahan_count"] > MAX_KELURAHAN_BARS:
        kel_note = (f"The {MAX_KELURAHAN_BARS} kelurahan with the lowest coverage of {data['kelurahan_count']:,}; "
                    "every kelurahan is in ektp_coverage.kelurahan_daily.")
    island = script_json(data)
    generated = _when(datetime.now(UTC).astimezone(WIB).isoformat(timespec="seconds"))
    extract = data["extract_date"] or "none in force"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>e-KTP outreach coverage {html.escape(d)}</title>
<style>{_CSS}</style>
<script id="plotly-js">{get_plotlyjs()}</script>
</head>
<body>
<header>
  <div class="wrap">
    <div class="eyebrow">Dukcapil · e-KTP outreach recording</div>
    <h1>Coverage report, {html.escape(d)}</h1>
    <p class="meta">SIAK extract in force: <b>{html.escape(str(extract))}</b> · published
      {html.escape(_when(data["published_at"]))} · dates in WIB</p>
  </div>
</header>
<main class="wrap">
  <section class="kpis">{kpis}</section>

  <section class="card">
    <h2>Coverage by kecamatan</h2>
    <p class="hint">Residents of the extract in force with a matched recording since the extract date,
      lowest first. The dashed line is the whole area.</p>
    {_chart_html(charts, "kecamatan", "No extract in force on this date: no coverage to show.")}
    {_table("table-kecamatan", kec_cols, data["kecamatan"], kec_total if data["kecamatan"] else None)}
  </section>

  <section class="card">
    <h2>Coverage by kelurahan</h2>
    <p class="hint">Lowest coverage first, coloured by kecamatan. {html.escape(kel_note)}</p>
    {_chart_html(charts, "kelurahan", "No extract in force on this date: no coverage to show.")}
    <details><summary>All kelurahan ({data["kelurahan_count"]:,})</summary>
    {_table("table-kelurahan", kel_cols, data["kelurahan"])}</details>
  </section>

  <section class="grid2">
    <div class="card">
      <h2>Recordings per day</h2>
      <p class="hint">What became of the rows received from the field, every published date up to this one.</p>
      {_chart_html(charts, "recordings", "No recordings published yet.")}
    </div>
    <div class="card">
      <h2>Cumulative coverage against the target</h2>
      <p class="hint">Matched recordings since the extract date, against the extract's target residents.</p>
      {_chart_html(charts, "cumulative", "No coverage published yet.")}
    </div>
  </section>

  <section class="card">
    <h2>Rejections by reason</h2>
    <p class="hint">Rows rejected on this date, by the first rule they failed. The outreach sites find
      them, to record again, in their follow-up lists.</p>
    {_chart_html(charts, "rejections", "No rows were rejected on this date.")}
    {_table("table-rejections", rej_cols, rej_rows)}
  </section>

  <section class="card">
    <h2>Results per outreach site</h2>
    {_table("table-sites", site_cols, site_rows, site_total if site_rows else None)}
  </section>

  <section class="card">
    <h2>Where to go next</h2>
    <p class="hint">Kelurahan with the most residents still unrecorded, and how many of them are aged 16-18
      (students: reachable at school). All {data["outreach_count"]:,} kelurahan are in
      ektp_coverage.outreach_targets_daily.</p>
    {_table("table-outreach", out_cols, out_rows)}
  </section>
</main>
<footer class="wrap">
  Source: the published tables of schema <code>ektp_coverage</code> (kelurahan_daily, kecamatan_daily,
  site_daily, rejections_daily, outreach_targets_daily). Counts only: this report holds no NIK and no
  resident's name. Generated {html.escape(generated)}.
</footer>
<script type="application/json" id="report-data">{island}</script>
</body>
</html>
"""


_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f4f6fb; --blue:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.5 Inter, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { background: linear-gradient(120deg, #1e3a8a, #2563eb); color: #fff; padding: 28px 0 72px; }
header h1 { margin: 4px 0 6px; font-size: 28px; font-weight: 650; letter-spacing: -0.01em; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; opacity: .8; }
.meta { margin: 0; opacity: .9; }
main { margin-top: -52px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px; margin-bottom: 18px; }
.kpi { background: #fff; border-radius: 12px; padding: 14px 16px; box-shadow: 0 1px 3px rgba(15,23,42,.08); }
.kpi.accent { box-shadow: inset 0 4px 0 var(--blue), 0 1px 3px rgba(15,23,42,.08); }
.kpi.warn { box-shadow: inset 0 4px 0 #d97706, 0 1px 3px rgba(15,23,42,.08); }
.kpi-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.kpi-value { font-size: 28px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.kpi-note { color: var(--muted); font-size: 12px; }
.card { background: #fff; border-radius: 12px; padding: 18px 20px; margin-bottom: 18px;
  box-shadow: 0 1px 3px rgba(15,23,42,.08); min-width: 0; }
.card h2 { margin: 0 0 4px; font-size: 18px; }
.hint { margin: 0 0 10px; color: var(--muted); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 18px; }
.grid2 .card { margin-bottom: 18px; }
.table-wrap { overflow-x: auto; margin-top: 10px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; }
td.num, td[data-col$="_code"], td[data-col="reason"] { white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .03em;
  white-space: normal; vertical-align: bottom; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #f9fafb; }
tfoot td { font-weight: 650; border-top: 2px solid var(--line); }
td.empty, p.empty { color: var(--muted); font-style: italic; }
details summary { cursor: pointer; color: var(--blue); margin-top: 8px; }
footer { color: var(--muted); font-size: 12px; padding: 6px 20px 30px; }
code { background: #eef2ff; padding: 1px 4px; border-radius: 4px; }
"""


def report_path(report_dir: Path, report_date: date) -> Path:
    return Path(report_dir) / f"coverage_{report_date.isoformat()}.html"


def write_report(engine, report_date: date, report_dir: Path) -> Path:
    """Write (or replace, atomically) the report of one published date."""
    from ektp.core.file_modes import GROUP_DIR, GROUP_FILE, make_dirs, replace_text

    path = report_path(report_dir, report_date)
    make_dirs(path.parent, GROUP_DIR)
    text = render(load_report_data(engine, report_date))
    replace_text(path, text, GROUP_FILE)  # counts only: the group may read it
    log.info("coverage report %s (%d bytes)", path, len(text))
    return path


def write_reports(engine, report_dates: list[date], report_dir: Path) -> list[Path]:
    return [write_report(engine, d, report_dir) for d in report_dates]


def main(argv: list[str] | None = None) -> None:
    from ektp import warehouse as wh
    from ektp.core.settings import setting

    parser = argparse.ArgumentParser(description="Write the HTML coverage report of a published date.")
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="report date, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, help="folder (default: EKTP_REPORT_DIR or var/reports)")
    args = parser.parse_args(argv)
    print(write_report(wh.command_engine(), args.date, args.out or setting("report_dir")))


if __name__ == "__main__":
    main()
