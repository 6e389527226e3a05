-- Every follow-up item, by site: open ones first, then by date, file and row.
SELECT site_code, report_date, item_kind, file_path, row_number, status, fixed_how, fixed_at, shown
  FROM ektp_quarantine.followup_item
 ORDER BY site_code, CASE status WHEN 'open' THEN 0 ELSE 1 END, report_date, file_path, row_number, item_kind;
