-- Warehouse tables of the three schemas (contract §4). Idempotent: every run applies it.
-- Written for PostgreSQL; the embedded SQLite warehouse gets the same tables without schemas
-- (ektp.warehouse drops CREATE SCHEMA / COMMENT ON and the schema prefixes for SQLite).
CREATE SCHEMA IF NOT EXISTS ektp_ingest;
CREATE SCHEMA IF NOT EXISTS ektp_quarantine;
CREATE SCHEMA IF NOT EXISTS ektp_coverage;

-- Current Kemendagri list, for the names in published tables.
CREATE TABLE IF NOT EXISTS ektp_ingest.region (
    region_code  TEXT PRIMARY KEY,
    region_name  TEXT NOT NULL,
    region_level INTEGER NOT NULL
);

-- Every landed file the pipeline has seen, with what became of it.
CREATE TABLE IF NOT EXISTS ektp_ingest.file_manifest (
    file_path     TEXT PRIMARY KEY,
    file_kind     TEXT NOT NULL,          -- batch | registry | card_events
    file_date     DATE NOT NULL,          -- recording date (batch), extract date (registry) or event date (card_events)
    sha256        TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    modified_ns   BIGINT,                 -- the file's mtime when it was read: unchanged files are not read again
    changed_ns    BIGINT,                 -- its ctime then: a copy that keeps the old mtime still changes it
    row_count     BIGINT,                 -- data rows (not the header, not empty lines); NULL if rejected,
                                          -- except an implausible extract (its counts are judged again)
    rows_rejected BIGINT,
    status        TEXT NOT NULL,          -- loaded | rejected_file | duplicate_delivery
    reason        TEXT,                   -- in words, with the details a person checks
    reason_code   TEXT,                   -- rejected_file: not_utf8 | bad_header | missing_column | implausible_extract
    duplicate_of  TEXT,
    -- "smallest" means code-point order, as in Python, whatever the database's locale: COLLATE "C"
    site_code     TEXT COLLATE "C",       -- batch files: the site the file counts under
    site_name     TEXT COLLATE "C",       -- smallest non-empty site_name among its well-formed rows
    validated_at  TIMESTAMPTZ NOT NULL,
    run_id        TEXT NOT NULL
);

-- Every batch row that passed validation, with its duplicate and reconciliation status.
CREATE TABLE IF NOT EXISTS ektp_ingest.recording (
    file_path               TEXT COLLATE "C" NOT NULL,  -- code-point order, so recording_by_nik serves §2.3
    row_number              INTEGER NOT NULL,
    recording_date          DATE NOT NULL,
    batch_id                TEXT NOT NULL,
    site_code               TEXT NOT NULL,
    site_name               TEXT NOT NULL,
    operator_id             TEXT NOT NULL,
    recorded_at             TIMESTAMPTZ NOT NULL,
    nik                     TEXT COLLATE "C" NOT NULL,
    full_name               TEXT NOT NULL,
    birth_date              DATE NOT NULL,
    sex                     TEXT NOT NULL,
    kelurahan_code_captured TEXT,
    warnings                TEXT,
    duplicate_status        TEXT,         -- accepted | duplicate_in_batch | already_recorded
    extract_date            DATE,         -- the extract in force on recording_date
    reconciliation_status   TEXT,         -- matched | identity_mismatch | not_in_extract | no_extract
    resident_kelurahan_code TEXT,         -- matched rows: the resident's kelurahan in that extract
    line_number             INTEGER,      -- the row's first line in the file (the header is line 1)
    PRIMARY KEY (file_path, row_number)
);
CREATE INDEX IF NOT EXISTS recording_by_nik
    ON ektp_ingest.recording (nik, recorded_at, file_path, row_number);
CREATE INDEX IF NOT EXISTS recording_by_date ON ektp_ingest.recording (recording_date);

-- One row per loaded registry extract (the latest extract_date <= D is in force on D).
CREATE TABLE IF NOT EXISTS ektp_ingest.registry_extract (
    extract_date     DATE PRIMARY KEY,
    file_path        TEXT NOT NULL,
    rows_received    BIGINT NOT NULL,
    rows_rejected    BIGINT NOT NULL,
    target_residents BIGINT NOT NULL
);

-- Valid residents of each extract (rejected extract rows live in the quarantine).
CREATE TABLE IF NOT EXISTS ektp_ingest.registry_resident (
    extract_date   DATE NOT NULL,
    row_number     INTEGER NOT NULL,
    nik            TEXT COLLATE "C" NOT NULL,
    full_name      TEXT,
    birth_date     DATE NOT NULL,
    sex            TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    PRIMARY KEY (extract_date, row_number)
);
-- NIK first: a btree build sorts on the first column's abbreviated keys (a national extract's build is faster)
CREATE INDEX IF NOT EXISTS registry_resident_by_nik ON ektp_ingest.registry_resident (nik, extract_date);

