-- Every noted change is now reflected in the published tables.
DELETE FROM ektp_ingest.pending_change;
DELETE FROM ektp_ingest.publish_queue;
