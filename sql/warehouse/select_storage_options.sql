-- PostgreSQL: a table's storage parameters (NULL: none set).
SELECT reloptions FROM pg_class WHERE oid = CAST(:table_name AS regclass);
