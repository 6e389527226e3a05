-- Kecamatan totals are the sums of their kelurahan rows just published, so the two always agree.
INSERT INTO ektp_coverage.kecamatan_daily (
    report_date, extract_date, kecamatan_code, kecamatan_name, target_residents, recorded_on_date,
    recorded_to_date, remaining, coverage_pct, published_at
)
SELECT report_date, extract_date, kecamatan_code, kecamatan_name,
       sum(target_residents), sum(recorded_on_date), sum(recorded_to_date),
       sum(target_residents) - sum(recorded_to_date),
       ((20000 * sum(recorded_to_date) + sum(target_residents)) / (2 * sum(target_residents))) / 100.0,
       :published_at
  FROM ektp_coverage.kelurahan_daily
 WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue)
 GROUP BY report_date, extract_date, kecamatan_code, kecamatan_name;
