-- Which report date and extract the outreach list by name is for (no row: no list yet).
SELECT report_date, extract_date, extract_version FROM ektp_quarantine.outreach_list;
