-- How many NIKs the outreach list by name leaves out as recorded.
SELECT count(*) AS recorded FROM ektp_quarantine.outreach_recorded_nik;
