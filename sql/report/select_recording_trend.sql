-- Every published date up to the report date: what became of the rows received (sums of site rows).
SELECT report_date, sum(rows_received) AS rows_received, sum(rows_rejected) AS rows_rejected,
       sum(rows_duplicate) AS rows_duplicate, sum(rows_accepted) AS rows_accepted, sum(matched) AS matched,
       sum(identity_mismatch) AS identity_mismatch, sum(not_in_extract) AS not_in_extract
  FROM ektp_coverage.site_daily
 WHERE report_date <= :report_date
 GROUP BY report_date
 ORDER BY report_date;
