SELECT max(report_date) AS latest FROM ektp_ingest.published_report;
