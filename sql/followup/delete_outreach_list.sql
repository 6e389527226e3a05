-- The outreach list by name emptied: no published date, or no extract in force on it.
DELETE FROM ektp_quarantine.outreach_list;
DELETE FROM ektp_quarantine.outreach_recorded_nik;
DELETE FROM ektp_quarantine.outreach_recorded_now;
