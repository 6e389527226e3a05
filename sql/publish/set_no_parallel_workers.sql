-- PostgreSQL only, for this transaction: no parallel workers (a statement that runs beside another on a
-- machine's other core must not take turns with it for the same cores).
SELECT set_config('max_parallel_workers_per_gather', '0', true);
