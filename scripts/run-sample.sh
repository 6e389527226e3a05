#!/usr/bin/env bash
# The README's first command: sample landing area -> the DAG for each sample date on the embedded
# SQLite warehouse -> the kecamatan coverage of the last date, and the HTML report of every date.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/airflow-env.sh
rm -rf var/landing var/warehouse.sqlite* var/reports
mkdir -p "$AIRFLOW_HOME"
# The generator is a dev tool in tools/, beside plugins/: only it gets the checkout root on its path.
PYTHONPATH="$PWD:$PYTHONPATH" python -m tools.sample_data --landing "$EKTP_LANDING_DIR" --seed 42 --days 3 --card-events --quiet
[ -f "$AIRFLOW_HOME/airflow.db" ] || airflow db migrate > "$AIRFLOW_HOME/migrate.log" 2>&1
# The dates from the extract on: the earlier outreach wave (--card-events) predates it and the DAG's start date,
# and the first run loads it anyway (a run loads every file dated on or before its date).
dates=$(ls "$EKTP_LANDING_DIR/batches" | awk -v from="$(ls "$EKTP_LANDING_DIR/registry" | head -n 1)" '$0 >= from')
for d in $dates; do
  echo "running ektp_coverage_daily for $d ..."
  airflow dags test ektp_coverage_daily "$d" > "$AIRFLOW_HOME/dags-test-$d.log" 2>&1 \
    || { echo "run for $d failed: see $AIRFLOW_HOME/dags-test-$d.log" >&2; exit 1; }
done
python -m ektp.outputs.coverage_table --date "$(echo "$dates" | tail -n 1)"
reports="${EKTP_REPORT_DIR:-var/reports}"
echo
echo "HTML reports (open in a browser; they work offline):"
for d in $dates; do
  [ -f "$reports/coverage_$d.html" ] && echo "  $reports/coverage_$d.html" \
    || { echo "no report for $d in $reports (EKTP_REPORTS=${EKTP_REPORTS:-on})" >&2; [ "${EKTP_REPORTS:-on}" = off ]; }
done
echo "Follow-up lists per outreach site (restricted: NIKs and names): $reports/followup/<date>/"
