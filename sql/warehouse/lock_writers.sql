-- PostgreSQL: serialise writers for the rest of this transaction (one key for every writer of the warehouse).
SELECT pg_advisory_xact_lock(:lock_key);
