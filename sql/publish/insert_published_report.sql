INSERT INTO ektp_ingest.published_report (report_date, extract_date, published_at, run_id)
SELECT q.report_date,
       (SELECT max(e.extract_date) FROM ektp_ingest.registry_extract e WHERE e.extract_date <= q.report_date),
       :published_at, :run_id
  FROM ektp_ingest.publish_queue q;
