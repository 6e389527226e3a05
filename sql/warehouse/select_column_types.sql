-- PostgreSQL: the type of each column of a table (format_type spelling), for the binary COPY's Arrow schema.
SELECT attname, format_type(atttypid, NULL) AS column_type
  FROM pg_attribute
 WHERE attrelid = CAST(:table_name AS regclass) AND attnum > 0 AND NOT attisdropped;
