-- Every row OF one report date, in the retraction's transaction (ektp.retract counts each statement's rows
-- for the audit, by the table it names): the published tables, the bookkeeping of published dates (so that
-- the date counts as never published: no later run republishes it unless that date is run again), the
-- follow-up lists of that date, and the outreach list by name if it was written for that date (it holds the
-- latest published date only; ektp.retract rebuilds it for the new latest). One table per statement.
DELETE FROM ektp_coverage.kelurahan_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.kecamatan_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.site_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.rejections_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.outreach_targets_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.site_funnel_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.card_events_daily WHERE report_date = :report_date;
DELETE FROM ektp_coverage.files_daily WHERE report_date = :report_date;
DELETE FROM ektp_ingest.published_report WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_redo WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_identity_mismatch WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_not_in_extract WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_suggestion WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_item WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.outreach_list WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_scored WHERE report_date = :report_date;
