"""Follow-up lists for the field teams, in the restricted schema and as CSV files per outreach site.

For a report date D (rows recorded on D), written after D is published:

* ``ektp_quarantine.followup_redo``: rejected batch rows, to record again, with the fields as captured;
* ``ektp_quarantine.followup_identity_mismatch``: accepted rows whose birth date or sex differ from SIAK;
* ``ektp_quarantine.followup_not_in_extract``: accepted rows whose NIK is not in the extract in force;
* ``ektp_quarantine.followup_suggestion``: for a not_in_extract row, or a row rejected for its NIK,
  the (at most) three residents of the extract in force it most probably is;
* ``<report_dir>/followup/<D>/<site>.csv``: the items of one site, in the reader's language
  (``ektp.outputs.site_lists``), and ``<report_dir>/followup/open_items/<site>.csv`` (``ektp.outputs.open_items``).

The outreach list by name (``ektp_quarantine.outreach_residents``) is kept by ``ektp.outputs.outreach``.

Suggestions are blocked in SQL (candidates: residents with the row's birth date, or living in the
kelurahan the device captured), streamed a block at a time (a national night's blocks hold most of the
extract) and scored in Python as each block arrives, with ``rapidfuzz.process.cdist``:

    score = 0.70 * token_sort_ratio(names) + 20 [same birth date] + 5 [same sex]
            + 5 [NIK one typo away: one digit changed, added or dropped, or two adjacent swapped]

so 100 is the same name, birth date and sex with a NIK one typo away. The name carries the weight:
residents born on the same day in the same kecamatan have NIKs that differ only in the serial, so a
close NIK alone means little. Suggestions scoring under ``MIN_SCORE`` (75) are not listed.

This module is imported by ``ektp.publish.publishing``: heavy libraries load inside the functions.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ektp.core.calendar import WIB
from ektp.core.file_modes import PRIVATE_DIR, PRIVATE_FILE, make_dirs

log = logging.getLogger(__name__)

SUGGESTIONS = 3
MIN_SCORE = 75.0
NAME_WEIGHT = 0.70
SAME_BIRTH_DATE = 20.0
SAME_SEX = 5.0
NIK_ONE_TYPO = 5.0
#: rejected rows whose first reason is a NIK rule get suggestions too (a mistyped NIK often fails one)
NIK_REASONS = ("nik_format", "nik_region", "nik_birthdate", "nik_serial")
FOLLOWUP_DIR = "followup"
#: field teams open these files in spreadsheets: a BOM makes them read UTF-8 names correctly
CSV_ENCODING = "utf-8-sig"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NIK_NOISE = re.compile(r"[\s.\-]")


def reports_enabled() -> bool:
    """``EKTP_REPORTS=off`` (or 0/false/no) skips the HTML reports and follow-up lists (benchmarks)."""
    from ektp.core.settings import setting

    return setting("reports")


# --- suggestions ---------------------------------------------------------------------------------


@dataclass
class Query:
    """A row to find the resident for: what the device captured."""

    key: tuple[str, int]  # (file_path, row_number)
    nik: str
    full_name: str
    birth_date: str | None  # ISO text, None when not a valid date
    sex: str | None
    kelurahan_code: str | None


@dataclass
class Candidates:
    """Residents of the extract in force, as parallel columns (ISO text dates)."""

    nik: list[str] = field(default_factory=list)
    full_name: list[str] = field(default_factory=list)
    birth_date: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    kelurahan_code: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.nik)


def suggest(queries: Sequence[Query], cands: Candidates, limit: int = SUGGESTIONS,
            min_score: float | None = None) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """Top ``limit`` candidates (index, score) per query, best first (ties: smaller NIK)."""
    import pyarrow as pa

    batch = pa.RecordBatch.from_pydict({c: pa.array(getattr(cands, c), pa.string()) for c in CANDIDATE_COLUMNS})
    found = suggest_in_batches(queries, [batch], limit, min_score)
    index = {nik: i for i, nik in enumerate(cands.nik)}
    return {key: [(index[r.nik], score) for r, score in ranked] for key, ranked in found.items()}


@dataclass(frozen=True)
class Resident:
    """A suggested resident (ISO text birth date)."""

    nik: str
    full_name: str
    birth_date: str
    sex: str
    kelurahan_code: str


#: the columns of a candidate batch (``followup/select_candidates``), as text
CANDIDATE_COLUMNS = ("nik", "full_name", "birth_date", "sex", "kelurahan_code")


#: the columns of a candidate listed with a suggestion, not scored
LISTED_COLUMNS = ("birth_date", "sex", "kelurahan_code")


class _Distinct:
    """The distinct values of a text column seen so far; a column as indices into them (dictionary encoding
    with one dictionary for every batch)."""

    def __init__(self):
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def encode(self, column) -> Any:
        import numpy as np
        import pyarrow.compute as pc

        distinct = pc.unique(column)
        ids = np.array([self._index.setdefault(v, len(self._index)) for v in distinct.to_pylist()], dtype=np.int32)
        self.values.extend(list(self._index)[len(self.values):])
        return ids[pc.index_in(column, value_set=distinct).to_numpy()]


class _Wanted:
    """The queries by the values of one field they block on: the values (an Arrow array to look candidates' values
    up in) and, for each, the queries wanting it (``order[start[v]:start[v + 1]]``)."""

    def __init__(self, values: list[str | None]):
        import numpy as np
        import pyarrow as pa

        keys = sorted({v for v in values if v is not None})
        position = {v: k for k, v in enumerate(keys)}
        self.of_query = np.array([position.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)
        self.keys = pa.array(keys, pa.string())
        wanting = self.of_query[self.of_query >= 0]
        self.order = np.flatnonzero(self.of_query >= 0)[np.argsort(wanting, kind="stable")]
        self.start = np.concatenate([[0], np.cumsum(np.bincount(wanting, minlength=len(keys)))])

    def lookup(self, column) -> Any:
        """Each candidate's value as a key index, -1 when no query wants it."""
        import pyarrow.compute as pc

        return pc.fill_null(pc.index_in(column, value_set=self.keys), -1).to_numpy().astype("int32")


