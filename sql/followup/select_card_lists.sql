-- The card lists for the field on ONE report date (contract §6.2): the accepted recordings recorded on or before
-- report_date whose card is printed and not yet handed over (stage printed: bring it to the site's next visit),
-- whose biometrics belong to another NIK (stage biometric_duplicate: refer to the Dukcapil office), or that still
-- await a card, recorded on or before :awaiting_since (stage recorded or prr: awaiting_print_14d). The stages are
-- those of sql/shared/card_stages.sql, as site_funnel_daily's (tests/unit/outputs/test_card_lists.py checks the
-- counts against site_funnel_daily). Parameters: :report_date; :awaiting_since, report_date minus 14 days.
-- stage: -1 biometric_duplicate, 0 recorded, 1 prr, 2 printed (3 delivered and 4 activated are not listed).
-- stage_on: the date of the event that set the stage (the latest one of its kind); none for stage 0.
WITH
\ir ../shared/card_stages.sql
SELECT s.site_code, rec.nik, rec.full_name, rec.birth_date, rec.sex, s.recording_date, s.stage,
       CASE s.stage WHEN -1 THEN s.duplicate_on WHEN 2 THEN s.printed_on WHEN 1 THEN s.prr_on END AS stage_on
  FROM card_staged s
  JOIN ektp_ingest.recording rec ON rec.file_path = s.file_path AND rec.row_number = s.row_number
 WHERE s.stage IN (-1, 2) OR (s.stage IN (0, 1) AND s.recording_date <= :awaiting_since)
 ORDER BY s.site_code, s.stage DESC, s.recording_date, rec.nik;
