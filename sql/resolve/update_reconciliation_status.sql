-- Contract §3: each accepted row against the extract in force on its recording date
-- (the latest extract_date <= that date). Duplicates get no status. Only changed rows are written.
-- The in-force extract of each recording date is a small table of its own (MATERIALIZED): joined on a
-- plain column, the residents are matched by one hash join, not a merge over a whole extract's index.
WITH in_force AS MATERIALIZED (
    SELECT d.recording_date,
           (SELECT max(e.extract_date) FROM ektp_ingest.registry_extract e
             WHERE e.extract_date <= d.recording_date) AS extract_date
      FROM (SELECT DISTINCT recording_date FROM ektp_ingest.recording) AS d
)
UPDATE ektp_ingest.recording AS r
   SET extract_date = s.extract_date,
       reconciliation_status = s.status
  FROM (
        SELECT rec.file_path, rec.row_number, f.extract_date,
               CASE WHEN rec.duplicate_status <> 'accepted' THEN NULL
                    WHEN f.extract_date IS NULL THEN 'no_extract'
                    WHEN res.nik IS NULL THEN 'not_in_extract'
                    WHEN res.birth_date = rec.birth_date AND res.sex = rec.sex THEN 'matched'
                    ELSE 'identity_mismatch' END AS status
          FROM ektp_ingest.recording rec
          JOIN in_force f ON f.recording_date = rec.recording_date
          LEFT JOIN ektp_ingest.registry_resident res
            ON res.extract_date = f.extract_date AND res.nik = rec.nik
       ) AS s
 WHERE r.file_path = s.file_path
   AND r.row_number = s.row_number
   AND (r.extract_date IS DISTINCT FROM s.extract_date
        OR r.reconciliation_status IS DISTINCT FROM s.status);
