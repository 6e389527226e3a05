-- Candidate residents for suggestions, block by block: for each wanted birth date (followup_candidate_key),
-- the residents of the extract in force born that day; then for each wanted kelurahan, those living there
-- (a resident can be in one block of each kind). Ordered by block, so the rows can be streamed and scored
-- a block at a time (ektp.outputs.followup.suggest_in_blocks): at national size the wanted dates and kelurahan
-- cover most of the extract, too many residents to hold at once. Birth dates come as ISO text (PostgreSQL's
-- ISO DateStyle; SQLite stores them so): no per-row date conversion in Python for five million rows.
SELECT 'b' AS block_kind, CAST(r.birth_date AS TEXT) AS block_birth_date, CAST(NULL AS TEXT) AS block_kelurahan_code,
       r.nik, r.full_name, CAST(r.birth_date AS TEXT) AS birth_date, r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k)
UNION ALL
SELECT 'k', NULL, r.kelurahan_code, r.nik, r.full_name, CAST(r.birth_date AS TEXT), r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k)
 ORDER BY 1, 2, 3;
