-- An item of a date's lists: new, or listed again (its row as now listed replaces the one kept).
INSERT INTO ektp_quarantine.followup_item (
    report_date, item_kind, file_path, row_number, site_code, nik, suggested_nik, listed, status, fixed_how,
    first_listed_at, fixed_at, shown
) VALUES (
    :report_date, :item_kind, :file_path, :row_number, :site_code, :nik, :suggested_nik, TRUE, 'open', NULL,
    :listed_at, NULL, :shown
)
ON CONFLICT (report_date, item_kind, file_path, row_number) DO UPDATE
   SET site_code = excluded.site_code, nik = excluded.nik, suggested_nik = excluded.suggested_nik,
       listed = TRUE, shown = excluded.shown;
