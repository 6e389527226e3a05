-- Coverage per kelurahan of the extract in force (contract §4). A resident's kelurahan is the
-- extract's kelurahan_code. coverage_pct is rounded half up with integer arithmetic, exact on both
-- warehouses: floor((20000 * recorded + target) / (2 * target)) / 100.
WITH in_force AS (
    SELECT q.report_date,
           (SELECT max(e.extract_date) FROM ektp_ingest.registry_extract e
             WHERE e.extract_date <= q.report_date) AS extract_date
      FROM ektp_ingest.publish_queue q
), extract_target AS (
    -- each extract's residents are counted once, however many queued dates it is in force on
    SELECT r.extract_date, r.kelurahan_code, count(*) AS target_residents
      FROM ektp_ingest.registry_resident r
     WHERE r.extract_date IN (SELECT extract_date FROM in_force)
     GROUP BY r.extract_date, r.kelurahan_code
), target AS (
    SELECT i.report_date, i.extract_date, x.kelurahan_code, x.target_residents
      FROM in_force i
      JOIN extract_target x ON x.extract_date = i.extract_date
), recorded AS (
    SELECT i.report_date, r.kelurahan_code,
           sum(CASE WHEN rec.recording_date = i.report_date THEN 1 ELSE 0 END) AS recorded_on_date,
           count(*) AS recorded_to_date
      FROM in_force i
      JOIN ektp_ingest.recording rec
        ON rec.reconciliation_status = 'matched'
       AND rec.extract_date = i.extract_date
       AND rec.recording_date BETWEEN i.extract_date AND i.report_date
      JOIN ektp_ingest.registry_resident r ON r.extract_date = i.extract_date AND r.nik = rec.nik
     GROUP BY i.report_date, r.kelurahan_code
)
INSERT INTO ektp_coverage.kelurahan_daily (
    report_date, extract_date, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
    target_residents, recorded_on_date, recorded_to_date, remaining, coverage_pct, published_at
)
SELECT t.report_date, t.extract_date, kec.region_code, kec.region_name, t.kelurahan_code, kel.region_name,
       t.target_residents,
       coalesce(c.recorded_on_date, 0),
       coalesce(c.recorded_to_date, 0),
       t.target_residents - coalesce(c.recorded_to_date, 0),
       ((20000 * coalesce(c.recorded_to_date, 0) + t.target_residents) / (2 * t.target_residents)) / 100.0,
       :published_at
  FROM target t
  LEFT JOIN recorded c ON c.report_date = t.report_date AND c.kelurahan_code = t.kelurahan_code
  JOIN ektp_ingest.region kel ON kel.region_code = t.kelurahan_code
  JOIN ektp_ingest.region kec ON kec.region_code = substr(t.kelurahan_code, 1, 8);
