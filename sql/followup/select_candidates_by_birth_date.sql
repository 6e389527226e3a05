-- Candidate residents for suggestions, one block per wanted birth date (followup_candidate_key): the
-- residents of the extract in force born on that date. Ordered by the block, so they can be streamed and
-- scored a block at a time (ektp.followup.suggest_in_blocks): at national size the wanted dates and
-- kelurahan cover most of the extract, too many residents to hold at once.
SELECT r.birth_date, r.nik, r.full_name, r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k
                         WHERE k.birth_date IS NOT NULL)
 ORDER BY r.birth_date;
