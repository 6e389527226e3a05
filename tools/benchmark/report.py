"""The figures printed and written: the machine, each stage on the console, the text table, Markdown."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import psutil

from tools.benchmark.figures import PARTS, TASK_PART, Stage

GIB = 1 << 30


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "cpu_model": model or platform.processor(), "python": platform.python_version(),
            "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds")}


def print_stage(s: Stage) -> None:
    print(f"  {s.name}: pipeline {s.pipeline_s:.1f} s (+ Airflow start-up {s.airflow_startup_s:.1f} s, "
          f"shut-down {s.airflow_teardown_s:.1f} s), floor {s.floor_s:.1f} s, ratio {s.ratio:.2f}x, "
          f"peak RSS {s.peak_rss_process_mib:.0f} MiB (largest process) / {s.peak_rss_tree_mib:.0f} MiB (tree), "
          f"{s.peak_rss_server_mib:.0f} MiB (largest PostgreSQL process), "
          f"machine load {s.load_avg:.1f}", flush=True)
    if s.cpu_bound_s:
        print(f"    CPU during the stage: airflow {s.cpu_airflow_s:.1f} s + PostgreSQL {s.cpu_postgres_s:.1f} s; on "
              f"{os.cpu_count()} cores at least {s.cpu_bound_s:.1f} s ({s.cpu_bound_ratio:.2f}x the floor)", flush=True)
    if len(s.pipeline_runs) > 1:
        print(f"    {_runs(s.pipeline_runs, s.floor_runs)}", flush=True)
    for line in parts_lines(asdict(s)):
        print(f"    {line}", flush=True)
    for t in s.tasks:
        many = f" ({t.instances} instances, longest {t.max_s:.1f} s)" if t.instances > 1 else ""
        print(f"    {t.task_id:<18} {t.total_s:8.1f} s{many}", flush=True)


def _part_figures(s: dict) -> list[tuple[str, float, float, list[float]]]:
    """(part, seconds in the best run, that / the best floor, every run's seconds) for each part of the night,
    and the whole night as scheduled last."""
    floor = s["floor_s"] or float("nan")
    best = {t: 0.0 for t in PARTS}
    for t in s["tasks"]:
        part = TASK_PART.get(t["task_id"], "other")
        best[part] = best.get(part, 0.0) + t["total_s"]
    runs = s.get("part_runs") or {}
    rows = [(part, best.get(part, 0.0), best.get(part, 0.0) / floor, runs.get(part, [])) for part in best]
    rows.append(("whole stage", s["pipeline_s"], s["pipeline_s"] / floor, s.get("pipeline_runs") or []))
    return rows


def parts_lines(s: dict) -> list[str]:
    """The per-part table of a stage: seconds, ratio to the floor, every run."""
    out = [f"{'part':<13} {'best s':>7} {'/ floor':>8}  runs (s)"]
    for part, seconds, ratio, runs in _part_figures(s):
        out.append(f"{part:<13} {seconds:>7.1f} {ratio:>7.2f}x  {', '.join(f'{r:.1f}' for r in runs)}")
    return out


def scaling_lines(points: list[dict]) -> list[str]:
    """The scaling pairs: nights on the same extract with more recordings (target: 4x recordings <= 4.4x time)."""
    out = []
    nights = [(p["size"], s) for p in points for s in p["stages"] if s["name"] == "nightly run"]
    for (a, sa), (b, sb) in zip(nights, nights[1:], strict=False):
        if a["residents"] == b["residents"] and a["recordings"] and b["recordings"] > a["recordings"]:
            k, t = b["recordings"] / a["recordings"], sb["pipeline_s"] / sa["pipeline_s"]
            out.append(f"scaling: {k:.0f}x the recordings ({a['recordings']:,} to {b['recordings']:,}): night "
                       f"{sa['pipeline_s']:.1f} s to {sb['pipeline_s']:.1f} s, {t:.2f}x the time; "
                       f"floor {sa['floor_s']:.1f} s to {sb['floor_s']:.1f} s")
    return out


def _runs(pipeline_runs: list[float], floor_runs: list[float]) -> str:
    """Every repetition of a stage, for the console and the text report alike."""
    def seconds(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}" for v in values) + " s"

    return f"best of {len(pipeline_runs)}: pipeline runs {seconds(pipeline_runs)}, floor runs {seconds(floor_runs)}"


def _size(sz: dict, sep: str) -> str:
    """residents/recordings/files, and the night's card events when it has some."""
    cards = f" +{sz['card_events']:,} cards" if sz.get("card_events") else ""
    return f"{sz['residents']:,}{sep}{sz['recordings']:,}{sep}{sz['files']:,}{cards}"


def report_text(report: dict) -> str:
    m = report["machine"]
    lines = [f"e-KTP pipeline benchmark, {m['date']}",
             f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, Python {m['python']}",
             ""]
    head = (f"{'size (residents/recordings/files)':<34} {'stage':<13} {'pipeline s':>10} {'startup s':>9} "
            f"{'floor s':>8} {'ratio':>6} {'rows/s pipe':>11} {'rows/s floor':>12} {'RSS proc MiB':>12} "
            f"{'RSS tree MiB':>12} {'load':>5}")
    lines += [head, "-" * len(head)]
    for p in report["points"]:
        sz = p["size"]
        label = f"{_size(sz, '/')}"
        for s in p["stages"]:
            note = " (reused)" if s["reused"] else ""
            lines.append(f"{label:<34} {s['name']:<13} {s['pipeline_s']:>10.1f} {s['airflow_startup_s']:>9.1f} "
                         f"{s['floor_s']:>8.1f} {s['ratio']:>6.2f} {s['pipeline_rows_per_s']:>11,.0f} "
                         f"{s['floor_rows_per_s']:>12,.0f} {s['peak_rss_process_mib']:>12,.0f} "
                         f"{s['peak_rss_tree_mib']:>12,.0f} {s.get('load_avg', 0):>5.1f}{note}")
    lines.append("")
    for p in report["points"]:
        sz = p["size"]
        lines.append(f"{_size(sz, '/')}: generated in {p['generate_s']:.1f} s "
                     f"({p['landing_mib']:,.0f} MiB); published: {p['checks']}")
        if p.get("setup_s"):
            lines.append(f"  set-up before the nights (not measured): {p['setup_s']:.1f} s to load the history, "
                         f"{p['history_batch_rows']:,} recordings and {p['history_card_rows']:,} card events; the "
                         f"night: {p['batch_rows']:,} batch rows and {p['card_rows']:,} card events in "
                         f"{p['batch_files']:,} + {p['card_files']:,} files")
        for s in p["stages"]:
            tasks = ", ".join(f"{t['task_id']} {t['total_s']:.1f} s" + (f" ({t['instances']}x, max {t['max_s']:.1f})"
                                                                          if t["instances"] > 1 else "")
                              for t in s["tasks"])
            lines.append(f"  {s['name']}: {tasks}; whole `airflow dags test` {s['process_s']:.1f} s; largest "
                         f"PostgreSQL process {s.get('peak_rss_server_mib', 0):,.0f} MiB")
            if s.get("cpu_bound_s"):
                lines.append(f"    CPU: airflow {s['cpu_airflow_s']:.1f} s + PostgreSQL {s['cpu_postgres_s']:.1f} s; "
                             f"at least {s['cpu_bound_s']:.1f} s on {m['nproc']} cores "
                             f"({s['cpu_bound_ratio']:.2f}x the floor)")
            if len(s.get("pipeline_runs") or []) > 1:
                lines.append(f"    {_runs(s['pipeline_runs'], s['floor_runs'])}")
    for p in report["points"]:
        for s in p["stages"]:
            if not s["reused"]:
                sz = p["size"]
                lines.append(f"{_size(sz, '/')} {s['name']}, as scheduled, "
                             f"per part (best run; ratio to the stage's floor {s['floor_s']:.1f} s):")
                lines += [f"  {line}" for line in parts_lines(s)]
    lines += scaling_lines(report["points"])
    lines.append(f"Airflow metadata DB migrate (set-up, not counted): {report['airflow_migrate_s']:.1f} s")
    return "\n".join(lines)


def report_markdown(report: dict) -> str:
    """The figures as Markdown tables (for BENCHMARKS.md)."""
    m = report["machine"]
    out = [f"Measured {m['date']} on {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB RAM, "
           f"Python {m['python']}.", "",
           "| residents / recordings / files | stage | pipeline s | floor s | pipeline / floor | rows/s pipeline "
           "| rows/s floor | Airflow start-up s | whole `dags test` s | peak RSS process MiB | peak RSS tree MiB "
           "| load avg |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = _size(sz, ' / ')
        for st in p["stages"]:
            name = st["name"] + (" (reused)" if st["reused"] else "")
            out.append(f"| {label} | {name} | {st['pipeline_s']:.1f} | {st['floor_s']:.1f} | **{st['ratio']:.2f}x** "
                       f"| {st['pipeline_rows_per_s']:,.0f} | {st['floor_rows_per_s']:,.0f} "
                       f"| {st['airflow_startup_s']:.1f} | {st['process_s']:.1f} | {st['peak_rss_process_mib']:,.0f} "
                       f"| {st['peak_rss_tree_mib']:,.0f} | {st.get('load_avg', 0):.1f} |")
    out += ["", "| residents / recordings / files | stage | CPU s, airflow | CPU s, PostgreSQL "
            f"| least wall time on {m['nproc']} cores, s | that / floor |", "|---|---|---:|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = _size(sz, ' / ')
        for st in p["stages"]:
            if st.get("cpu_bound_s") and not st["reused"]:
                out.append(f"| {label} | {st['name']} | {st['cpu_airflow_s']:.1f} | {st['cpu_postgres_s']:.1f} "
                           f"| {st['cpu_bound_s']:.1f} | {st['cpu_bound_ratio']:.2f}x |")
    out += ["", "| residents / recordings / files | stage | task | instances | seconds (sum) | longest |",
            "|---|---|---|---:|---:|---:|"]
    for p in report["points"]:
        sz = p["size"]
        label = _size(sz, ' / ')
        for st in p["stages"]:
            for t in st["tasks"]:
                out.append(f"| {label} | {st['name']} | {t['task_id']} | {t['instances']} | {t['total_s']:.1f} "
                           f"| {t['max_s']:.1f} |")
    out += ["", "| residents / recordings / files | stage | part | seconds (best run) | / floor | every run, s |",
            "|---|---|---|---:|---:|---|"]
    for p in report["points"]:
        sz = p["size"]
        label = _size(sz, ' / ')
        for st in p["stages"]:
            if st["reused"]:
                continue
            for part, seconds, ratio, runs in _part_figures(st):
                out.append(f"| {label} | {st['name']} | {part} | {seconds:.1f} | {ratio:.2f}x "
                           f"| {', '.join(f'{r:.1f}' for r in runs)} |")
    out += ["", *[f"- {line}" for line in scaling_lines(report["points"])]]
    return "\n".join(out) + "\n"
