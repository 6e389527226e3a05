-- PostgreSQL: who holds the writers' lock (pg_advisory_xact_lock(:lock_key)), and since when: the holder's
-- transaction start (NULL when this login may not see another login's sessions), its backend start and
-- application. A bigint key is held as classid (high 32 bits), objid (low 32 bits), objsubid 1. Advisory locks
-- are per database but pg_locks shows the whole server's: another warehouse on the server is not the holder.
SELECT a.pid, a.xact_start, a.backend_start, a.application_name
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = (CAST(:lock_key AS bigint) >> 32)
  AND l.objid::bigint = (CAST(:lock_key AS bigint) & 4294967295)
ORDER BY a.xact_start
LIMIT 1;
