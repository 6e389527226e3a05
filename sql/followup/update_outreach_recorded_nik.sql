-- The outreach list by name brought up to date for the same extract: the NIKs counted as recorded become those
-- recorded now (residents recorded since leave the list; any whose match went away, by a corrected file or a
-- retracted date, come back). Each statement touches the difference only.
DELETE FROM ektp_quarantine.outreach_recorded_nik AS p
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_now n WHERE n.nik = p.nik);
INSERT INTO ektp_quarantine.outreach_recorded_nik (nik)
SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_nik p WHERE p.nik = n.nik);
DELETE FROM ektp_quarantine.outreach_recorded_now;
