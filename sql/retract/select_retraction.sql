-- The latest retraction of a report date by one retracter (an Airflow run retried after its commit).
SELECT rows_removed, outreach_rebuilt_for
  FROM ektp_ingest.retraction
 WHERE report_date = :report_date AND retracted_by = :retracted_by
 ORDER BY retracted_at DESC;
