-- A report date's follow-up lists are replaced whole (in the transaction that writes them again).
DELETE FROM ektp_quarantine.followup_redo WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_identity_mismatch WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_not_in_extract WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_suggestion WHERE report_date = :report_date;
DELETE FROM ektp_quarantine.followup_scored WHERE report_date = :report_date;
