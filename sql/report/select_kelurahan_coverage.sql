SELECT kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name, target_residents, recorded_on_date,
       recorded_to_date, remaining, coverage_pct
  FROM ektp_coverage.kelurahan_daily
 WHERE report_date = :report_date
 ORDER BY kelurahan_code;
