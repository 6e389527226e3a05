-- Upgrade of a warehouse loaded before extract_target existed: the extracts whose targets are not counted
-- yet (none once they all are; an extract with no valid resident stays here, and counts to nothing).
SELECT e.extract_date
  FROM ektp_ingest.registry_extract e
 WHERE NOT EXISTS (SELECT 1 FROM ektp_ingest.extract_target t WHERE t.extract_date = e.extract_date);
