SELECT reason, rows
  FROM ektp_coverage.rejections_daily
 WHERE report_date = :report_date
 ORDER BY rows DESC, reason;