def suggest_in_batches(queries: Sequence[Query], batches: Iterable[Any], limit: int = SUGGESTIONS,
                       min_score: float | None = None) -> dict[tuple[str, int], list[tuple[Resident, float]]]:
    """Top ``limit`` residents per query, best first (ties: smaller NIK), among candidates that arrive as Arrow
    batches of :data:`CANDIDATE_COLUMNS` (each resident once, in any order).

    The candidates are held as Arrow columns (a national night's are most of the extract, 4.6 million) and
    ordered by block with array sorts: the residents of a birth date, then of a kelurahan. Each block is scored
    against the queries that want it in one ``cdist`` call per field. A pair's score does not depend on its
    block, so a resident found in two of a query's blocks counts once.
    """
    import numpy as np
    import pyarrow as pa
    from rapidfuzz import fuzz, process, utils
    from rapidfuzz.distance import OSA

    min_score = MIN_SCORE if min_score is None else min_score
    births, kelurahan = _Wanted([q.birth_date for q in queries]), _Wanted([q.kelurahan_code for q in queries])
    sexes = _Wanted([q.sex for q in queries])
    # the names and NIKs are scored; the other fields only compared (as key indices) and listed for the few
    # suggested (as indices into their distinct values): memory for 4.6 million residents stays a few hundred MiB
    listed = {c: _Distinct() for c in LISTED_COLUMNS}
    columns: dict[str, list] = defaultdict(list)
    for batch in batches:
        if not batch.num_rows:
            continue
        for c in ("nik", "full_name"):
            columns[c].append(batch[c])
        for c in LISTED_COLUMNS:
            columns[c].append(listed[c].encode(batch[c]))
        for key, wanted, c in (("b", births, "birth_date"), ("s", sexes, "sex"), ("k", kelurahan, "kelurahan_code")):
            columns[key].append(wanted.lookup(batch[c]))
    if not columns:
        return {q.key: [] for q in queries}
    niks, names = pa.concat_arrays(columns.pop("nik")), pa.concat_arrays(columns.pop("full_name"))
    listed_ids = {c: np.concatenate(columns.pop(c)) for c in LISTED_COLUMNS}
    cand_birth, cand_sex, cand_kelurahan = (np.concatenate(columns.pop(key)) for key in ("b", "s", "k"))
    q_birth, q_sex = births.of_query, sexes.of_query
    found: list[dict[int, float]] = [{} for _ in queries]
    for wanted, cand_key in ((births, cand_birth), (kelurahan, cand_kelurahan)):
        members = np.flatnonzero(cand_key >= 0)
        members = members[np.argsort(cand_key[members], kind="stable")]
        bounds = np.searchsorted(cand_key[members], np.arange(len(wanted.start)))
        for key in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist():
            c = members[bounds[key]:bounds[key + 1]]
            q = wanted.order[wanted.start[key]:wanted.start[key + 1]]
            taken = pa.array(c)
            block_names = [n or "" for n in names.take(taken).to_pylist()]
            name = process.cdist([queries[i].full_name for i in q.tolist()], block_names,
                                 scorer=fuzz.token_sort_ratio, processor=utils.default_process, dtype=np.float32)
            nik = process.cdist([queries[i].nik for i in q.tolist()], niks.take(taken).to_pylist(),
                                scorer=OSA.distance, dtype=np.int32)
            birth = (q_birth[q][:, None] == cand_birth[c][None, :]) & (q_birth[q] >= 0)[:, None]
            sex = (q_sex[q][:, None] == cand_sex[c][None, :]) & (q_sex[q] >= 0)[:, None]
            total = (NAME_WEIGHT * name + SAME_BIRTH_DATE * birth + SAME_SEX * sex + NIK_ONE_TYPO * (nik <= 1))
            total = np.round(total.astype(np.float64), 1)
            rows, cols = np.nonzero(total >= min_score)
            for qi, ci, score in zip(q[rows].tolist(), c[cols].tolist(), total[rows, cols].tolist(), strict=True):
                found[qi][ci] = score
    out: dict[tuple[str, int], list[tuple[Resident, float]]] = {}
    for q, hits in zip(queries, found, strict=True):
        ranked = sorted(hits.items(), key=lambda kv: (-kv[1], niks[kv[0]].as_py()))[:limit]
        out[q.key] = [(Resident(niks[i].as_py(), names[i].as_py() or "",
                                **{c: listed[c].values[listed_ids[c][i]] for c in LISTED_COLUMNS}), score)
                      for i, score in ranked]
    return out


