-- Whole report_date partitions are replaced (in the same transaction as the inserts).
DELETE FROM ektp_coverage.kelurahan_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.kecamatan_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.site_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.rejections_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.outreach_targets_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.site_funnel_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.card_events_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_coverage.files_daily WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
DELETE FROM ektp_ingest.published_report WHERE report_date IN (SELECT report_date FROM ektp_ingest.publish_queue);
