"""A self-contained HTML coverage report per report date: ``<report_dir>/coverage_<D>.html``.

``data`` reads what the report shows (counts only: no NIK, no resident's name), ``charts`` draws it,
``page`` renders the Jinja2 templates of ``outputs/templates/`` in the language of ``EKTP_LANGUAGE``, and
``palette`` holds the colour-blind-safe colours. The file works offline: CSS and plotly.js are inlined once.

``python -m ektp.outputs.report --date 2026-11-02`` writes one date's report from the warehouse.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from ektp.outputs.report.data import load_report_data
from ektp.outputs.report.page import render, script_json

__all__ = ["load_report_data", "main", "render", "report_path", "script_json", "write_report", "write_reports"]

log = logging.getLogger(__name__)


def report_path(report_dir: Path, report_date: date) -> Path:
    return Path(report_dir) / f"coverage_{report_date.isoformat()}.html"


def write_report(engine, report_date: date, report_dir: Path, language: str | None = None) -> Path:
    """Write (or replace, atomically) the report of one published date."""
    from ektp.core.file_modes import GROUP_DIR, GROUP_FILE, make_dirs, replace_text

    path = report_path(report_dir, report_date)
    make_dirs(path.parent, GROUP_DIR)
    text = render(load_report_data(engine, report_date), language)
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
    parser.add_argument("--language", choices=["id", "en"], help="default: EKTP_LANGUAGE (id)")
    args = parser.parse_args(argv)
    print(write_report(wh.command_engine(), args.date, args.out or setting("report_dir"), args.language))