def _iso(value: Any) -> str | None:
    """A warehouse date (date on PostgreSQL, text on SQLite) or captured text, as ISO text if valid."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _kelurahan(value: Any) -> str | None:
    """A captured kelurahan code in the dotted form (``3174011001`` -> ``31.74.01.1001``)."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{10}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text or None


def _normalised_nik(value: Any) -> str:
    return _NIK_NOISE.sub("", str(value or ""))


def _wib(value: Any) -> str:
    """A stored timestamp (datetime on PostgreSQL, text on SQLite) as WIB ISO text."""
    if value is None or value == "":
        return ""
    ts = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(WIB).isoformat(timespec="seconds")


# --- writing the lists ---------------------------------------------------------------------------


def write_followups(engine, report_date: date, report_dir: Path) -> dict:
    """Replace D's follow-up lists in the restricted schema, then write D's CSV files per site."""
    from ektp import warehouse as wh
    from ektp.core.settings import setting
    from ektp.core.texts import texts
    from ektp.outputs import open_items, site_lists  # they import this module

    written_at = datetime.now(UTC)
    params = {"report_date": report_date, "written_at": written_at}
    with wh.transaction(engine) as conn:
        stored = _stored_suggestions(conn, report_date)  # before they are deleted: reused if scored the same way
        wh.run_sql(conn, "followup/delete_followups", params)
        wh.run_sql(conn, "followup/insert_followup_identity_mismatch", params)
        wh.run_sql(conn, "followup/insert_followup_not_in_extract", params)
        redo, redo_queries = _redo_rows(wh.query(conn, "followup/select_rejected_rows", params), report_date,
                                        written_at)
        wh.bulk_insert(conn, "ektp_quarantine.followup_redo", REDO_COLUMNS, redo)
        queries = [Query((r.file_path, r.row_number), r.nik, r.full_name, _iso(r.birth_date), r.sex,
                         _kelurahan(r.kelurahan_code_captured))
                   for r in wh.query(conn, "followup/select_not_in_extract", params)] + redo_queries
        n_suggested, n_scored = _write_suggestions(conn, report_date, queries, written_at, stored)
        lists = site_lists.read_rows(conn, report_date)
        open_items.record_listed(conn, report_date, lists["rows"], written_at)
    files = site_lists.write_site_lists(report_dir / FOLLOWUP_DIR / report_date.isoformat(), lists,
                                        texts(setting("language")))
    kinds = Counter(r["kind"] for r in lists["rows"])
    summary = {"report_date": report_date.isoformat(), "redo": kinds["redo"],
               "identity_mismatch": kinds["identity_mismatch"], "not_in_extract": kinds["not_in_extract"],
               "resend_files": kinds["resend_file"], "with_suggestion": n_suggested, "scored": n_scored,
               "scores_reused": len(queries) - n_scored, "csv_files": len(files)}
    log.info("follow-up lists for %s: %s", report_date, summary)
    return summary


