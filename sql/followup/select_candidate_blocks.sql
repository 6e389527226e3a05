-- Candidate residents for suggestions, one row per block: for each wanted birth date and province
-- (followup_candidate_key; a province is the first two digits of a kelurahan code), the residents of the
-- extract in force born that day in that province; for each wanted birth date without a province (rows
-- captured without a kelurahan), those born that day anywhere (block code ''); for each wanted kelurahan,
-- those living there. A block's residents come as JSON arrays of text, one per column, in the same order:
-- names hold any character, and JSON says where each ends (ektp.outputs.followup._candidate_blocks parses
-- them); one value per block instead of a row per block membership (3.45 million on a national night).
-- ``other`` is what the block does not say alone: a birth-date block's kelurahan codes, a kelurahan block's
-- birth dates (ISO text: PostgreSQL's ISO DateStyle; SQLite stores them so). Blocks come in no order; the
-- scores do not depend on it. SQLite spells json_agg json_group_array (ektp.warehouse.sql_files).
SELECT m.block_kind, CAST(m.block_birth_date AS TEXT) AS block_birth_date, m.block_code,
       CAST(json_agg(m.nik) AS TEXT) AS nik, CAST(json_agg(m.full_name) AS TEXT) AS full_name,
       CAST(json_agg(m.sex) AS TEXT) AS sex, CAST(json_agg(m.other) AS TEXT) AS other
  FROM (SELECT 'b' AS block_kind, r.birth_date AS block_birth_date, SUBSTR(r.kelurahan_code, 1, 2) AS block_code,
               r.nik, COALESCE(r.full_name, '') AS full_name, r.sex, r.kelurahan_code AS other
          FROM ektp_ingest.registry_resident r
         WHERE r.extract_date = :extract_date
           AND (r.birth_date, SUBSTR(r.kelurahan_code, 1, 2)) IN (SELECT k.birth_date, k.province_code
                                                                     FROM ektp_quarantine.followup_candidate_key k
                                                                    WHERE k.province_code IS NOT NULL)
        UNION ALL
        SELECT 'b', r.birth_date, '', r.nik, COALESCE(r.full_name, ''), r.sex, r.kelurahan_code
          FROM ektp_ingest.registry_resident r
         WHERE r.extract_date = :extract_date
           AND r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k
                                 WHERE k.birth_date IS NOT NULL AND k.province_code IS NULL)
        UNION ALL
        SELECT 'k', NULL, r.kelurahan_code, r.nik, COALESCE(r.full_name, ''), r.sex, CAST(r.birth_date AS TEXT)
          FROM ektp_ingest.registry_resident r
         WHERE r.extract_date = :extract_date
           AND r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k)) m
 GROUP BY m.block_kind, m.block_birth_date, m.block_code;
