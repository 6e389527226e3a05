"""The report as one HTML file: Jinja2 templates (``outputs/templates/``), autoescaped, with the CSS, plotly.js
and the charts inlined, so the file opens offline.

Words come from the catalogue (``ektp.core.texts``) in the language of ``EKTP_LANGUAGE`` (Bahasa Indonesia
by default), numbers and dates in its locale's formats. The numbers are also embedded as a JSON data island
(``<script type="application/json" id="report-data">``) for checks and re-use, and table cells carry
``data-col``/``data-value`` attributes with the unformatted value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ektp.core.calendar import WIB
from ektp.core.texts import Texts, texts
from ektp.outputs.report.data import MAX_KELURAHAN_BARS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: rows of the outreach table shown (all are in the data island and the published table)
OUTREACH_TABLE_ROWS = 20
#: rows of the campaign tables shown open (sites, operators); the rest behind "show all"
RANKED_ROWS = 10

#: characters that mean something to the HTML parser inside a <script> (``</script>``, ``<!--`` and
#: ``<script`` change where the element ends), or to an old JavaScript parser (U+2028, U+2029). In JSON
#: they can only be inside strings, where the escape means the same character.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                                 "\u2029": "\\u2029"})


def script_json(data: Any) -> str:
    """``data`` as JSON that can sit inside a ``<script>`` element whatever its text."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_SCRIPT_ESCAPES)


@dataclass(frozen=True)
class Col:
    """A table column: the row key, its heading (translated), and how its values are shown."""

    key: str
    title: str
    kind: str = "text"  # text | number | percent | date | reason | days


@dataclass(frozen=True)
class Table:
    id: str
    cols: list[Col]
    rows: list[list[dict]]
    total: list[dict] | None
    empty: str

    @property
    def body(self) -> Any:
        """The rows as the template's cell markup, one ``<tr>`` a line, escaped as autoescape does: a Jinja loop
        over the national report's 96,000 cells was a third of its render."""
        from markupsafe import Markup, escape

        def td(cell: dict) -> str:
            numeric = ' class="num"' if cell["numeric"] else ""
            return (f'<td{numeric} data-col="{escape(cell["key"])}" data-value="{escape(cell["value"])}">'
                    f'{escape(cell["shown"])}</td>')

        return Markup("\n".join("<tr>" + "".join(td(c) for c in row) + "</tr>" for row in self.rows))


def _cell(row: dict, col: Col, _: Texts) -> dict:
    from ektp.core.reasons import describe

    value = row.get(col.key)
    numeric = col.kind in ("number", "percent", "days")
    if value is None or value == "" and col.kind != "text":
        shown = "–"
    elif col.kind == "number":
        shown = _.number(value)
    elif col.kind == "percent":
        shown = _.percent(value)
    elif col.kind == "days":
        shown = _.number(value)
    elif col.kind == "date":
        shown = _.date(value)
    elif col.kind == "reason":
        shown = describe(value, _) if value else ""
    else:
        shown = str(value)
    return {"key": col.key, "value": "" if value is None else str(value), "shown": shown, "numeric": numeric}


def _table(table_id: str, cols: list[Col], rows: list[dict], _: Texts, total: dict | None = None,
           empty: str | None = None) -> Table:
    return Table(table_id, cols, [[_cell(r, c, _) for c in cols] for r in rows],
                 [_cell(total, c, _) for c in cols] if total else None,
                 empty or _("nothing published for this date"))


