-- Valid card events dated on or before :report_date that link to no recording (contract §6.2): no accepted
-- recording of their NIK is recorded on or before the event's date. A NIK the print office or the deduplication
-- system knows but no recording here has (recorded elsewhere, mistyped, or recorded after the event).
SELECT e.event_date, e.nik, e.event, e.event_at, e.site_code, e.file_path, e.row_number
  FROM ektp_ingest.card_event e
 WHERE e.event_date <= :report_date
   AND NOT EXISTS (SELECT 1
                     FROM ektp_ingest.recording rec
                    WHERE rec.nik = e.nik
                      AND rec.duplicate_status = 'accepted'
                      AND rec.recording_date <= e.event_date)
 ORDER BY e.event_date, e.nik, e.file_path, e.row_number;
