-- A date whose inputs changed: it and every later published date are republished.
INSERT INTO ektp_ingest.pending_change (change_date, noted_at, run_id) VALUES (:change_date, :noted_at, :run_id);
