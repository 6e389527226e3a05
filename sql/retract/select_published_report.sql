-- The publication of one report date, if it is published: a date that is not cannot be retracted.
SELECT report_date, extract_date, published_at, run_id
  FROM ektp_ingest.published_report
 WHERE report_date = :report_date;
