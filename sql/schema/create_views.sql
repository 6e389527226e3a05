-- Convenience views for analysts: the latest published report date, without having to look it up.
-- "Latest" is the latest report date published (ektp_ingest.published_report), so a view is empty, not stale,
-- when that date has no rows (no extract in force yet, no batch files that day).
-- Views, not tables: they hold nothing of their own, so comparisons of the published tables are unaffected.
-- ektp.warehouse.migrate applies this file when its text changes; on SQLite, CREATE OR REPLACE VIEW becomes
-- DROP VIEW IF EXISTS + CREATE VIEW.
CREATE OR REPLACE VIEW ektp_coverage.latest_kecamatan AS
SELECT report_date, extract_date, kecamatan_code, kecamatan_name, target_residents, recorded_on_date,
       recorded_to_date, remaining, coverage_pct, published_at
  FROM ektp_coverage.kecamatan_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

CREATE OR REPLACE VIEW ektp_coverage.latest_kelurahan AS
SELECT report_date, extract_date, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
       target_residents, recorded_on_date, recorded_to_date, remaining, coverage_pct, published_at
  FROM ektp_coverage.kelurahan_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

CREATE OR REPLACE VIEW ektp_coverage.latest_site AS
SELECT report_date, site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate,
       rows_accepted, matched, identity_mismatch, not_in_extract, published_at
  FROM ektp_coverage.site_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

CREATE OR REPLACE VIEW ektp_coverage.latest_site_funnel AS
SELECT report_date, site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, activated,
       awaiting_print_14d, published_at
  FROM ektp_coverage.site_funnel_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

CREATE OR REPLACE VIEW ektp_coverage.latest_card_events AS
SELECT report_date, outcome, rows, published_at
  FROM ektp_coverage.card_events_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

CREATE OR REPLACE VIEW ektp_coverage.latest_files AS
SELECT report_date, kind, file_path, outcome, reason, site_code, rows, published_at
  FROM ektp_coverage.files_daily
 WHERE report_date = (SELECT max(report_date) FROM ektp_ingest.published_report);

COMMENT ON VIEW ektp_coverage.latest_kecamatan IS
    'kecamatan_daily for the latest published report date.';
COMMENT ON VIEW ektp_coverage.latest_kelurahan IS
    'kelurahan_daily for the latest published report date.';
COMMENT ON VIEW ektp_coverage.latest_site IS
    'site_daily for the latest published report date.';
COMMENT ON VIEW ektp_coverage.latest_site_funnel IS
    'site_funnel_daily for the latest published report date.';
COMMENT ON VIEW ektp_coverage.latest_card_events IS
    'card_events_daily for the latest published report date.';
COMMENT ON VIEW ektp_coverage.latest_files IS
    'files_daily for the latest published report date: the uploads of that day and what became of them.';
