"""Print a published date's kecamatan coverage, then its card funnel per outreach site, as tables
(``python -m ektp.outputs.coverage_table``)."""

from __future__ import annotations

import argparse
from datetime import date

import sqlalchemy as sa

from ektp import warehouse as wh

COLUMNS = ["kecamatan_code", "kecamatan_name", "target_residents", "recorded_on_date",
           "recorded_to_date", "remaining", "coverage_pct"]


def kecamatan_rows(engine: sa.Engine, report_date: date) -> tuple[list[dict], dict]:
    """The kecamatan rows of a date and their totals (``report/select_totals``: coverage_pct rounded in SQL)."""
    params = {"report_date": report_date}
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in wh.query(conn, "report/select_kecamatan_coverage", params)]
        (totals,) = wh.query(conn, "report/select_totals", params)
    return rows, dict(totals._mapping)


def render(rows: list[dict], report_date: date, totals: dict) -> str:
    header = ["kecamatan", "name", "target", "on date", "to date", "remaining", "coverage %"]
    body = [[r["kecamatan_code"], r["kecamatan_name"], r["target_residents"], r["recorded_on_date"],
             r["recorded_to_date"], r["remaining"], f"{float(r['coverage_pct']):.2f}"] for r in rows]
    if rows:
        cov = totals["coverage_pct"]
        body.append(["TOTAL", "", *(totals[c] for c in COLUMNS[2:6]), "-" if cov is None else f"{float(cov):.2f}"])
    return _table(f"e-KTP outreach coverage by kecamatan, {report_date.isoformat()}", header, body, bool(rows))


FUNNEL_COLUMNS = ["recorded", "biometric_duplicate", "prr", "printed", "delivered", "activated", "awaiting_print_14d"]


def funnel_rows(engine: sa.Engine, report_date: date) -> list[dict]:
    """The card funnel of each outreach site on a published date (``site_funnel_daily``)."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in wh.query(conn, "report/select_site_funnel", {"report_date": report_date})]


def render_funnel(rows: list[dict], report_date: date) -> str:
    """Recorded -> print-ready -> printed -> handed over -> activated per site, with biometric duplicates and
    the cards awaiting print more than 14 days (contract §6.3), and their total."""
    header = ["site", "name", "recorded", "bio dup", "print-ready", "printed", "handed over", "activated",
              "waiting >14d"]
    body = [[r["site_code"], r["site_name"], *(r[c] for c in FUNNEL_COLUMNS)] for r in rows]
    if rows:
        body.append(["TOTAL", "", *(sum(int(r[c]) for r in rows) for c in FUNNEL_COLUMNS)])
    return _table(f"Card funnel per outreach site, {report_date.isoformat()}", header, body, bool(rows))


def _table(title: str, header: list[str], body: list[list], with_total: bool) -> str:
    """Two text columns, then numbers; a rule under the header and above the total (the last row)."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    lines = [title, ""]
    rows = body[:-1] if with_total else body
    for i, row in enumerate([header, *body]):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [str(x).ljust(w) if j < 2 else str(x).rjust(w) for j, (x, w) in pairs]
        lines.append("  ".join(cells))
        if i == 0 or (with_total and i == len(rows)):
            lines.append("  ".join("-" * w for w in widths))
    if not with_total:
        lines.append("(nothing published for this date)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="report date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    engine = wh.command_engine()
    rows, totals = kecamatan_rows(engine, args.date)
    print(render(rows, args.date, totals))
    print()
    print(render_funnel(funnel_rows(engine, args.date), args.date))


if __name__ == "__main__":
    main()