def _tables(data: dict, _: Texts) -> dict[str, Table]:
    t = data["totals"]
    kec_cols = [Col("kecamatan_code", _("Code")), Col("kecamatan_name", _("Kecamatan")),
                Col("target_residents", _("Target"), "number"), Col("recorded_on_date", _("On date"), "number"),
                Col("recorded_to_date", _("To date"), "number"), Col("remaining", _("Remaining"), "number"),
                Col("coverage_pct", _("Coverage"), "percent")]
    kec_total = {"kecamatan_code": "", "kecamatan_name": _("All"), "target_residents": t["target_residents"],
                 "recorded_on_date": t["recorded_on_date"], "recorded_to_date": t["recorded_to_date"],
                 "remaining": t["remaining"], "coverage_pct": t["coverage_pct"]}
    kel_cols = [Col("kelurahan_code", _("Code")), Col("kelurahan_name", _("Kelurahan")),
                Col("kecamatan_name", _("Kecamatan")), *kec_cols[2:]]
    site_cols = [Col("site_code", _("Site")), Col("site_name", _("Name")), Col("batch_files", _("Files"), "number"),
                 Col("rows_received", _("Received"), "number"), Col("rows_rejected", _("Rejected"), "number"),
                 Col("rows_duplicate", _("Duplicate"), "number"), Col("rows_accepted", _("Accepted"), "number"),
                 Col("matched", _("Matched"), "number"), Col("identity_mismatch", _("Identity mismatch"), "number"),
                 Col("not_in_extract", _("Not in extract"), "number"), Col("match_rate", _("Match rate"), "percent")]
    site_total = {"site_code": "", "site_name": _("All sites"),
                  **{c.key: sum(s[c.key] for s in data["sites"]) for c in site_cols[2:-1]},
                  "match_rate": t["match_rate"]}
    rej_cols = [Col("reason", _("Reason"), "reason"), Col("rows", _("Rows"), "number")]
    kec_names = {r["kecamatan_code"]: r["kecamatan_name"] for r in data["kecamatan"]}
    out_rows = [{**r, "kecamatan_name": kec_names.get(r["kecamatan_code"], r["kecamatan_code"])}
                for r in data["outreach"][:OUTREACH_TABLE_ROWS]]
    out_cols = [Col("kelurahan_code", _("Code")), Col("kelurahan_name", _("Kelurahan")),
                Col("kecamatan_name", _("Kecamatan")), Col("remaining", _("Still unrecorded"), "number"),
                Col("remaining_aged_16_18", _("Of whom aged 16-18"), "number")]
    ranked = [{**r, "rank": i} for i, r in enumerate(data["site_campaign"], 1)]
    rank_cols = [Col("rank", _("Rank"), "number"), Col("site_code", _("Site")), Col("site_name", _("Name")),
                 Col("days", _("Days"), "number"), Col("rows_received", _("Received"), "number"),
                 Col("rows_accepted", _("Accepted"), "number"), Col("matched", _("Matched"), "number"),
                 Col("match_rate", _("Match rate"), "percent")]
    operators = [{**r, "rank": i} for i, r in enumerate(data["operators"], 1)]
    operator_cols = [Col("rank", _("Rank"), "number"), Col("operator_id", _("Operator")), Col("site_code", _("Site")),
                     Col("days", _("Days"), "number"), Col("rows_accepted", _("Accepted"), "number"),
                     Col("matched", _("Matched"), "number")]
    campaign_cols = [Col("report_date", _("Date"), "date"), Col("extract_date", _("Extract in force"), "date"),
                     Col("matched", _("Matched on the date"), "number"),
                     Col("campaign_matched", _("Campaign to date"), "number"),
                     Col("recorded_to_date", _("Since the extract"), "number"),
                     Col("target_residents", _("Target"), "number"), Col("coverage_pct", _("Coverage"), "percent")]
    funnel_cols = [Col("site_code", _("Site")), Col("site_name", _("Name")), Col("recorded", _("Recorded"), "number"),
                   Col("prr", _("Print-ready"), "number"), Col("printed", _("Printed"), "number"),
                   Col("delivered", _("Handed over"), "number"), Col("activated", _("Activated"), "number"),
                   Col("biometric_duplicate", _("Biometric duplicate"), "number"),
                   Col("awaiting_print_14d", _("Awaiting print > 14 days"), "number"),
                   Col("median_days_to_handover", _("Median days to hand-over"), "days")]
    funnel_total = {"site_code": "", "site_name": _("All sites"), **data["funnel_totals"]}
    backlog_cols = [Col("kecamatan_code", _("Code")), Col("kecamatan_name", _("Kecamatan")),
                    Col("awaiting_print_14d", _("Awaiting print > 14 days"), "number"),
                    Col("oldest_recording", _("Oldest recording"), "date")]
    attention = [f for f in data["files"] if f["outcome"] != "loaded"]
    loaded = [f for f in data["files"] if f["outcome"] == "loaded"]
    attention_cols = [Col("file_path", _("File")), Col("kind", _("Kind"), "reason"),
                      Col("outcome", _("What happened"), "reason"), Col("reason", _("Reason"), "reason")]
    loaded_cols = [Col("file_path", _("File")), Col("kind", _("Kind"), "reason"), Col("site_code", _("Site")),
                   Col("rows", _("Rows"), "number")]
    no_cards = _("No card events for this date yet.")
    return {
        "kecamatan": _table("table-kecamatan", kec_cols, data["kecamatan"], _,
                            kec_total if data["kecamatan"] else None),
        "kelurahan": _table("table-kelurahan", kel_cols, data["kelurahan"], _),
        "sites": _table("table-sites", site_cols, data["sites"], _, site_total if data["sites"] else None),
        "rejections": _table("table-rejections", rej_cols, data["rejections"], _,
                             empty=_("No rows were rejected on this date.")),
        "outreach": _table("table-outreach", out_cols, out_rows, _),
        "campaign": _table("table-campaign", campaign_cols, data["trend"], _),
        "site_ranking": _table("table-site-ranking", rank_cols, ranked, _),
        "operators": _table("table-operators", operator_cols, operators, _),
        "funnel": _table("table-funnel", funnel_cols, data["funnel"], _,
                         funnel_total if data["funnel"] else None, no_cards),
        "files_attention": _table("table-files-attention", attention_cols, attention, _,
                                  empty=_("Every file of this date was loaded.")),
        "files_loaded": _table("table-files-loaded", loaded_cols, loaded, _,
                               empty=_("No file of this date was loaded.")),
        "backlog": _table("table-print-backlog", backlog_cols, data["print_backlog"], _,
                          empty=_("No card has waited more than 14 days for printing.")),
    }


@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _charts_json(figures: dict[str, Any]) -> str:
    """Every figure's data and layout as one JSON object, by chart name."""
    return script_json({name: json.loads(fig.to_json()) for name, fig in figures.items()})


def render(data: dict, language: str | None = None) -> str:
    """The report as one HTML document (CSS, plotly.js and charts inline, no external resources)."""
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    from ektp.core.settings import setting
    from ektp.outputs.report.charts import figures

    _ = texts(language or setting("language"))
    charts = figures(data, _)
    now = datetime.now(UTC).astimezone(WIB)
    published = datetime.fromisoformat(data["published_at"]) if data["published_at"] else None
    return _environment().get_template("report.html").render(
        _=_, lang=_.locale, data=data, totals=data["totals"], tables=_tables(data, _), charts=set(charts),
        max_kelurahan_bars=MAX_KELURAHAN_BARS, outreach_rows=OUTREACH_TABLE_ROWS, ranked_rows=RANKED_ROWS,
        published=_.datetime(published.astimezone(WIB)) if published else "–", generated=_.datetime(now),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        plotly_js=Markup(get_plotlyjs()), charts_json=Markup(_charts_json(charts)),
        island=Markup(script_json(data)))
