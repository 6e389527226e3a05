-- Per outreach site, the rows of the batch files one run loaded, and how many of them it rejected.
SELECT site_code,
       sum(row_count)     AS rows,
       sum(rows_rejected) AS rejected
  FROM ektp_ingest.file_manifest
 WHERE run_id = :run_id
   AND file_kind = 'batch'
   AND status = 'loaded'
 GROUP BY site_code
 ORDER BY site_code;
