-- The dates this publish replaces (the run's date and every earlier-published date a change touched).
SELECT report_date FROM ektp_ingest.publish_queue ORDER BY report_date;
