-- How long cards took from recording to hand-over, per site, as counts of (recording date, hand-over date):
-- the report takes the median per site from them (the same on both warehouses, whose date arithmetic
-- differs). Stages and handed_over_date from sql/shared/card_stages.sql (contract §6.2), from the events dated
-- up to the report date: a recording counts once its stage is delivered or activated. Parameters: :report_date.
WITH
\ir ../shared/card_stages.sql
SELECT site_code, recording_date, handed_over_date, count(*) AS cards
  FROM card_staged
 WHERE stage >= 3
 GROUP BY site_code, recording_date, handed_over_date
 ORDER BY site_code, recording_date, handed_over_date;
