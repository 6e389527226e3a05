SELECT count(*) AS residents FROM ektp_quarantine.outreach_residents;
