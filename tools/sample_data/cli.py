"""``python -m tools.sample_data --landing var/landing`` (the checkout root and plugins/ on PYTHONPATH)."""

from __future__ import annotations

import argparse
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

from tools.sample_data.landing_area import SCOPES, generate
from tools.sample_data.rates import DEFAULT_ERROR_RATE, Rates


def _parse_rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    valid = [f.name for f in fields(Rates)]
    if name not in valid:
        raise argparse.ArgumentTypeError(f"unknown rate {name!r}; one of: {', '.join(valid)}")
    try:
        return name, float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rate {name} needs a number, not {value!r}") from exc


def main(argv: list[str] | None = None) -> int:
    """Write a landing area as the options say; print what was written."""
    from tools import sample_data  # its docstring describes the generator (imported here: it imports this module)

    ap = argparse.ArgumentParser(prog="python -m tools.sample_data", description=sample_data.__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True, help="landing root to write into")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--start-date",
        type=date.fromisoformat,
        default=date(2026, 11, 2),
        help="first recording date (the extract is dated the day before)",
    )
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--residents", type=int, default=3000, help="rows of the first registry extract")
    ap.add_argument("--recordings-per-day", type=int, default=600)
    ap.add_argument("--files-per-day", type=int, default=8)
    ap.add_argument("--scope", choices=SCOPES, default="jakarta-selatan")
    ap.add_argument("--second-extract", action="store_true", help="add an extract dated start + days // 2")
    ap.add_argument(
        "--error-rate",
        type=float,
        default=DEFAULT_ERROR_RATE,
        help=f"share of batch rows with an injected error (default {DEFAULT_ERROR_RATE})",
    )
    ap.add_argument(
        "--rate",
        type=_parse_rate,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="override one default rate, e.g. nik_typo=0.02 (repeatable)",
    )
    ap.add_argument("--labels", type=Path, help="write the answer key (file,row,label) here")
    ap.add_argument("--card-events", action="store_true",
                    help="add an earlier outreach wave and card events up to the last day (cards/<date>/)")
    ap.add_argument("--card-night", type=int, default=0, metavar="N",
                    help="with --days 1: N card events dated that day, for people recorded on the 30 days before "
                         "it (their batch and card files, dated before the extract, are written too)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    s = generate(
        args.landing,
        seed=args.seed,
        start_date=args.start_date,
        days=args.days,
        residents=args.residents,
        recordings_per_day=args.recordings_per_day,
        files_per_day=args.files_per_day,
        scope=args.scope,
        second_extract=args.second_extract,
        error_rate=args.error_rate,
        progress=False if args.quiet else None,
        rates=replace(Rates(), **dict(args.rate)),
        labels_path=args.labels,
        card_events=args.card_events,
        card_night=args.card_night,
    )
    for day, n in s.extract_rows.items():
        print(f"registry {day}: {n} residents")
    print(f"batches: {len(s.batch_files)} files, {s.batch_rows} rows, {len(s.duplicate_copies)} copies")
    if s.history_batch_files:
        print(f"history: {len(s.history_batch_files)} batch files, {s.history_batch_rows} rows; "
              f"{len(s.history_card_files)} card files, {s.history_card_rows} rows")
    if s.card_files:
        print(f"card events: {len(s.card_files)} files, {s.card_rows} rows, {len(s.card_copies)} copies")
    print("injected: " + ", ".join(f"{k}={v}" for k, v in s.injected.items()))
    return 0
