-- Before a date's lists are recorded again: its items are listed only if they are in the new lists.
UPDATE ektp_quarantine.followup_item SET listed = FALSE WHERE report_date = :report_date;
