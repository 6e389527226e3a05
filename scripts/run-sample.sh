#!/usr/bin/env bash
# The README's first command: sample landing area -> the DAG for each sample date on the embedded
# SQLite warehouse -> the kecamatan coverage and the card funnel per site of the last date, and the HTML report of
# every date.
# Sealed: it writes only under var/ and uses only the embedded warehouse there, whatever the shell exports.
# airflow-env.sh keeps exported values (operators rely on that), so every EKTP_* and AIRFLOW* variable is
# dropped first and named (never its value: it may hold a password), then the sample's own are set.
set -euo pipefail
cd "$(dirname "$0")/.."
ignored=$(compgen -e | grep -E '^_?(EKTP_|AIRFLOW)' | sort | tr '\n' ' ' || true)
if [ -n "$ignored" ]; then
  echo "make sample uses only var/ and its embedded SQLite warehouse; it ignores these exported variables:" >&2
  echo "  $ignored" >&2
  for name in $ignored; do unset "$name"; done
fi
export AIRFLOW_HOME="$PWD/var/airflow" EKTP_VAR_DIR="$PWD/var" EKTP_LANDING_DIR="$PWD/var/landing" \
  AIRFLOW_CONN_EKTP_WAREHOUSE="sqlite:///$PWD/var/warehouse.sqlite" EKTP_REPORT_DIR="$PWD/var/reports" \
  EKTP_DATA_DOCS_DIR="$PWD/var/data_docs"
. scripts/airflow-env.sh
rm -rf var/landing var/warehouse.sqlite* var/reports
mkdir -p "$AIRFLOW_HOME"
# The generator is a dev tool in tools/, beside plugins/: only it gets the checkout root on its path.
PYTHONPATH="$PWD:$PYTHONPATH" python -m tools.sample_data --landing "$EKTP_LANDING_DIR" --seed 42 --days 3 --card-events --quiet
[ -f "$AIRFLOW_HOME/airflow.db" ] || airflow db migrate > "$AIRFLOW_HOME/migrate.log" 2>&1
# The dates from the extract on: the earlier outreach wave (--card-events) predates it, and the first run
# loads it anyway (a run loads every file dated on or before its date).
dates=$(ls "$EKTP_LANDING_DIR/batches" | awk -v from="$(ls "$EKTP_LANDING_DIR/registry" | head -n 1)" '$0 >= from')
for d in $dates; do
  echo "running ektp_coverage_daily for $d ..."
  airflow dags test ektp_coverage_daily "$d" > "$AIRFLOW_HOME/dags-test-$d.log" 2>&1 \
    || { echo "run for $d failed: see $AIRFLOW_HOME/dags-test-$d.log" >&2; exit 1; }
done
python -m ektp.outputs.coverage_table --date "$(echo "$dates" | tail -n 1)"
echo
echo "HTML reports (open in a browser; they work offline):"
for d in $dates; do
  [ -f "var/reports/coverage_$d.html" ] || { echo "no report for $d in var/reports" >&2; exit 1; }
  echo "  var/reports/coverage_$d.html"
done
echo "Follow-up lists per outreach site (restricted: NIKs and names): var/reports/followup/<date>/"
echo "Card lists per outreach site (restricted: cards to hand over, referrals, backlog): var/reports/cards/<date>/"
