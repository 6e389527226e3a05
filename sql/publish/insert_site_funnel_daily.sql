-- The card funnel of every outreach site on ONE report date (contract §6.3), from the card stages of
-- sql/shared/card_stages.sql (contract §6.2). Run once per queued date, after resolve/update_recording_status
-- (the stages read duplicate_status). Parameters:
--   :report_date     the date published
--   :awaiting_since  report_date minus 14 days, computed by the caller (date arithmetic is spelled differently
--                    on PostgreSQL and SQLite; ISO dates compare the same on both)
--   :published_at    the publish time
--
-- A stage implies the earlier ones: the printed column counts stages 2 to 4, so a card printed without a prr
-- event is print-ready too. awaiting_print_14d: stage 0 or 1, recorded on or before :awaiting_since.
-- One pass: the recordings joined to their events, grouped per recording, then per site.
WITH
\ir ../shared/card_stages.sql
, site_name AS (
    -- the smallest non-empty name of the site's loaded batch files dated on or before report_date (the
    -- manifest holds each file's smallest; the site_name columns are COLLATE "C": code-point order)
    SELECT coalesce(m.site_code, '') AS site_code,
           min(CASE WHEN m.site_name <> '' THEN m.site_name END) AS site_name
      FROM ektp_ingest.file_manifest m
     WHERE m.file_kind = 'batch' AND m.status = 'loaded' AND m.file_date <= :report_date
     GROUP BY coalesce(m.site_code, '')
)
INSERT INTO ektp_coverage.site_funnel_daily (
    report_date, site_code, site_name, recorded, biometric_duplicate, prr, printed, delivered, activated,
    awaiting_print_14d, published_at
)
SELECT :report_date, f.site_code, coalesce(n.site_name, ''), f.recorded, f.biometric_duplicate, f.prr, f.printed,
       f.delivered, f.activated, f.awaiting_print_14d, :published_at
  FROM (
        -- grouped first, then named: the names meet a few hundred sites, not every recording
        SELECT s.site_code, count(*) AS recorded,
               sum(CASE WHEN s.stage = -1 THEN 1 ELSE 0 END) AS biometric_duplicate,
               sum(CASE WHEN s.stage >= 1 THEN 1 ELSE 0 END) AS prr,
               sum(CASE WHEN s.stage >= 2 THEN 1 ELSE 0 END) AS printed,
               sum(CASE WHEN s.stage >= 3 THEN 1 ELSE 0 END) AS delivered,
               sum(CASE WHEN s.stage = 4 THEN 1 ELSE 0 END) AS activated,
               sum(CASE WHEN s.stage IN (0, 1) AND s.recording_date <= :awaiting_since THEN 1 ELSE 0 END)
                   AS awaiting_print_14d
          FROM card_staged s
         GROUP BY s.site_code
       ) AS f
  LEFT JOIN site_name n ON n.site_code = f.site_code;
