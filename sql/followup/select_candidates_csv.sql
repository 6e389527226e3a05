-- PostgreSQL's followup/select_candidates (the same residents, each once, in no order), as CSV text: a row holds
-- the lines of the residents of :bucket_rows extract rows (a range of the primary key), so the driver makes one
-- value per block, not one per resident and column (ektp.warehouse.csv_batches). Every field is quoted; a
-- missing name is an empty one (the scoring takes it so). The wanted keys are hash-joined: an IN (subquery)
-- under OR is a subplan that PostgreSQL scans for every resident when it expects many keys (a bloated table).
SELECT (SELECT string_agg(concat_ws(',', '"' || replace(r.nik, '"', '""') || '"',
                                     '"' || replace(coalesce(r.full_name, ''), '"', '""') || '"',
                                     '"' || CAST(r.birth_date AS TEXT) || '"', '"' || replace(r.sex, '"', '""') || '"',
                                     '"' || replace(r.kelurahan_code, '"', '""') || '"'), :newline)
          FROM ektp_ingest.registry_resident r
          LEFT JOIN (SELECT DISTINCT k.birth_date FROM ektp_quarantine.followup_candidate_key k
                      WHERE k.birth_date IS NOT NULL) kb ON kb.birth_date = r.birth_date
          LEFT JOIN (SELECT DISTINCT k.kelurahan_code FROM ektp_quarantine.followup_candidate_key k
                      WHERE k.kelurahan_code IS NOT NULL) kk ON kk.kelurahan_code = r.kelurahan_code
         WHERE r.extract_date = :extract_date
           AND r.row_number >= b.low AND r.row_number < b.low + :bucket_rows
           AND (kb.birth_date IS NOT NULL OR kk.kelurahan_code IS NOT NULL))
  FROM generate_series(0, (SELECT max(r.row_number) FROM ektp_ingest.registry_resident r
                            WHERE r.extract_date = :extract_date), :bucket_rows) AS b(low);
