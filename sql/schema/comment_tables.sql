-- What analysts see in psql (\d+) and in their SQL clients: a comment on every published table and column,
-- and on the main ingest and quarantine tables. PostgreSQL only (the SQLite loader drops COMMENT ON).
-- ektp.warehouse.migrate applies this file when its text changes (not on every run: COMMENT ON locks the table).

-- ektp_coverage: the published tables (contract §4) -------------------------------------------------------
COMMENT ON SCHEMA ektp_coverage IS
    'Published e-KTP outreach coverage, one partition per report_date (WIB), replaced whole by the nightly run.';

COMMENT ON TABLE ektp_coverage.kelurahan_daily IS
    'Coverage per report_date and kelurahan that has at least one target in the SIAK extract in force on report_date.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.report_date IS
    'The date reported on (WIB).';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.extract_date IS
    'The SIAK extract in force on report_date: the latest extract_date on or before it.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.kecamatan_code IS
    'Kemendagri kecamatan code, dotted (31.74.01).';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.kecamatan_name IS
    'Kecamatan name from the current Kemendagri list.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.kelurahan_code IS
    'Kemendagri desa/kelurahan code, dotted (31.74.01.1001): the extract''s kelurahan_code, never the NIK prefix.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.kelurahan_name IS
    'Kelurahan name from the current Kemendagri list.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.target_residents IS
    'Valid residents of the extract in force living in this kelurahan (rejected extract rows are not targets).';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.recorded_on_date IS
    'Targets with a matched recording (contract §3) recorded on report_date.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.recorded_to_date IS
    'Targets with a matched recording recorded from extract_date to report_date, inclusive.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.remaining IS
    'target_residents - recorded_to_date: targets still to record.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.coverage_pct IS
    '100 * recorded_to_date / target_residents, rounded half up to 2 decimals.';
COMMENT ON COLUMN ektp_coverage.kelurahan_daily.published_at IS
    'When this row was published (a late or changed file republishes a date: the time changes, nothing else must).';

COMMENT ON TABLE ektp_coverage.kecamatan_daily IS
    'Coverage per report_date and kecamatan with targets: the sums of its kelurahan_daily rows.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.report_date IS
    'The date reported on (WIB).';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.extract_date IS
    'The SIAK extract in force on report_date: the latest extract_date on or before it.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.kecamatan_code IS
    'Kemendagri kecamatan code, dotted (31.74.01).';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.kecamatan_name IS
    'Kecamatan name from the current Kemendagri list.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.target_residents IS
    'Valid residents of the extract in force living in this kecamatan.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.recorded_on_date IS
    'Targets with a matched recording recorded on report_date.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.recorded_to_date IS
    'Targets with a matched recording recorded from extract_date to report_date, inclusive.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.remaining IS
    'target_residents - recorded_to_date: targets still to record.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.coverage_pct IS
    '100 * recorded_to_date / target_residents of the kecamatan (not an average of kelurahan percentages), '
    'rounded half up to 2 decimals.';
COMMENT ON COLUMN ektp_coverage.kecamatan_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_coverage.site_daily IS
    'Field results per report_date and outreach site with loaded batch files that date. Every row of a batch '
    'file counts under the file''s site. rows_received = rows_rejected + rows_duplicate + rows_accepted.';
COMMENT ON COLUMN ektp_coverage.site_daily.report_date IS
    'The recording date (the batch folder''s date, WIB).';
COMMENT ON COLUMN ektp_coverage.site_daily.site_code IS
    'The most common non-empty site_code among a file''s well-formed rows (a tie goes to the smallest); '
    'empty string when a file has none.';
COMMENT ON COLUMN ektp_coverage.site_daily.site_name IS
    'The smallest non-empty site_name in the well-formed rows of the site''s files that date.';
COMMENT ON COLUMN ektp_coverage.site_daily.batch_files IS
    'Loaded batch files of the site that date (rejected files and repeated deliveries are not loaded).';
COMMENT ON COLUMN ektp_coverage.site_daily.rows_received IS
    'Data rows in those files (not the header, not empty lines).';
COMMENT ON COLUMN ektp_coverage.site_daily.rows_rejected IS
    'Rows rejected by validation (reasons in rejections_daily and ektp_quarantine.rejected_row).';
COMMENT ON COLUMN ektp_coverage.site_daily.rows_duplicate IS
    'Valid rows whose NIK was already recorded earlier (duplicate_in_batch or already_recorded).';
