SELECT kecamatan_code, kelurahan_code, kelurahan_name, remaining, remaining_aged_16_18
  FROM ektp_coverage.outreach_targets_daily
 WHERE report_date = :report_date
 ORDER BY kelurahan_code;
