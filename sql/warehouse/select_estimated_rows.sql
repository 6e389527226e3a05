-- PostgreSQL: the planner's estimate of a table's rows (kept by ANALYZE; -1 or 0 when never analysed).
SELECT reltuples FROM pg_class WHERE oid = CAST(:table_name AS regclass);
