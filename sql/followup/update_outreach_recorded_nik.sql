-- The outreach list by name brought up to date for the same extract: the NIKs counted as recorded become those
-- recorded now (residents recorded since leave the list; any whose match went away, by a corrected file or a
-- retracted date, come back). Each statement touches the difference only, and none reads the table it writes:
-- an INSERT whose anti-join scans its own target reads every row it has inserted so far, again for each row
-- (minutes for 225,000 NIKs, measured at national size).
DELETE FROM ektp_quarantine.outreach_recorded_nik AS p
 WHERE NOT EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_now n WHERE n.nik = p.nik);
DELETE FROM ektp_quarantine.outreach_recorded_now AS n
 WHERE EXISTS (SELECT 1 FROM ektp_quarantine.outreach_recorded_nik p WHERE p.nik = n.nik);
INSERT INTO ektp_quarantine.outreach_recorded_nik (nik) SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n;
DELETE FROM ektp_quarantine.outreach_recorded_now;
