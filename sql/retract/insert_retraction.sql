-- The audit row of a retraction, written in its transaction: who withdrew which publication, why, and the
-- rows removed per table (a JSON object). A date retracted, published again and retracted again has two rows.
INSERT INTO ektp_ingest.retraction (
    report_date, retracted_at, retracted_by, reason, extract_date, published_at, published_by_run,
    rows_removed, outreach_rebuilt_for
)
VALUES (:report_date, :retracted_at, :retracted_by, :reason, :extract_date, :published_at, :published_by_run,
        :rows_removed, :outreach_rebuilt_for);
