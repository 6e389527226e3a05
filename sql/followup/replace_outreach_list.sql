-- The date, extract and age bounds the outreach list by name is now for.
DELETE FROM ektp_quarantine.outreach_list;
INSERT INTO ektp_quarantine.outreach_list (report_date, extract_date, extract_version, born_by, born_after, written_at)
VALUES (:report_date, :extract_date, :extract_version, :born_by, :born_after, :written_at);
