-- Whether update_recording_status has rows to recompute: any recorded on or after the earliest pending
-- change (an extract load alone has none). Publishing then knows whether anything runs beside the band count.
SELECT EXISTS (SELECT 1 FROM ektp_ingest.recording r
                WHERE r.recording_date >= (SELECT min(c.change_date) FROM ektp_ingest.pending_change c))
       AS has_rows;
