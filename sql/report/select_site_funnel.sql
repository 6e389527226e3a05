-- The card funnel of every outreach site on one published date (contract §6.3), for the console table.
SELECT site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, activated, awaiting_print_14d
  FROM ektp_coverage.site_funnel_daily
 WHERE report_date = :report_date
 ORDER BY site_code;
