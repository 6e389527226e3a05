-- The card funnel of every outreach site on the report date (contract §6.3), the most recorded first.
SELECT site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, activated, awaiting_print_14d
  FROM ektp_coverage.site_funnel_daily
 WHERE report_date = :report_date
 ORDER BY recorded DESC, site_code;
