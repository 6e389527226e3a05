"""What a run found wrong with the landed data, for its one data alert (``ektp.airflow.notifications``).

A run stays green when it rejects a file, ignores a folder or refuses an extract (contract §2.1: the rest of the
run goes on), so without an alert no one is told. The findings of one run:

- the files it rejected whole (batch and card-event files), and the extracts it rejected or refused as
  implausible (the earlier extract stays in force), from the file manifest rows the run wrote;
- the paths the landing scan ignores (a folder ``batches/05-11-2026``, a stray file), except hidden names
  (``.DS_Store``, a partial upload's ``.name.csv``), which tools leave on purpose;
- the outreach sites whose rows the run rejected more than ``EKTP_ALERT_REJECTED_PERCENT`` of.

Only paths, counts, site codes and reason codes: never a row's values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.ingest.landing import scan_landing

REGISTRY = "registry"


@dataclass(frozen=True)
class ProblemFile:
    path: str  # relative to the landing root, escaped for logs
    kind: str  # batch | registry | card_events
    file_date: str
    reason: str  # the manifest's reason_code (ektp.core.reasons.FILE_REASONS has its words)


@dataclass(frozen=True)
class SiteRejections:
    site_code: str  # escaped
    rows: int
    rejected: int

    @property
    def percent(self) -> float:
        return 100.0 * self.rejected / self.rows


@dataclass
class RunFindings:
    rejected_files: list[ProblemFile] = field(default_factory=list)  # batch and card-event files
    rejected_extracts: list[ProblemFile] = field(default_factory=list)  # rejected or refused (implausible)
    ignored: list[str] = field(default_factory=list)
    sites: list[SiteRejections] = field(default_factory=list)
    rejected_percent: float = 0.0  # the threshold the sites were judged by

    def __bool__(self) -> bool:
        return bool(self.rejected_files or self.rejected_extracts or self.ignored or self.sites)

    def counts(self) -> dict[str, int]:
        return {"rejected_files": len(self.rejected_files), "rejected_extracts": len(self.rejected_extracts),
                "ignored_paths": len(self.ignored), "sites_over_threshold": len(self.sites)}

    def to_xcom(self) -> dict:
        return {**self.counts(), "rejected_percent": self.rejected_percent,
                "files": [asdict(f) for f in self.rejected_files + self.rejected_extracts],
                "ignored": list(self.ignored),
                "sites": [{**asdict(s), "percent": round(s.percent, 2)} for s in self.sites]}


def run_findings(engine, landing_dir: Path, run_id: str, rejected_percent: float) -> RunFindings:
    """The data problems of run ``run_id`` (see the module doc)."""
    found = RunFindings(rejected_percent=rejected_percent)
    with engine.connect() as conn:
        for row in wh.query(conn, "alert/select_run_rejected_files", {"run_id": run_id}):
            problem = ProblemFile(escaped(row.file_path), row.file_kind, str(row.file_date), row.reason_code or "")
            (found.rejected_extracts if row.file_kind == REGISTRY else found.rejected_files).append(problem)
        for row in wh.query(conn, "alert/select_run_site_rejections", {"run_id": run_id}):
            rows, rejected = int(row.rows or 0), int(row.rejected or 0)  # PostgreSQL's sum() is a Decimal
            if rows and 100.0 * rejected > rejected_percent * rows:
                found.sites.append(SiteRejections(escaped(row.site_code or ""), rows, rejected))
    found.ignored = [path for path in scan_landing(landing_dir).ignored
                     if not path.rsplit("/", 1)[-1].startswith(".")]
    return found
