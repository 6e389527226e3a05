"""National-scale benchmark: the real DAG against the PostgreSQL COPY/SQL floor, on the same files.

``python -m tools.benchmark`` (``make bench``) generates a landing area with the project's generator
(national scope: 5.4 million residents over every province's kelurahan codes, one night of 250,000
recordings in 1,000 batch files with the default error mix), then, on a fresh PostgreSQL database:

* **extract load**: ``airflow dags test ektp_coverage_daily <extract date>``, the run that loads the
  extract alone (and publishes that date);
* **nightly run**: ``airflow dags test ektp_coverage_daily <recording date>`` on the warehouse that
  already holds the extract: validate, load, reconcile and publish the night's batches;
* **floor**: the same files with plain ``COPY`` into unindexed text tables (the extract as CSV into
  five text columns; every batch file line by line into one text column, because malformed rows
  would stop a column-wise COPY), plus the one join and group-by that gives coverage per kelurahan.

Each DAG run is a subprocess with the environment of ``scripts/airflow-env.sh`` and its own
migrated Airflow home (SQLite metadata DB). Stage time is the span of the run's task instances
(first start to last end, from the metadata DB); Airflow's start-up (process start to the first
task) and shut-down are reported apart. Peak RSS is sampled every 0.2 s over the ``airflow``
process tree: the largest single process and the whole tree. The PostgreSQL server's own
processes are outside the tree (they are the same for pipeline and floor).

**CPU time** is sampled with the memory: the seconds of CPU the ``airflow`` tree and the PostgreSQL
server used between the stage's first task start and its last task end. Divided by the machine's
cores, it is the least wall time that work could take however well it overlapped: when that alone is
above a target ratio, no reordering of the same work can meet the target; only less work can.

``--repeat N`` runs each stage N times, alternating with its floor, each time on a fresh copy (a new
database and Airflow home); every figure is the best of the N runs, and every run is listed. The machine
this was written on is a shared VM whose speed varies by a third from one minute to the next: the best
run is the one least disturbed, for the pipeline and the floor alike.

``--card-events [N]`` adds a night of N card events (default: as many as the night's recordings) to the night's
files (``tools.sample_data.card_night``): deduplication, printing, hand-over and activation of people recorded on
the 30 days before the extract, and some unlinked events. Those people's recordings and earlier card events (the
history) are dated before the extract: the extract load runs on the landing area without them (hard links), then
an unmeasured set-up run dated the day before the extract loads them on a copy of the loaded warehouse, and each
night starts from a copy of that. The nightly floor also ``COPY``s the night's card-event files, line by line.

``--sizes R:N:F,...`` runs several sizes in one go (a scaling run); consecutive sizes with the same
number of residents reuse the loaded extract (a template copy of the database), so the national
extract is loaded once. Everything generated lives under ``--workdir`` (default: a new folder in
/tmp) and is deleted afterwards unless ``--keep``; every database created is dropped.

The parts: ``figures`` (what is measured), ``sampling`` (memory and CPU while a run goes),
``dag_runs`` (one timed ``airflow dags test``), ``floor`` (the COPY/SQL floor), ``warehouses`` and
``airflow_homes`` (a fresh database and Airflow home per run), ``one_size`` (a size's stages, each
N times), ``report`` (console, text and Markdown) and ``cli``.
"""

from tools.benchmark.cli import main

__all__ = ["main"]
