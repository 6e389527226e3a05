"""What is measured: a size, and per size each stage's pipeline and floor figures (the report's rows)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Size:
    residents: int
    recordings: int
    files: int
    card_events: int = 0  # card-event rows of the night (``--card-events``)

    def label(self) -> str:
        cards = f" / {self.card_events:,} card events" if self.card_events else ""
        return f"{self.residents:,} residents / {self.recordings:,} recordings / {self.files:,} files{cards}"


#: the parts of a night as scheduled, and the DAG's tasks in each
PARTS = ("plan", "load", "publish", "report/lists")
TASK_PART = {"plan_file_loads": "plan", "load_file_group": "load", "publish_coverage": "publish",
             "write_coverage_report": "report/lists"}


@dataclass
class TaskTime:
    task_id: str
    instances: int
    total_s: float
    max_s: float


@dataclass
class Stage:
    """One measured stage: a pipeline run (the DAG) and its floor on the same files."""

    name: str
    rows: int
    pipeline_s: float = 0.0  # task instances: first start to last end
    airflow_startup_s: float = 0.0  # process start to the first task's start
    airflow_teardown_s: float = 0.0  # last task's end to process exit
    process_s: float = 0.0  # the whole `airflow dags test` subprocess
    floor_s: float = 0.0
    ratio: float = 0.0  # pipeline_s / floor_s
    pipeline_rows_per_s: float = 0.0
    floor_rows_per_s: float = 0.0
    peak_rss_process_mib: float = 0.0
    peak_rss_tree_mib: float = 0.0
    peak_rss_server_mib: float = 0.0  # the largest PostgreSQL server process (a backend, a parallel worker)
    load_avg: float = 0.0  # mean 1-minute load average of the machine during the pipeline run
    cpu_airflow_s: float = 0.0  # CPU seconds of the airflow process tree during the stage (tasks' Python)
    cpu_postgres_s: float = 0.0  # CPU seconds of the PostgreSQL server during the stage
    cpu_bound_s: float = 0.0  # (cpu_airflow_s + cpu_postgres_s) / cores: the least wall time of that work
    # (all three 0 when the server's main process cannot be read: postmaster_pid)
    cpu_bound_ratio: float = 0.0  # cpu_bound_s / floor_s
    tasks: list[TaskTime] = field(default_factory=list)
    reused: bool = False  # extract stage copied from an earlier size (not measured again)
    log: str = ""
    # every repetition (--repeat), in the order run; pipeline_s and floor_s are the best of each
    pipeline_runs: list[float] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)
    # every repetition's seconds per part of the night (PARTS), in the order run
    part_runs: dict[str, list[float]] = field(default_factory=dict)

    def add_run(self, run: Stage) -> None:
        """One more repetition: keep the fastest pipeline run (its tasks and log too) and the fastest floor;
        memory is the largest of any run."""
        self.pipeline_runs.append(run.pipeline_s)
        self.floor_runs.append(run.floor_s)
        for part, seconds in run.parts().items():
            self.part_runs.setdefault(part, []).append(seconds)
        if len(self.pipeline_runs) == 1 or run.pipeline_s < self.pipeline_s:
            for name in ("pipeline_s", "airflow_startup_s", "airflow_teardown_s", "process_s", "load_avg", "tasks",
                         "log", "cpu_airflow_s", "cpu_postgres_s", "cpu_bound_s"):
                setattr(self, name, getattr(run, name))
        self.floor_s = min(self.floor_runs)
        self.peak_rss_process_mib = max(self.peak_rss_process_mib, run.peak_rss_process_mib)
        self.peak_rss_tree_mib = max(self.peak_rss_tree_mib, run.peak_rss_tree_mib)
        self.peak_rss_server_mib = max(self.peak_rss_server_mib, run.peak_rss_server_mib)
        self.finish()

    def parts(self) -> dict[str, float]:
        """Seconds of each part of the night in this run's tasks (mapped instances summed: ``dags test`` runs
        them one after another)."""
        out = {part: 0.0 for part in PARTS}
        for t in self.tasks:
            out[TASK_PART.get(t.task_id, "other")] = out.get(TASK_PART.get(t.task_id, "other"), 0.0) + t.total_s
        return out

    def finish(self) -> None:
        self.ratio = self.pipeline_s / self.floor_s if self.floor_s else float("nan")
        self.pipeline_rows_per_s = self.rows / self.pipeline_s if self.pipeline_s else 0.0
        self.floor_rows_per_s = self.rows / self.floor_s if self.floor_s else 0.0
        self.cpu_bound_ratio = self.cpu_bound_s / self.floor_s if self.floor_s else 0.0


@dataclass
class Point:
    size: Size
    generate_s: float = 0.0
    extract_rows: int = 0
    batch_rows: int = 0
    card_rows: int = 0  # the night's card-event rows (copies not counted)
    card_files: int = 0  # the night's card-event files, copies included
    history_batch_rows: int = 0  # recordings before the night, loaded by the set-up run (not measured)
    history_card_rows: int = 0  # their card events before the night, loaded with them
    setup_s: float = 0.0  # that set-up run (each repetition's night starts from a copy of its result)
    batch_files: int = 0
    landing_mib: float = 0.0
    stages: list[Stage] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
