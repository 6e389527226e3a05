-- The card lists for the field on ONE report date (contract §6.2): the accepted recordings recorded on or before
-- report_date whose card is printed and not yet handed over (stage printed: bring it to the site's next visit),
-- whose biometrics belong to another NIK (stage biometric_duplicate: refer to the Dukcapil office), or that still
-- await a card, recorded on or before :awaiting_since (stage recorded or prr: awaiting_print_14d). The stages are
-- those of publish/insert_site_funnel_daily.sql, by the same rules (tests/unit/outputs/test_card_lists.py checks
-- the counts against site_funnel_daily). Parameters: :report_date; :awaiting_since, report_date minus 14 days.
-- stage: -1 biometric_duplicate, 0 recorded, 1 prr, 2 printed (3 delivered and 4 activated are not listed).
-- stage_on: the date of the event that set the stage (the latest one of its kind); none for stage 0.
WITH accepted AS (
    SELECT rec.file_path, rec.row_number, rec.nik, rec.full_name, rec.birth_date, rec.sex, rec.recording_date,
           coalesce(m.site_code, '') AS site_code
      FROM ektp_ingest.recording rec
      JOIN ektp_ingest.file_manifest m ON m.file_path = rec.file_path
     WHERE rec.duplicate_status = 'accepted'
       AND rec.recording_date <= :report_date
), staged AS (
    SELECT a.site_code, a.nik, a.full_name, a.birth_date, a.sex, a.recording_date,
           CASE WHEN max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END) IS NOT NULL
                 AND (max(CASE WHEN e.event = 'prr' THEN e.event_at END) IS NULL
                      OR max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_at END)
                         >= max(CASE WHEN e.event = 'prr' THEN e.event_at END))
                THEN -1
                ELSE coalesce(max(CASE e.event WHEN 'activated' THEN 4 WHEN 'delivered' THEN 3
                                               WHEN 'printed' THEN 2 WHEN 'prr' THEN 1 END), 0)
           END AS stage,
           max(CASE WHEN e.event = 'biometric_duplicate' THEN e.event_date END) AS duplicate_on,
           max(CASE WHEN e.event = 'printed' THEN e.event_date END) AS printed_on,
           max(CASE WHEN e.event = 'prr' THEN e.event_date END) AS prr_on
      FROM accepted a
      LEFT JOIN ektp_ingest.card_event e
        ON e.nik = a.nik
       AND e.event_date >= a.recording_date
       AND e.event_date <= :report_date
     GROUP BY a.file_path, a.row_number, a.site_code, a.nik, a.full_name, a.birth_date, a.sex, a.recording_date
)
SELECT site_code, nik, full_name, birth_date, sex, recording_date, stage,
       CASE stage WHEN -1 THEN duplicate_on WHEN 2 THEN printed_on WHEN 1 THEN prr_on END AS stage_on
  FROM staged
 WHERE stage IN (-1, 2) OR (stage IN (0, 1) AND recording_date <= :awaiting_since)
 ORDER BY site_code, stage DESC, recording_date, nik;
