"""What is measured: a size, and per size each stage's pipeline and floor figures (the report's rows)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Size:
    residents: int
    recordings: int
    files: int

    def label(self) -> str:
        return f"{self.residents:,} residents / {self.recordings:,} recordings / {self.files:,} files"


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

    def add_run(self, run: Stage) -> None:
        """One more repetition: keep the fastest pipeline run (its tasks and log too) and the fastest floor;
        memory is the largest of any run."""
        self.pipeline_runs.append(run.pipeline_s)
        self.floor_runs.append(run.floor_s)
        if len(self.pipeline_runs) == 1 or run.pipeline_s < self.pipeline_s:
            for name in ("pipeline_s", "airflow_startup_s", "airflow_teardown_s", "process_s", "load_avg", "tasks",
                         "log", "cpu_airflow_s", "cpu_postgres_s", "cpu_bound_s"):
                setattr(self, name, getattr(run, name))
        self.floor_s = min(self.floor_runs)
        self.peak_rss_process_mib = max(self.peak_rss_process_mib, run.peak_rss_process_mib)
        self.peak_rss_tree_mib = max(self.peak_rss_tree_mib, run.peak_rss_tree_mib)
        self.finish()

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
    batch_files: int = 0
    landing_mib: float = 0.0
    stages: list[Stage] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
