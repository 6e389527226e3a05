-- Whether each item is still open. Fixed: its file was corrected and loaded again (the item is no longer in
-- its date's lists), or a later accepted recording of its resident (the row's NIK, or the suggested resident's)
-- matched SIAK. Otherwise open. fixed_at: when it was first seen fixed (kept while it stays fixed).
-- Only rows whose status changes are written: rewriting every item (wide rows, with the list row as shown) each
-- night, twice, cost more than deciding.
UPDATE ektp_quarantine.followup_item
   SET status = CASE WHEN NOT listed OR EXISTS (
                         SELECT 1 FROM ektp_ingest.recording rec
                          WHERE rec.nik IN (followup_item.nik, followup_item.suggested_nik)
                            AND rec.duplicate_status = 'accepted' AND rec.reconciliation_status = 'matched'
                            AND rec.recording_date >= followup_item.report_date)
                     THEN 'fixed' ELSE 'open' END,
       fixed_how = CASE WHEN NOT listed THEN 'file_corrected'
                        WHEN EXISTS (
                         SELECT 1 FROM ektp_ingest.recording rec
                          WHERE rec.nik IN (followup_item.nik, followup_item.suggested_nik)
                            AND rec.duplicate_status = 'accepted' AND rec.reconciliation_status = 'matched'
                            AND rec.recording_date >= followup_item.report_date)
                        THEN 'resident_matched' END
 WHERE fixed_how IS DISTINCT FROM (
           CASE WHEN NOT listed THEN 'file_corrected'
                WHEN EXISTS (
                 SELECT 1 FROM ektp_ingest.recording rec
                  WHERE rec.nik IN (followup_item.nik, followup_item.suggested_nik)
                    AND rec.duplicate_status = 'accepted' AND rec.reconciliation_status = 'matched'
                    AND rec.recording_date >= followup_item.report_date)
                THEN 'resident_matched' END)
    OR status IS DISTINCT FROM (CASE WHEN fixed_how IS NULL THEN 'open' ELSE 'fixed' END);
UPDATE ektp_quarantine.followup_item
   SET fixed_at = CASE WHEN status = 'fixed' THEN coalesce(fixed_at, :checked_at) END
 WHERE (status = 'fixed') = (fixed_at IS NULL);