-- Valid residents of each extract per kelurahan, counted once when the extract is loaded: every
-- published date then reads 84,000 counts instead of grouping millions of residents again.
CREATE TABLE IF NOT EXISTS ektp_ingest.extract_target (
    extract_date     DATE NOT NULL,
    kelurahan_code   TEXT NOT NULL,
    target_residents BIGINT NOT NULL,
    PRIMARY KEY (extract_date, kelurahan_code)
);

-- Work table: NIKs of extract rows rejected for another reason, while duplicates are counted.
CREATE TABLE IF NOT EXISTS ektp_ingest.registry_nik_stage (
    row_number INTEGER NOT NULL,
    nik        TEXT COLLATE "C" NOT NULL
);

-- Work table: the NIKs that occur more than once in the extract being loaded (contract §2.4).
CREATE TABLE IF NOT EXISTS ektp_ingest.registry_repeated_nik (
    nik TEXT COLLATE "C" PRIMARY KEY
);

-- Great Expectations results, per run, file and expectation (history: appended, never replaced).
CREATE TABLE IF NOT EXISTS ektp_ingest.validation_result (
    run_id           TEXT NOT NULL,
    validated_at     TIMESTAMPTZ NOT NULL,
    suite_name       TEXT NOT NULL,
    file_path        TEXT NOT NULL,
    expectation_type TEXT NOT NULL,
    column_name      TEXT,
    outcome          TEXT NOT NULL,       -- the rejection reason or warning it decides
    severity         TEXT NOT NULL,       -- reject | warning
    element_count    BIGINT NOT NULL,
    unexpected_count BIGINT NOT NULL,
    success          BOOLEAN NOT NULL
);

-- Dates whose inputs changed since they were last published (a killed run leaves them here).
CREATE TABLE IF NOT EXISTS ektp_ingest.pending_change (
    change_date DATE NOT NULL,
    noted_at    TIMESTAMPTZ NOT NULL,
    run_id      TEXT NOT NULL
);

-- Report dates published so far, and the work list of the publish transaction.
CREATE TABLE IF NOT EXISTS ektp_ingest.published_report (
    report_date  DATE PRIMARY KEY,
    extract_date DATE,
    published_at TIMESTAMPTZ NOT NULL,
    run_id       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ektp_ingest.publish_queue (
    report_date DATE PRIMARY KEY
);

-- Published dates withdrawn by a person (ektp.retract), with why and what was removed: the audit trail.
CREATE TABLE IF NOT EXISTS ektp_ingest.retraction (
    report_date          DATE NOT NULL,
    retracted_at         TIMESTAMPTZ NOT NULL,
    retracted_by         TEXT NOT NULL,   -- user@host of the command, or the Airflow DAG run (and who triggered it)
    reason               TEXT NOT NULL,   -- as the operator gave it
    extract_date         DATE,            -- the publication withdrawn: its extract in force,
    published_at         TIMESTAMPTZ NOT NULL,  -- when it was published,
    published_by_run     TEXT NOT NULL,   -- and by which run
    rows_removed         TEXT NOT NULL,   -- JSON object: qualified table name -> rows deleted
    outreach_rebuilt_for DATE,            -- the outreach list by name held this date and was rebuilt for this one
    PRIMARY KEY (report_date, retracted_at)
);

-- Schema files applied only when their text changes (comments, views: they lock what they touch), by sha256.
CREATE TABLE IF NOT EXISTS ektp_ingest.schema_version (
    sql_file   TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);

-- Files rejected whole (undecodable, no header, missing a required column).
CREATE TABLE IF NOT EXISTS ektp_quarantine.rejected_file (
    file_path   TEXT PRIMARY KEY,
    file_kind   TEXT NOT NULL,
    file_date   DATE NOT NULL,
    sha256      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    reason_code TEXT,                     -- not_utf8 | bad_header | missing_column | implausible_extract
    rejected_at TIMESTAMPTZ NOT NULL,
    run_id      TEXT NOT NULL
);

-- Every rejected row, whole: raw_record is a JSON object of the fields as received
-- (a malformed row keeps its fields as a JSON array under "_fields"; a record over 1 MiB is kept as
-- its first 4,096 characters, its size in bytes and its sha256 under "_oversized").
CREATE TABLE IF NOT EXISTS ektp_quarantine.rejected_row (
    file_path    TEXT NOT NULL,
    row_number   INTEGER NOT NULL,
    line_number  INTEGER NOT NULL,
    file_kind    TEXT NOT NULL,
    file_date    DATE NOT NULL,
    first_reason TEXT NOT NULL,
    reasons      TEXT NOT NULL,           -- every failing reason, comma-separated, in contract order
    warnings     TEXT,
    raw_record   TEXT NOT NULL,
    rejected_at  TIMESTAMPTZ NOT NULL,
    run_id       TEXT NOT NULL,
    PRIMARY KEY (file_path, row_number)
);

-- Published tables (contract §4): whole report_date partitions, replaced in one transaction.
CREATE TABLE IF NOT EXISTS ektp_coverage.kelurahan_daily (
    report_date      DATE NOT NULL,
    extract_date     DATE NOT NULL,
    kecamatan_code   TEXT NOT NULL,
    kecamatan_name   TEXT NOT NULL,
    kelurahan_code   TEXT NOT NULL,
    kelurahan_name   TEXT NOT NULL,
    target_residents BIGINT NOT NULL,
    recorded_on_date BIGINT NOT NULL,
    recorded_to_date BIGINT NOT NULL,
    remaining        BIGINT NOT NULL,
    coverage_pct     NUMERIC(6, 2) NOT NULL,
    published_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, kelurahan_code)
);

