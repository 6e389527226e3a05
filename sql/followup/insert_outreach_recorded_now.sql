-- The residents of the extract in force recorded by the report date: a matched recording of that extract,
-- recorded from the extract date to the report date (as ektp_coverage.outreach_targets_daily counts them).
DELETE FROM ektp_quarantine.outreach_recorded_now;
INSERT INTO ektp_quarantine.outreach_recorded_now (nik)
SELECT DISTINCT rec.nik
  FROM ektp_ingest.recording rec
 WHERE rec.reconciliation_status = 'matched'
   AND rec.extract_date = :extract_date
   AND rec.recording_date BETWEEN :extract_date AND :report_date
 ORDER BY rec.nik;  -- in key order, the primary key's index grows at its end instead of at random pages
