-- Upgrade: matched rows loaded before recording.resident_kelurahan_code existed get their resident's
-- kelurahan (the status update only revisits rows recorded on or after a changed date).
UPDATE ektp_ingest.recording
   SET resident_kelurahan_code = (SELECT r.kelurahan_code
                                    FROM ektp_ingest.registry_resident r
                                   WHERE r.extract_date = recording.extract_date AND r.nik = recording.nik)
 WHERE reconciliation_status = 'matched';
