-- Candidate residents for suggestions, block by block: for each wanted birth date and province
-- (followup_candidate_key; a province is the first two digits of a kelurahan code), the residents of the
-- extract in force born that day in that province; for each wanted birth date without a province (rows
-- captured without a kelurahan), those born that day anywhere (block code ''); then for each wanted
-- kelurahan, those living there. Ordered by block, so the rows can be streamed and scored a block at a time
-- (ektp.outputs.followup.suggest_in_blocks): at national size the wanted blocks still cover much of the
-- extract, too many residents to hold at once. Birth dates come as ISO text (PostgreSQL's ISO DateStyle;
-- SQLite stores them so): no per-row date conversion in Python for millions of rows.
SELECT 'b' AS block_kind, CAST(r.birth_date AS TEXT) AS block_birth_date, SUBSTR(r.kelurahan_code, 1, 2) AS block_code,
       r.nik, r.full_name, CAST(r.birth_date AS TEXT) AS birth_date, r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND (r.birth_date, SUBSTR(r.kelurahan_code, 1, 2)) IN (SELECT k.birth_date, k.province_code
                                                             FROM ektp_quarantine.followup_candidate_key k
                                                            WHERE k.province_code IS NOT NULL)
UNION ALL
SELECT 'b', CAST(r.birth_date AS TEXT), '', r.nik, r.full_name, CAST(r.birth_date AS TEXT), r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k
                         WHERE k.birth_date IS NOT NULL AND k.province_code IS NULL)
UNION ALL
SELECT 'k', NULL, r.kelurahan_code, r.nik, r.full_name, CAST(r.birth_date AS TEXT), r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k)
 ORDER BY 1, 2, 3;
