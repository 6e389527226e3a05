-- PostgreSQL: serialise writers for the rest of this transaction (one key for every writer of the warehouse),
-- waiting at most :wait_ms milliseconds for it; the session's own lock_timeout then applies again.
SELECT set_config('lock_timeout', :wait_ms, true);
SELECT pg_advisory_xact_lock(:lock_key);
SET LOCAL lock_timeout TO DEFAULT;
