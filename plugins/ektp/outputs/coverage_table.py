"""Print a published date's kecamatan coverage as a table (``python -m ektp.outputs.coverage_table``)."""

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
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    lines = [f"e-KTP outreach coverage by kecamatan, {report_date.isoformat()}", ""]
    for i, row in enumerate([header, *body]):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [str(x).ljust(w) if j < 2 else str(x).rjust(w) for j, (x, w) in pairs]
        lines.append("  ".join(cells))
        if i == 0 or (rows and i == len(body) - 1):
            lines.append("  ".join("-" * w for w in widths))
    if not rows:
        lines.append("(nothing published for this date)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="report date, YYYY-MM-DD")
    args = parser.parse_args(argv)
    rows, totals = kecamatan_rows(wh.command_engine(), args.date)
    print(render(rows, args.date, totals))


if __name__ == "__main__":
    main()
