-- The band counts of one report date (publish/select_outreach_band), for insert_outreach_targets_daily.
DROP TABLE IF EXISTS outreach_band;
CREATE TEMP TABLE outreach_band (
    kelurahan_code TEXT NOT NULL,
    residents      BIGINT NOT NULL
);
