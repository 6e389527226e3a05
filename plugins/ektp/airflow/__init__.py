"""The only layer that knows Airflow: the task callables and the alert notifier the DAG wires."""
