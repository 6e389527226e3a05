-- Candidate residents for suggestions, one row per kelurahan block: for each wanted kelurahan
-- (followup_candidate_key), the residents of the extract in force living there. Same columns as
-- select_candidate_birth_blocks.sql (which says why JSON arrays); ``other`` is each resident's birth date (ISO
-- text: PostgreSQL's ISO DateStyle; SQLite stores them so). SQLite spells json_agg json_group_array.
SELECT 'k' AS block_kind, CAST(NULL AS TEXT) AS block_birth_date, r.kelurahan_code AS block_code,
       CAST(json_agg(r.nik) AS TEXT) AS nik, CAST(json_agg(COALESCE(r.full_name, '')) AS TEXT) AS full_name,
       CAST(json_agg(r.sex) AS TEXT) AS sex, CAST(json_agg(CAST(r.birth_date AS TEXT)) AS TEXT) AS other
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k)
 GROUP BY r.kelurahan_code;
