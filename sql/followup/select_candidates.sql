-- Candidate residents for suggestions: those of the extract in force born on a wanted day, or living in a
-- wanted kelurahan (followup_candidate_key), each once and in no order (ektp.outputs.followup.suggest_in_batches
-- pairs them with the rows to score). Birth dates as ISO text (PostgreSQL's ISO DateStyle; SQLite stores them so).
SELECT r.nik, r.full_name, CAST(r.birth_date AS TEXT) AS birth_date, r.sex, r.kelurahan_code
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = :extract_date
   AND (r.birth_date IN (SELECT k.birth_date FROM ektp_quarantine.followup_candidate_key k)
        OR r.kelurahan_code IN (SELECT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k));