REDO_COLUMNS = ["report_date", "site_code", "site_name", "file_path", "row_number", "line_number", "first_reason",
                "reasons", "batch_id", "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex",
                "kelurahan_code", "captured_text", "written_at"]
_CAPTURED = ["batch_id", "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex", "kelurahan_code"]


def _redo_rows(rows: Iterable, report_date: date, written_at: datetime) -> tuple[list[list], list[Query]]:
    out, queries = [], []
    for r in rows:
        raw = json.loads(r.raw_record)
        fields = raw.pop("_fields", None)
        captured = [None if raw.get(c) is None else str(raw[c]) for c in _CAPTURED]
        text = ",".join(str(f) for f in fields) if fields is not None else None
        out.append([report_date, r.site_code, r.site_name, r.file_path, r.row_number, r.line_number, r.first_reason,
                    r.reasons, *captured, text, written_at])
        got = dict(zip(_CAPTURED, captured, strict=True))
        if r.first_reason in NIK_REASONS and (got["full_name"] or "").strip():
            queries.append(Query((r.file_path, r.row_number), _normalised_nik(got["nik"]), got["full_name"].strip(),
                                 _iso(got["birth_date"]), (got["sex"] or "").strip().upper() or None,
                                 _kelurahan(got["kelurahan_code"])))
    return out, queries


SUGGESTION_COLUMNS = ["report_date", "file_path", "row_number", "suggestion_rank", "nik", "full_name", "birth_date",
                      "sex", "kelurahan_code", "score", "written_at"]


SCORED_COLUMNS = ["report_date", "file_path", "row_number", "query_digest", "extract_version", "written_at"]


@dataclass
class StoredSuggestions:
    """A report date's suggestions as last written: what each row was scored as, and what it was given."""

    scored: dict[tuple[str, int], tuple[str, str]]  # (file_path, row_number) -> (query digest, extract version)
    suggestions: dict[tuple[str, int], list]  # -> rows of followup/select_suggestions, best first


def _stored_suggestions(conn, report_date: date) -> StoredSuggestions:
    from ektp import warehouse as wh

    params = {"report_date": report_date}
    scored = {(r.file_path, r.row_number): (r.query_digest, r.extract_version)
              for r in wh.query(conn, "followup/select_scored", params)}
    suggestions: dict[tuple[str, int], list] = defaultdict(list)
    if scored:
        for r in wh.query(conn, "followup/select_suggestions", params):
            suggestions[(r.file_path, r.row_number)].append(r)
    return StoredSuggestions(scored, suggestions)


