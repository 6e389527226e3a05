"""The warehouse: PostgreSQL, or embedded SQLite with the same tables and no schemas.

Call sites use this facade (``from ektp import warehouse as wh``); the modules split it by job:
``engine`` (engines), ``sql_files`` (the SQL files and running them), ``transactions`` (the writers'
lock), ``errors`` (errors without values), ``bulk`` (COPY), ``tuning`` (planner settings, indexes) and
``migrations`` (creating and updating the schema).
"""

from ektp.warehouse.bulk import WriteBehind, bulk_insert, insert_frame
from ektp.warehouse.engine import (
    WarehouseNotDefined,
    command_engine,
    describe_warehouse,
    is_sqlite,
    make_engine,
)
from ektp.warehouse.errors import WarehouseBusy, WarehouseError, configuration_problem, describe_db_error
from ektp.warehouse.migrations import migrate
from ektp.warehouse.sql_files import SCHEMAS, query, rowcounts, run_sql, run_sql_many, statements, stream, table
from ektp.warehouse.transactions import lock_for_write, transaction
from ektp.warehouse.tuning import (
    analyze,
    estimated_rows,
    indexes_dropped,
    local_settings,
    tune_set_based_statements,
)

__all__ = [
    "SCHEMAS", "WarehouseBusy", "WarehouseError", "WarehouseNotDefined", "WriteBehind", "analyze", "bulk_insert",
    "command_engine", "configuration_problem", "describe_db_error", "describe_warehouse", "estimated_rows",
    "indexes_dropped", "insert_frame", "is_sqlite", "local_settings", "lock_for_write", "make_engine", "migrate",
    "query", "run_sql", "rowcounts", "run_sql_many", "statements", "stream", "table", "transaction",
    "tune_set_based_statements",
]
