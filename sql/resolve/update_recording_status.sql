-- Loaded batch rows' statuses, recomputed from all loaded rows so the result does not depend on arrival
-- or run order; only rows whose statuses change are written. Only rows recorded on or after the earliest
-- date in pending_change are recomputed: an accepted row's recorded_at falls on its recording date, so
-- a row's rank among its NIK's rows depends only on rows of that date or earlier, and its extract only
-- on extracts dated on or before it; every load, removal and extract notes its date as a change. The
-- nightly cost is then that of the night's rows, not of every row recorded so far. One UPDATE sets all
-- the statuses, so a new row is rewritten once (with the table's fillfactor, as a HOT update).
--
-- Contract §2.3 (duplicate_status): per normalised NIK, the first valid row by (recorded_at, file path,
-- row number) is accepted; a later one is a duplicate_in_batch when it shares the accepted row's file,
-- else already_recorded. File paths compare in code-point order (COLLATE "C"), as the planner orders
-- deliveries, whatever the database's locale: en-US would put batches/D/a.csv before batches/D/B.csv.
--
-- Contract §3 (extract_date, reconciliation_status): each accepted row against the extract in force on
-- its recording date (the latest extract_date <= that date); duplicates get no status. The in-force
-- extract of each recording date is a small table of its own (MATERIALIZED): joined on a plain column,
-- the residents are matched by one hash join, not a merge over a whole extract's index. A matched row
-- also keeps the resident's kelurahan (resident_kelurahan_code), so publishing counts coverage per
-- kelurahan from the recordings alone, without joining millions of residents again.
WITH RECURSIVE since AS MATERIALIZED (
    -- only rows recorded on or after the earliest changed date can change (see above); none without changes
    SELECT min(c.change_date) AS change_date FROM ektp_ingest.pending_change c
), recorded_day AS (
    -- the distinct recording dates from then on, one index probe each (a DISTINCT read every row)
    SELECT min(recording_date) AS recording_date FROM ektp_ingest.recording
     WHERE recording_date >= (SELECT change_date FROM since)
    UNION ALL
    SELECT (SELECT min(r.recording_date) FROM ektp_ingest.recording r WHERE r.recording_date > d.recording_date)
      FROM recorded_day d
     WHERE d.recording_date IS NOT NULL
), in_force AS MATERIALIZED (
    SELECT d.recording_date,
           (SELECT max(e.extract_date) FROM ektp_ingest.registry_extract e
             WHERE e.extract_date <= d.recording_date) AS extract_date
      FROM recorded_day d
     WHERE d.recording_date IS NOT NULL
), ranked AS (
    -- every row of a NIK that has a row to update: earlier rows decide which one is first
    SELECT file_path, row_number, recording_date, nik, birth_date, sex,
           CASE WHEN position = 1 THEN 'accepted'
                WHEN file_path = first_file THEN 'duplicate_in_batch'
                ELSE 'already_recorded' END AS duplicate_status
      FROM (SELECT file_path, row_number, recording_date, nik, birth_date, sex,
                   row_number() OVER by_nik AS position,
                   first_value(file_path) OVER by_nik AS first_file
              FROM ektp_ingest.recording
             WHERE nik IN (SELECT nik FROM ektp_ingest.recording
                            WHERE recording_date >= (SELECT change_date FROM since))
            WINDOW by_nik AS (PARTITION BY nik ORDER BY recorded_at, file_path COLLATE "C", row_number)) AS numbered
)
UPDATE ektp_ingest.recording AS r
   SET duplicate_status = s.duplicate_status,
       extract_date = s.extract_date,
       reconciliation_status = s.status,
       resident_kelurahan_code = s.resident_kelurahan_code
  FROM (
        SELECT k.file_path, k.row_number, k.duplicate_status, f.extract_date,
               CASE WHEN k.duplicate_status = 'accepted' AND res.birth_date = k.birth_date AND res.sex = k.sex
                    THEN res.kelurahan_code END AS resident_kelurahan_code,
               CASE WHEN k.duplicate_status <> 'accepted' THEN NULL
                    WHEN f.extract_date IS NULL THEN 'no_extract'
                    WHEN res.nik IS NULL THEN 'not_in_extract'
                    WHEN res.birth_date = k.birth_date AND res.sex = k.sex THEN 'matched'
                    ELSE 'identity_mismatch' END AS status
          FROM ranked k
          JOIN in_force f ON f.recording_date = k.recording_date
          LEFT JOIN ektp_ingest.registry_resident res
            ON res.extract_date = f.extract_date AND res.nik = k.nik
         -- in the table's own order (rows are COPYed file by file): the rows are then rewritten page by
         -- page, not at random, which matters once a night's rows outgrow shared_buffers (1M rows: 2x)
         ORDER BY k.file_path, k.row_number
       ) AS s
 WHERE r.file_path = s.file_path
   AND r.row_number = s.row_number
   AND (r.duplicate_status IS DISTINCT FROM s.duplicate_status
        OR r.extract_date IS DISTINCT FROM s.extract_date
        OR r.reconciliation_status IS DISTINCT FROM s.status
        OR r.resident_kelurahan_code IS DISTINCT FROM s.resident_kelurahan_code);