CREATE TABLE IF NOT EXISTS ektp_coverage.kecamatan_daily (
    report_date      DATE NOT NULL,
    extract_date     DATE NOT NULL,
    kecamatan_code   TEXT NOT NULL,
    kecamatan_name   TEXT NOT NULL,
    target_residents BIGINT NOT NULL,
    recorded_on_date BIGINT NOT NULL,
    recorded_to_date BIGINT NOT NULL,
    remaining        BIGINT NOT NULL,
    coverage_pct     NUMERIC(6, 2) NOT NULL,
    published_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, kecamatan_code)
);

CREATE TABLE IF NOT EXISTS ektp_coverage.site_daily (
    report_date       DATE NOT NULL,
    site_code         TEXT NOT NULL,
    site_name         TEXT NOT NULL,
    batch_files       BIGINT NOT NULL,
    rows_received     BIGINT NOT NULL,
    rows_rejected     BIGINT NOT NULL,
    rows_duplicate    BIGINT NOT NULL,
    rows_accepted     BIGINT NOT NULL,
    matched           BIGINT NOT NULL,
    identity_mismatch BIGINT NOT NULL,
    not_in_extract    BIGINT NOT NULL,
    published_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, site_code)
);

CREATE TABLE IF NOT EXISTS ektp_coverage.rejections_daily (
    report_date  DATE NOT NULL,
    reason       TEXT NOT NULL,
    rows         BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, reason)
);

-- Outreach targets, published with the four tables above: residents of the extract in
-- force still without a matched recording on report_date, per kelurahan, and how many of them are
-- aged 16 to 18 on report_date (students). Counts only: the names are in ektp_quarantine.outreach_residents.
CREATE TABLE IF NOT EXISTS ektp_coverage.outreach_targets_daily (
    report_date          DATE NOT NULL,
    kecamatan_code       TEXT NOT NULL,
    kelurahan_code       TEXT NOT NULL,
    kelurahan_name       TEXT NOT NULL,
    remaining            BIGINT NOT NULL,     -- equals kelurahan_daily.remaining
    remaining_aged_16_18 BIGINT NOT NULL,     -- of remaining: 16th birthday on or before report_date, 19th after
    published_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, kelurahan_code)
);

-- Every landed CSV file of report_date (contract §4): what became of it, so that a rejected or duplicated upload
-- is visible to analysts and field teams. Read from the file manifest, whatever the file's kind.
CREATE TABLE IF NOT EXISTS ektp_coverage.files_daily (
    report_date  DATE NOT NULL,
    kind         TEXT NOT NULL,           -- registry | batch | card_events
    file_path    TEXT NOT NULL,           -- relative to the landing root, '/'-separated
    outcome      TEXT NOT NULL,           -- loaded | rejected | duplicate_delivery
    reason       TEXT NOT NULL,           -- rejected: not_utf8 | bad_header | missing_column | implausible_extract; else ''
    site_code    TEXT NOT NULL,           -- a loaded batch file: its site (as site_daily); else ''
    rows         BIGINT NOT NULL,         -- a loaded file: its data rows, malformed ones included; else 0
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path)
);

