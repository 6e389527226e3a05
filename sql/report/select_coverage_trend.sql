-- Every published date up to the report date: targets and matched recordings (sums of kecamatan rows).
SELECT report_date, extract_date, sum(target_residents) AS target_residents,
       sum(recorded_on_date) AS recorded_on_date, sum(recorded_to_date) AS recorded_to_date
  FROM ektp_coverage.kecamatan_daily
 WHERE report_date <= :report_date
 GROUP BY report_date, extract_date
 ORDER BY report_date;
