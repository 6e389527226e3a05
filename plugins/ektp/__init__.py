"""e-KTP outreach recording pipeline: validate field batches, reconcile with SIAK, publish coverage.

Modules are imported lazily by the Airflow tasks so that parsing the DAG stays cheap.
"""
