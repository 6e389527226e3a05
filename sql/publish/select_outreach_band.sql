-- Residents of the extract in force on :report_date aged 16 to 18 that day, per kelurahan:
-- born on or before :born_by (report_date minus 16 years) and after :born_after (minus 19 years).
-- It reads the extract only, never the recordings, so publishing runs it on a second connection while
-- its own transaction resolves statuses (ektp.publish.publishing.OutreachBands).
SELECT r.kelurahan_code, count(*) AS residents
  FROM ektp_ingest.registry_resident r
 WHERE r.extract_date = (SELECT max(e.extract_date) FROM ektp_ingest.registry_extract e
                          WHERE e.extract_date <= :report_date)
   AND r.birth_date <= :born_by AND r.birth_date > :born_after
 GROUP BY r.kelurahan_code;
