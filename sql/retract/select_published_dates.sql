-- Every published report date, oldest first: the dates after a retracted one, and the new latest.
SELECT report_date FROM ektp_ingest.published_report ORDER BY report_date;
