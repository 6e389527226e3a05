-- PostgreSQL: a table's indexes with their definitions, and the constraint each one backs (primary key,
-- unique), so that they can be dropped for a bulk load and built again exactly as they were.
SELECT i.indexrelid::regclass::text AS index_name, pg_get_indexdef(i.indexrelid) AS index_def,
       c.conname, pg_get_constraintdef(c.oid) AS constraint_def
  FROM pg_index i
  LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
 WHERE i.indrelid = CAST(:table_name AS regclass)
 ORDER BY c.conname NULLS LAST, 1;