-- Follow-up lists for the field teams: restricted, they hold NIKs and names. Written
-- after publishing, for every report date the run published, whole report_date partitions at once.
-- Rejected batch rows of report_date to record again, with the fields as captured (text).
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_redo (
    report_date    DATE NOT NULL,
    site_code      TEXT NOT NULL,         -- the site the file counts under (as in site_daily)
    site_name      TEXT,
    file_path      TEXT NOT NULL,
    row_number     INTEGER NOT NULL,
    line_number    INTEGER NOT NULL,
    first_reason   TEXT NOT NULL,
    reasons        TEXT NOT NULL,
    batch_id       TEXT,
    operator_id    TEXT,
    recorded_at    TEXT,
    nik            TEXT COLLATE "C",      -- as captured, not normalised
    full_name      TEXT,
    birth_date     TEXT,
    sex            TEXT,
    kelurahan_code TEXT,
    captured_text  TEXT,                  -- malformed rows only: the fields as received, comma-joined
    written_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path, row_number)
);

-- Accepted recordings of report_date whose NIK is in the extract with another birth date or sex.
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_identity_mismatch (
    report_date         DATE NOT NULL,
    site_code           TEXT NOT NULL,
    site_name           TEXT,
    file_path           TEXT NOT NULL,
    row_number          INTEGER NOT NULL,
    recorded_at         TIMESTAMPTZ NOT NULL,
    operator_id         TEXT NOT NULL,
    nik                 TEXT COLLATE "C" NOT NULL,
    full_name           TEXT NOT NULL,
    birth_date          DATE NOT NULL,
    sex                 TEXT NOT NULL,
    extract_date        DATE NOT NULL,
    extract_full_name   TEXT,
    extract_birth_date  DATE NOT NULL,
    extract_sex         TEXT NOT NULL,
    extract_kelurahan_code TEXT NOT NULL,
    differs             TEXT NOT NULL,    -- birth_date | sex | birth_date,sex
    written_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path, row_number)
);

-- Accepted recordings of report_date whose NIK is not in the extract in force (suggestions below).
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_not_in_extract (
    report_date             DATE NOT NULL,
    site_code               TEXT NOT NULL,
    site_name               TEXT,
    file_path               TEXT NOT NULL,
    row_number              INTEGER NOT NULL,
    recorded_at             TIMESTAMPTZ NOT NULL,
    operator_id             TEXT NOT NULL,
    nik                     TEXT COLLATE "C" NOT NULL,
    full_name               TEXT NOT NULL,
    birth_date              DATE NOT NULL,
    sex                     TEXT NOT NULL,
    kelurahan_code_captured TEXT,
    extract_date            DATE NOT NULL,
    written_at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path, row_number)
);

-- Up to 3 residents of the extract in force that a not_in_extract row, or a row rejected for its
-- NIK (followup_redo, first_reason nik_*), probably is: same birth date or same kelurahan, scored
-- 0-100 (name similarity, same birth date, same sex, NIK one typo away; docs/reports.md).
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_suggestion (
    report_date     DATE NOT NULL,
    file_path       TEXT NOT NULL,
    row_number      INTEGER NOT NULL,
    suggestion_rank INTEGER NOT NULL,     -- 1 = best
    nik             TEXT COLLATE "C" NOT NULL,
    full_name       TEXT,
    birth_date      DATE NOT NULL,
    sex             TEXT NOT NULL,
    kelurahan_code  TEXT NOT NULL,
    score           NUMERIC(5, 1) NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path, row_number, suggestion_rank)
);

-- Every follow-up item a site's team was ever given (rows of the three lists above and batch files rejected
-- whole), across report dates, and whether it is still open: the open-items lists (ektp.outputs.open_items).
-- listed: the item is in its date's current lists; once the file is corrected and loaded again it is not.
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_item (
    report_date   DATE NOT NULL,
    item_kind     TEXT NOT NULL,          -- redo | identity_mismatch | not_in_extract | resend_file
    file_path     TEXT NOT NULL,
    row_number    INTEGER NOT NULL,       -- 0 for a file rejected whole
    site_code     TEXT NOT NULL,
    nik           TEXT COLLATE "C",       -- the row's NIK, normalised (none for a file)
    suggested_nik TEXT COLLATE "C",       -- the best suggested resident's NIK, if any
    listed        BOOLEAN NOT NULL,
    status        TEXT NOT NULL,          -- open | fixed
    fixed_how     TEXT,                   -- file_corrected | resident_matched
    first_listed_at TIMESTAMPTZ NOT NULL,
    fixed_at      TIMESTAMPTZ,
    shown         TEXT NOT NULL,          -- the list row as last listed (JSON, codes not words)
    PRIMARY KEY (report_date, item_kind, file_path, row_number)
);

