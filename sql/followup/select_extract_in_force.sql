-- The extract in force on a report date (contract §1.1): the latest extract_date <= report_date.
SELECT max(extract_date) AS extract_date FROM ektp_ingest.registry_extract WHERE extract_date <= :report_date;
