-- Retention of personal data in the quarantine (docs/security.md), run by ops on a schedule:
--     python -m ektp.admin.security purge-quarantine --days 90
-- Rejected rows older than the retention period (by rejected_at) keep their skeleton - file, row and
-- line number, reasons, warnings, dates: what the published counts and the conservation audit need -
-- and lose the record as received (raw_record: NIK, name, birth date), replaced by :redacted.
-- Deleting the rows instead would break the audit of every later republish of their date.
UPDATE ektp_quarantine.rejected_row
   SET raw_record = :redacted
 WHERE rejected_at < :cutoff
   AND raw_record <> :redacted;
-- Follow-up lists for the field teams are work lists: those of report dates before the cutoff go whole
-- (and their open items).
DELETE FROM ektp_quarantine.followup_suggestion WHERE report_date < :cutoff_date;
DELETE FROM ektp_quarantine.followup_redo WHERE report_date < :cutoff_date;
DELETE FROM ektp_quarantine.followup_identity_mismatch WHERE report_date < :cutoff_date;
DELETE FROM ektp_quarantine.followup_not_in_extract WHERE report_date < :cutoff_date;
DELETE FROM ektp_quarantine.followup_item WHERE report_date < :cutoff_date;