-- Which rows of a report date were scored for suggestions, what was scored (a digest of the captured NIK, name,
-- birth date, sex and kelurahan) and against which load of the extract in force: when the date's lists are
-- written again (a late file republishes it), a row scored the same way keeps its stored suggestions.
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_scored (
    report_date     DATE NOT NULL,
    file_path       TEXT NOT NULL,
    row_number      INTEGER NOT NULL,
    query_digest    TEXT NOT NULL,
    extract_version TEXT NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, file_path, row_number)
);

-- Work table: the blocks whose residents are candidate suggestions: a birth date in a province (first two
-- digits of a kelurahan code), or a kelurahan code.
CREATE TABLE IF NOT EXISTS ektp_quarantine.followup_candidate_key (
    birth_date     DATE,
    kelurahan_code TEXT,
    province_code  TEXT
);

-- The outreach list by name is the view ektp_quarantine.outreach_residents (create_restricted_views.sql): the
-- residents of the extract in force on the list's date, less the NIKs recorded by then. Only those NIKs and the
-- date are stored, kept by difference (ektp.outputs.outreach): nothing of the five million residents is written.
-- The list's one row: the report date it is for (the latest published), the extract in force then and which
-- load of it (file sha256 and validation time: an extract re-landed under its date starts the list again), and
-- the birth dates of residents aged 16 to 18 on that date (born_after < birth_date <= born_by).
CREATE TABLE IF NOT EXISTS ektp_quarantine.outreach_list (
    report_date     DATE NOT NULL,
    extract_date    DATE NOT NULL,
    extract_version TEXT NOT NULL,
    born_by         DATE NOT NULL,
    born_after      DATE NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL
);

-- The NIKs the outreach list counted as recorded when it was last written (matched recordings of its extract
-- from the extract date to its report date): the next write compares them with the recordings now.
CREATE TABLE IF NOT EXISTS ektp_quarantine.outreach_recorded_nik (
    nik TEXT COLLATE "C" PRIMARY KEY
);

-- Work table: the NIKs recorded now, while the outreach list is brought up to date.
CREATE TABLE IF NOT EXISTS ektp_quarantine.outreach_recorded_now (
    nik TEXT COLLATE "C" PRIMARY KEY
);

-- Card lifecycle (contract §6) ----------------------------------------------------------------------------
-- Every valid row of a loaded card-event file (rejected rows go to ektp_quarantine.rejected_row, file_kind
-- card_events). Kept whether or not it links: an event links to the accepted recording of its NIK recorded
-- on or before event_date, which is decided when publishing, from everything loaded (a late batch links it).
CREATE TABLE IF NOT EXISTS ektp_ingest.card_event (
    file_path  TEXT COLLATE "C" NOT NULL,
    row_number INTEGER NOT NULL,
    event_date DATE NOT NULL,             -- the folder's date; event_at's WIB date (bad_event_at otherwise)
    nik        TEXT COLLATE "C" NOT NULL, -- normalised
    event      TEXT NOT NULL,             -- prr | biometric_duplicate | printed | delivered | activated
    event_at   TIMESTAMPTZ NOT NULL,      -- SQLite: fixed-width UTC text, as recording.recorded_at, so it sorts
    site_code  TEXT,                      -- as captured, informational only (never used to count)
    PRIMARY KEY (file_path, row_number)
);
-- linking: a NIK's events up to a date
CREATE INDEX IF NOT EXISTS card_event_by_nik ON ektp_ingest.card_event (nik, event_date);
-- card_events_daily: one date's rows
CREATE INDEX IF NOT EXISTS card_event_by_date ON ektp_ingest.card_event (event_date);

-- Published with the tables above (contract §6.3): the card funnel of every site with accepted recordings
-- recorded on or before report_date, and what became of each card-event row of report_date's files.
CREATE TABLE IF NOT EXISTS ektp_coverage.site_funnel_daily (
    report_date         DATE NOT NULL,
    site_code           TEXT NOT NULL,
    site_name           TEXT NOT NULL,
    recorded            BIGINT NOT NULL,
    biometric_duplicate BIGINT NOT NULL,
    prr                 BIGINT NOT NULL,
    printed             BIGINT NOT NULL,
    delivered           BIGINT NOT NULL,
    activated           BIGINT NOT NULL,
    awaiting_print_14d  BIGINT NOT NULL,
    published_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, site_code)
);

CREATE TABLE IF NOT EXISTS ektp_coverage.card_events_daily (
    report_date  DATE NOT NULL,
    outcome      TEXT NOT NULL,           -- linked | unlinked | the first rejection reason
    rows         BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_date, outcome)
);