COMMENT ON COLUMN ektp_coverage.site_daily.rows_accepted IS
    'Valid rows that are the first recording of their NIK: matched + identity_mismatch + not_in_extract, '
    'plus no_extract rows when no extract is in force.';
COMMENT ON COLUMN ektp_coverage.site_daily.matched IS
    'Accepted rows whose NIK is in the extract in force with the same birth_date and sex: these count as coverage.';
COMMENT ON COLUMN ektp_coverage.site_daily.identity_mismatch IS
    'Accepted rows whose NIK is in the extract in force, but with another birth_date or sex.';
COMMENT ON COLUMN ektp_coverage.site_daily.not_in_extract IS
    'Accepted rows whose NIK is not in the extract in force.';
COMMENT ON COLUMN ektp_coverage.site_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_coverage.rejections_daily IS
    'Rejected batch rows of loaded files per report_date and first failing reason (contract §2.2 order). '
    'Duplicates are not rejections; rejected registry rows are not counted.';
COMMENT ON COLUMN ektp_coverage.rejections_daily.report_date IS
    'The recording date (the batch folder''s date, WIB).';
COMMENT ON COLUMN ektp_coverage.rejections_daily.reason IS
    'The first failing rule: malformed_row, missing_value, nik_format, nik_region, nik_birthdate, nik_serial, '
    'bad_birth_date, bad_sex or bad_recorded_at.';
COMMENT ON COLUMN ektp_coverage.rejections_daily.rows IS
    'Rejected rows with this first reason.';
COMMENT ON COLUMN ektp_coverage.rejections_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_coverage.files_daily IS
    'Every landed CSV file dated report_date (registry, batch and card-event files alike) and what became of it, '
    'so that a rejected or duplicated upload is visible: the uploads of the day.';
COMMENT ON COLUMN ektp_coverage.files_daily.report_date IS
    'The file''s folder date (WIB): recording date, extract date or event date.';
COMMENT ON COLUMN ektp_coverage.files_daily.kind IS
    'registry (SIAK extract) | batch (field recording upload) | card_events (card status events).';
COMMENT ON COLUMN ektp_coverage.files_daily.file_path IS
    'Path relative to the landing root, /-separated (a name that is not UTF-8 escaped as in the file manifest). '
    'A corrected file is re-uploaded at this same path.';
COMMENT ON COLUMN ektp_coverage.files_daily.outcome IS
    'loaded | rejected (the whole file, reason says why) | duplicate_delivery (identical bytes to a file with a '
    'smaller path: skipped, its rows counted nowhere).';
COMMENT ON COLUMN ektp_coverage.files_daily.reason IS
    'For rejected: not_utf8 (bytes not UTF-8, or a NUL character) | bad_header (empty file, no header row, a '
    'repeated column name, or a file that cannot be read at all) | missing_column | implausible_extract. '
    'Otherwise the empty string.';
COMMENT ON COLUMN ektp_coverage.files_daily.site_code IS
    'A loaded batch file: the site it counts under in site_daily (the most common non-empty site_code among its '
    'well-formed rows). Otherwise the empty string.';
COMMENT ON COLUMN ektp_coverage.files_daily.rows IS
    'A loaded file: its data rows (not the header, not empty lines; malformed rows included). Otherwise 0.';
COMMENT ON COLUMN ektp_coverage.files_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_coverage.outreach_targets_daily IS
    'Outreach targets per report_date and kelurahan: residents of the extract in force still without a matched '
    'recording, and how many of them are of school-leaving age. Counts only (the names are restricted).';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.report_date IS
    'The date reported on (WIB).';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.kecamatan_code IS
    'Kemendagri kecamatan code, dotted (31.74.01).';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.kelurahan_code IS
    'Kemendagri desa/kelurahan code, dotted (31.74.01.1001): the extract''s kelurahan_code.';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.kelurahan_name IS
    'Kelurahan name from the current Kemendagri list.';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.remaining IS
    'Targets still to record on report_date: equals kelurahan_daily.remaining.';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.remaining_aged_16_18 IS
    'Of remaining: residents whose 16th birthday is on or before report_date and whose 19th is after it '
    '(students to reach at school).';
COMMENT ON COLUMN ektp_coverage.outreach_targets_daily.published_at IS
    'When this row was published.';

-- ektp_ingest: what was loaded -----------------------------------------------------------------------------
COMMENT ON SCHEMA ektp_ingest IS
    'Loaded files and rows: the file manifest, every valid batch row with its statuses, the registry extracts.';
COMMENT ON TABLE ektp_ingest.file_manifest IS
    'Every landed file the pipeline has seen (path relative to the landing root), with what became of it.';