def query_digest(q: Query) -> str:
    """What a row is scored as: its captured NIK, name, birth date, sex and kelurahan (a corrected file changes it)."""
    text = json.dumps([q.nik, q.full_name, q.birth_date, q.sex, q.kelurahan_code], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def extract_version(conn, extract_date: date) -> str:
    """Which load of an extract is in force: its file's sha256 and validation time (a re-landed extract changes
    them). Stored suggestions and the outreach list by name are kept only while it stays the same."""
    from ektp import warehouse as wh

    (sha256, validated_at), = wh.query(conn, "followup/select_extract_version", {"extract_date": extract_date})
    return f"{sha256} {validated_at}"


def _write_suggestions(conn, report_date: date, queries: list[Query], written_at: datetime,
                       stored: StoredSuggestions | None = None) -> tuple[int, int]:
    """Suggestions of the date's rows: (rows with a suggestion, rows scored now). A row scored before the same
    way (same captured fields, same load of the extract in force) keeps its stored suggestions: a late file
    republishes a date, and its other rows need no scoring again."""
    from ektp import warehouse as wh

    (extract_date,), = wh.query(conn, "followup/select_extract_in_force", {"report_date": report_date})
    if extract_date is None or not queries:
        return 0, 0
    if not isinstance(extract_date, date):
        extract_date = date.fromisoformat(str(extract_date)[:10])
    version = extract_version(conn, extract_date)
    digests = {q.key: query_digest(q) for q in queries}
    stored = stored or StoredSuggestions({}, {})
    fresh = [q for q in queries if stored.scored.get(q.key) != (digests[q.key], version)]
    found: dict[tuple[str, int], list[tuple[Resident, float]]] = {
        q.key: [(Resident(s.nik, s.full_name, _iso(s.birth_date), s.sex, s.kelurahan_code), float(s.score))
                for s in stored.suggestions.get(q.key, [])]
        for q in queries if stored.scored.get(q.key) == (digests[q.key], version)}
    if fresh:
        keys = sorted({(date.fromisoformat(q.birth_date), None) for q in fresh if q.birth_date}
                      | {(None, q.kelurahan_code) for q in fresh if q.kelurahan_code}, key=str)
        wh.run_sql(conn, "followup/delete_candidate_keys")
        wh.bulk_insert(conn, "ektp_quarantine.followup_candidate_key", ["birth_date", "kelurahan_code"], keys)
        wh.analyze(conn, "ektp_quarantine.followup_candidate_key")  # planned as it is, not as last seen
        found |= suggest_in_batches(fresh, _candidate_batches(conn, extract_date))
        wh.run_sql(conn, "followup/delete_candidate_keys")
    rows = [[report_date, key[0], key[1], rank, r.nik, r.full_name, date.fromisoformat(r.birth_date), r.sex,
             r.kelurahan_code, score, written_at]
            for key, ranked in sorted(found.items()) for rank, (r, score) in enumerate(ranked, start=1)]
    wh.bulk_insert(conn, "ektp_quarantine.followup_suggestion", SUGGESTION_COLUMNS, rows)
    wh.bulk_insert(conn, "ektp_quarantine.followup_scored", SCORED_COLUMNS,
                   [[report_date, key[0], key[1], digests[key], version, written_at] for key in sorted(digests)])
    log.info("suggestions for %s: %d rows scored against the candidates of extract %s, %d kept as stored",
             report_date, len(fresh), extract_date, len(queries) - len(fresh))
    return sum(1 for ranked in found.values() if ranked), len(fresh)


def _candidate_batches(conn, extract_date: date) -> Iterator[Any]:
    """The residents of the extract in force with a wanted birth date or kelurahan (each once)."""
    from ektp import warehouse as wh

    params = {"extract_date": extract_date}
    if wh.is_sqlite(conn):
        yield from wh.stream_batches(conn, "followup/select_candidates", params)
    else:
        yield from wh.csv_batches(conn, "followup/select_candidates_csv",
                                  params | {"bucket_rows": 50_000, "newline": "\n"}, CANDIDATE_COLUMNS)


#: a site code used as its own file name: portable, not hidden, one case only (a folder copied to a case-blind
#: disk or share must not merge two sites), at most 64 characters
_PLAIN_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,63}")
#: names Windows keeps for devices, with any extension (CON.csv cannot be opened there)
_WINDOWS_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?")
#: the readable part of a file name made from any other code: no dot, so no extension (NUL.txt is a device too)
_READABLE_CHARS = 40
_UNREADABLE = re.compile(r"[^A-Za-z0-9_-]+")
#: hex digits of the code's SHA-256 in such a name: 128 bits, so no device can make two codes meet
_HASH_CHARS = 32


def site_file_name(site_code: str) -> str:
    """The follow-up file name of a site code (free text from the devices): at most 77 ASCII bytes, and never
    the same for two codes, even on a case-insensitive disk.

    A plain code is its own name (``SMA-LABSCHOOL-KEBAYORAN.csv``). Any other code gets a readable part, ``~``
    (which no plain code holds) and a hash of the whole code: ``RW_01_02~<32 hex>.csv`` for ``RW 01/02``.
    The empty code is ``_no_site.csv`` (no plain code starts with ``_``).
    """
    if not site_code:
        return "_no_site.csv"
    if _PLAIN_CODE.fullmatch(site_code) and not site_code.endswith(".") and not _WINDOWS_DEVICE.fullmatch(site_code):
        return f"{site_code}.csv"
    readable = _UNREADABLE.sub("_", site_code).lstrip("_-")[:_READABLE_CHARS] or "_"
    digest = hashlib.sha256(site_code.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{readable}~{digest}.csv"


#: a cell starting with one of these can be a formula to a spreadsheet: OWASP's list, LF and NUL, full-width forms
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_text(value: Any) -> str:
    """A cell as text a spreadsheet shows and never evaluates: a leading ``'`` marks text that would start a
    formula (``=HYPERLINK(...)`` as a name, ``-1`` as a captured NIK). Every cell of the follow-up lists is text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


@contextmanager
def followup_lock(followup_dir: Path) -> Iterator[None]:
    """One writer of the follow-up folders at a time: the tasks of overlapping runs, and the purge, which
    can then take any ``.tmp``/``.old`` folder it finds for a killed writer's."""
    make_dirs(followup_dir, PRIVATE_DIR)
    fd = os.open(followup_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
    with os.fdopen(fd, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


