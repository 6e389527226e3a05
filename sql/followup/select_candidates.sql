-- Candidate residents for suggestions, bounded by blocking: residents of the extract in force born on
-- one of the wanted birth dates or living in one of the wanted kelurahan (followup_candidate_key).
SELECT r.nik, r.full_name, r.birth_date, r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND (r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k
                          WHERE k.birth_date IS NOT NULL)
        OR r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k
                                 WHERE k.kelurahan_code IS NOT NULL))
 ORDER BY r.nik;
