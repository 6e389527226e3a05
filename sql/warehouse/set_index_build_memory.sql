-- PostgreSQL, for this transaction: the sort budget of index builds, shared by the parallel build workers.
SELECT set_config('maintenance_work_mem', '512MB', true);
