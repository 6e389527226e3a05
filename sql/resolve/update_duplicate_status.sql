-- Contract §2.3: per normalised NIK, the first valid row by (recorded_at, file path, row number) is
-- accepted; a later one is a duplicate_in_batch when it shares the accepted row's file, else
-- already_recorded. Over all loaded rows, so the result does not depend on arrival or run order.
-- File paths compare in code-point order (COLLATE "C"), as the planner orders deliveries, whatever the
-- database's locale: en-US would put batches/D/a.csv before batches/D/B.csv.
UPDATE ektp_ingest.recording AS r
   SET duplicate_status = ranked.status
  FROM (
        SELECT file_path, row_number,
               CASE WHEN position = 1 THEN 'accepted'
                    WHEN file_path = first_file THEN 'duplicate_in_batch'
                    ELSE 'already_recorded' END AS status
          FROM (SELECT file_path, row_number,
                       row_number() OVER by_nik AS position,
                       first_value(file_path) OVER by_nik AS first_file
                  FROM ektp_ingest.recording
                WINDOW by_nik AS (PARTITION BY nik ORDER BY recorded_at, file_path COLLATE "C", row_number)) AS numbered
       ) AS ranked
 WHERE r.file_path = ranked.file_path
   AND r.row_number = ranked.row_number
   AND r.duplicate_status IS DISTINCT FROM ranked.status;