COMMENT ON COLUMN ektp_ingest.file_manifest.file_path IS
    'Path relative to the landing root. A file name that is not UTF-8 is written escaped: \xNN for each byte '
    'that is not, \\ for a backslash.';
COMMENT ON COLUMN ektp_ingest.file_manifest.status IS
    'loaded | rejected_file (reason says why) | duplicate_delivery (identical bytes to duplicate_of).';
COMMENT ON COLUMN ektp_ingest.file_manifest.reason IS
    'Why: rejected_file (in words, with the details a person checks) or duplicate_delivery.';
COMMENT ON COLUMN ektp_ingest.file_manifest.reason_code IS
    'rejected_file: not_utf8 | bad_header | missing_column | implausible_extract (files_daily.reason).';
COMMENT ON COLUMN ektp_ingest.file_manifest.sha256 IS
    'Of the bytes read; empty for a file that could not be read safely (a link out of the landing root, a FIFO).';
COMMENT ON COLUMN ektp_ingest.file_manifest.row_count IS
    'Data rows received (NULL for a rejected file, except an implausible extract, which keeps its counts).';
COMMENT ON COLUMN ektp_ingest.file_manifest.site_code IS
    'Batch files: the site the whole file counts under in site_daily.';
COMMENT ON TABLE ektp_ingest.recording IS
    'Every batch row that passed validation (restricted: holds NIKs and names), with its duplicate and '
    'reconciliation status.';
COMMENT ON COLUMN ektp_ingest.recording.nik IS
    'Normalised NIK (whitespace, dots and dashes removed).';
COMMENT ON COLUMN ektp_ingest.recording.recorded_at IS
    'The capture time; its WIB date is recording_date.';
COMMENT ON COLUMN ektp_ingest.recording.duplicate_status IS
    'accepted (first of its NIK by recorded_at, file path, row number) | duplicate_in_batch | already_recorded.';
COMMENT ON COLUMN ektp_ingest.recording.extract_date IS
    'The extract in force on recording_date (NULL: none).';
COMMENT ON COLUMN ektp_ingest.recording.reconciliation_status IS
    'Accepted rows: matched | identity_mismatch | not_in_extract | no_extract. NULL for duplicates.';
COMMENT ON COLUMN ektp_ingest.recording.line_number IS
    'The row''s first line in its file (the header is line 1): where a team finds it (NULL for rows loaded before '
    'the column existed, until their file is loaded again).';
COMMENT ON COLUMN ektp_ingest.recording.resident_kelurahan_code IS
    'Matched rows: the resident''s kelurahan_code in the extract in force (where the row counts as coverage).';
COMMENT ON TABLE ektp_ingest.registry_extract IS
    'One row per loaded SIAK extract; the latest extract_date on or before a date is in force on it.';
COMMENT ON TABLE ektp_ingest.registry_resident IS
    'Valid residents of each extract: the targets (restricted: holds NIKs and names).';
COMMENT ON TABLE ektp_ingest.extract_target IS
    'Valid residents of each extract per kelurahan (target_residents of kelurahan_daily), counted at load.';
COMMENT ON TABLE ektp_ingest.published_report IS
    'Report dates published so far, with the extract in force and the run that last published each.';
COMMENT ON TABLE ektp_ingest.pending_change IS
    'Dates whose inputs changed since they were last published; the next publish redoes them and every later '
    'published date.';
COMMENT ON TABLE ektp_ingest.retraction IS
    'Published report dates withdrawn by a person (python -m ektp.retract, or the DAG ektp_retract_date): when, '
    'by whom, why, and the rows removed per table.';

-- ektp_quarantine: what was rejected -----------------------------------------------------------------------
COMMENT ON SCHEMA ektp_quarantine IS
    'Rejected files and rows, kept whole with their reasons (restricted: raw rows hold NIKs and names).';
COMMENT ON TABLE ektp_quarantine.rejected_file IS
    'Files rejected whole: not UTF-8, no header, a required column missing.';
COMMENT ON COLUMN ektp_quarantine.rejected_file.reason_code IS
    'not_utf8 | bad_header | missing_column | implausible_extract (files_daily.reason).';
COMMENT ON TABLE ektp_quarantine.followup_item IS
    'Every follow-up item a site''s team was given (rows of the follow-up lists, batch files rejected whole), across '
    'report dates, with status open | fixed (file corrected and loaded again, or a later recording of the resident '
    'matched): the open-items lists.';
COMMENT ON TABLE ektp_quarantine.rejected_row IS
    'Every rejected row as received (raw_record, JSON), with every failing reason in contract order.';
