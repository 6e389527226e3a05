-- Candidate residents for suggestions, one block per wanted kelurahan (followup_candidate_key): the
-- residents of the extract in force living there. Ordered by the block, so they can be streamed and scored
-- a block at a time (ektp.followup.suggest_in_blocks), as select_candidates_by_birth_date.
SELECT r.kelurahan_code, r.nik, r.full_name, r.birth_date, r.sex
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k
                             WHERE k.kelurahan_code IS NOT NULL)
 ORDER BY r.kelurahan_code;
