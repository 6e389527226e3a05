-- The outreach list by name started again (a new extract in force, or no list yet): the NIKs recorded now are
-- all the list leaves out.
DELETE FROM ektp_quarantine.outreach_recorded_nik;
INSERT INTO ektp_quarantine.outreach_recorded_nik (nik) SELECT n.nik FROM ektp_quarantine.outreach_recorded_now n;
DELETE FROM ektp_quarantine.outreach_recorded_now;
