# Environment for running the DAG locally (contract §5). Source it: `. scripts/airflow-env.sh`.
# Every value can be overridden by setting it before sourcing.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$_root/var/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$_root/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$_root/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Asia/Jakarta}"
export EKTP_LANDING_DIR="${EKTP_LANDING_DIR:-$_root/var/landing}"
export AIRFLOW_CONN_EKTP_WAREHOUSE="${AIRFLOW_CONN_EKTP_WAREHOUSE:-sqlite:///$_root/var/warehouse.sqlite}"
export PATH="$_root/.venv/bin:$PATH"
export PYTHONPATH="$_root/plugins${PYTHONPATH:+:$PYTHONPATH}"
unset _root