COMMENT ON COLUMN ektp_quarantine.rejected_row.first_reason IS
    'The first failing reason: what rejections_daily counts.';
COMMENT ON COLUMN ektp_quarantine.rejected_row.reasons IS
    'Every failing reason, comma-separated, in contract order.';
COMMENT ON COLUMN ektp_quarantine.rejected_row.raw_record IS
    'The fields as received: a JSON object by column name (a malformed row: a JSON array under "_fields"; '
    'a record over 1 MiB: its prefix, size in bytes and sha256 under "_oversized").';

-- Card lifecycle (contract §6): published tables and the card events they come from -------------------------
COMMENT ON TABLE ektp_coverage.site_funnel_daily IS
    'The card funnel per report_date and outreach site with at least one accepted recording recorded on or '
    'before report_date: how far the cards of its recordings (every reconciliation status) have come. A stage '
    'implies every earlier one: recorded >= prr >= printed >= delivered >= activated; biometric_duplicate '
    'recordings get no card and are counted only in recorded and biometric_duplicate.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.report_date IS
    'The date reported on (WIB): recordings recorded and card events dated on or before it.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.site_code IS
    'The site of the recording''s batch file, as in site_daily (empty string when the file has none).';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.site_name IS
    'The smallest non-empty site_name in the well-formed rows of the site''s loaded batch files dated on or '
    'before report_date.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.recorded IS
    'Accepted recordings of the site recorded on or before report_date (matched, identity_mismatch, '
    'not_in_extract and no_extract alike).';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.biometric_duplicate IS
    'Of recorded: the latest deduplication decision (prr or biometric_duplicate event, a tie going to '
    'biometric_duplicate) is biometric_duplicate: the biometrics belong to another NIK, no card.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.prr IS
    'Of recorded: print-ready (deduplication passed) or further (printed, delivered, activated).';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.printed IS
    'Of recorded: card printed, or further (delivered, activated); a printed card counts even without a prr event.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.delivered IS
    'Of recorded: card handed to the resident, or further (activated).';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.activated IS
    'Of recorded: digital ID (IKD) activated.';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.awaiting_print_14d IS
    'Of recorded: recorded on or before report_date minus 14 days and still not printed (stage recorded or prr).';
COMMENT ON COLUMN ektp_coverage.site_funnel_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_coverage.card_events_daily IS
    'Card-event rows of loaded card-event files per report_date (the files'' folder date) and outcome.';
COMMENT ON COLUMN ektp_coverage.card_events_daily.report_date IS
    'The event date (the card-event folder''s date, WIB).';
COMMENT ON COLUMN ektp_coverage.card_events_daily.outcome IS
    'linked (the NIK has an accepted recording recorded on or before the event date), unlinked (none yet: it '
    'links when such a recording is loaded), or the first rejection reason: malformed_row, missing_value, '
    'nik_format, nik_region, nik_birthdate, nik_serial, bad_event or bad_event_at.';
COMMENT ON COLUMN ektp_coverage.card_events_daily.rows IS
    'Card-event rows with this outcome.';
COMMENT ON COLUMN ektp_coverage.card_events_daily.published_at IS
    'When this row was published.';

COMMENT ON TABLE ektp_ingest.card_event IS
    'Every valid row of a loaded card-event file (restricted: holds NIKs), linked or not: linking is decided '
    'when publishing, from everything loaded. Rejected rows are in ektp_quarantine.rejected_row (file_kind card_events).';
COMMENT ON COLUMN ektp_ingest.card_event.file_path IS
    'The card-event file, relative to the landing root.';
COMMENT ON COLUMN ektp_ingest.card_event.row_number IS
    'Data row in the file, from 1 (the header and empty lines are not rows).';
COMMENT ON COLUMN ektp_ingest.card_event.event_date IS
    'The folder''s date, which is event_at''s WIB date.';
COMMENT ON COLUMN ektp_ingest.card_event.nik IS
    'Normalised NIK (whitespace, dots and dashes removed).';
COMMENT ON COLUMN ektp_ingest.card_event.event IS
    'prr | biometric_duplicate | printed | delivered | activated (lower-cased and trimmed as received).';
COMMENT ON COLUMN ektp_ingest.card_event.event_at IS
    'When the event happened; the latest prr or biometric_duplicate decides deduplication.';
COMMENT ON COLUMN ektp_ingest.card_event.site_code IS
    'Where a card was delivered or activated, as received (informational only: cards count under the site of '
    'their recording).';
