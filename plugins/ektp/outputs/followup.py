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

Suggestions are blocked in SQL (candidates: residents born on the row's birth date in the row's province,
or living in the kelurahan the device captured), streamed a block at a time, one row per block (a national night's
blocks hold 3.45 million memberships), and scored in Python as each block arrives, with ``rapidfuzz.process.cdist``
over the names of the block's rows and residents, skipping names that cannot reach ``MIN_SCORE``
(:func:`name_cutoff`):

    score = 0.70 * token_sort_ratio(names) + 20 [same birth date] + 5 [same sex]
            + 5 [NIK one typo away: one digit changed, added or dropped, or two adjacent swapped]

so 100 is the same name, birth date and sex with a NIK one typo away. The name carries the weight:
residents born on the same day in the same kecamatan have NIKs that differ only in the serial, so a
close NIK alone means little. Suggestions scoring under ``MIN_SCORE`` (75) are not listed.

A birth-date block holds the residents of the row's province only (first two digits of a kelurahan code):
the province of the captured kelurahan and the one of the captured NIK's region digits, at most two. A
team at a school in Jakarta Selatan looks for a student registered in DKI Jakarta, and a mistyped NIK
usually keeps its province digits; namesakes born the same day elsewhere in the country are noise to a
field team and were most of the night's candidates. A row without a captured kelurahan says nothing
sure of where it was recorded (its NIK's province digits may be the typo): its birth-date block is the
whole country's, as before (docs/decisions.md).

This module is imported by ``ektp.publish.publishing``: heavy libraries load inside the functions.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
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

#: part of what a row is scored as (:func:`query_digest`): raised when the candidates or the score change, so
#: suggestions stored by an earlier way of scoring are scored again (2: birth-date blocks by province)
SCORING_VERSION = 2
_PROVINCE = re.compile(r"\d\d")


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


def province_of(code: str | None) -> str | None:
    """The province of a kelurahan code or NIK: its first two digits (``31`` for ``31.74.01.1001``)."""
    return code[:2] if code and _PROVINCE.match(code) else None


#: the province of a birth-date block of the whole country
NATIONWIDE = ""


def birth_block(birth_date: str, province: str) -> str:
    """The value naming a birth-date block: residents born that day (ISO text) in that province (or in the
    whole country: ``NATIONWIDE``)."""
    return f"{birth_date} {province}"


def query_provinces(q: Query) -> list[str]:
    """The provinces whose residents born on the row's birth date are its candidates: the one of the captured
    kelurahan and the one of the captured NIK's region digits; ``[NATIONWIDE]`` without a captured kelurahan code
    (its NIK's province digits may be the typo itself)."""
    kelurahan = province_of(q.kelurahan_code)
    if kelurahan is None:
        return [NATIONWIDE]
    return sorted({p for p in (kelurahan, province_of(q.nik)) if p})


def wanted_blocks(q: Query) -> list[tuple[str, str]]:
    """The blocks holding a row's candidates, as (kind, value): ``("b", birth_block(...))``, ``("k", kelurahan)``."""
    out = [("b", birth_block(q.birth_date, p)) for p in query_provinces(q)] if q.birth_date else []
    if q.kelurahan_code:
        out.append(("k", q.kelurahan_code))
    return out


def suggest(queries: Sequence[Query], cands: Candidates, limit: int = SUGGESTIONS,
            min_score: float | None = None) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """Top ``limit`` candidates (index, score) per query, best first (ties: smaller NIK).

    Vectorised per block: all queries sharing a block (a birth date in a province, or a kelurahan) are
    scored against that block's residents in one ``cdist`` call, so the work is bounded by the block sizes,
    not by queries x extract.
    """
    import numpy as np
    from rapidfuzz import fuzz, process, utils
    from rapidfuzz.distance import OSA

    min_score = MIN_SCORE if min_score is None else min_score
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)  # block -> candidate indices
    for i in range(len(cands)):
        for province in {province_of(cands.kelurahan_code[i]), NATIONWIDE} - {None}:
            blocks[("b", birth_block(cands.birth_date[i], province))].append(i)
        blocks[("k", cands.kelurahan_code[i])].append(i)
    wanted: dict[tuple[str, str], list[int]] = defaultdict(list)  # block -> query indices
    for qi, q in enumerate(queries):
        for block in wanted_blocks(q):
            wanted[block].append(qi)

    cand_birth = np.array(cands.birth_date, dtype=object)
    cand_sex = np.array(cands.sex, dtype=object)
    scores: list[dict[int, float]] = [{} for _ in queries]
    for block, q_idx in sorted(wanted.items()):
        c_idx = blocks.get(block)
        if not c_idx:
            continue
        c = np.array(c_idx)
        qs = [queries[i] for i in q_idx]
        name = process.cdist([q.full_name for q in qs], [cands.full_name[i] for i in c_idx],
                             scorer=fuzz.token_sort_ratio, processor=utils.default_process, dtype=np.float32)
        nik = process.cdist([q.nik for q in qs], [cands.nik[i] for i in c_idx], scorer=OSA.distance,
                            dtype=np.int32)
        birth = np.array([q.birth_date for q in qs], dtype=object)[:, None] == cand_birth[c][None, :]
        sex = np.array([q.sex for q in qs], dtype=object)[:, None] == cand_sex[c][None, :]
        total = (NAME_WEIGHT * name + SAME_BIRTH_DATE * birth + SAME_SEX * sex
                 + NIK_ONE_TYPO * (nik <= 1))
        total = np.round(total.astype(np.float64), 1)
        for row, qi in enumerate(q_idx):
            keep = np.flatnonzero(total[row] >= min_score)
            found = scores[qi]
            for j in keep.tolist():  # the score depends on the pair only: a second block finds the same
                found[c_idx[j]] = float(total[row, j])
    out: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for q, found in zip(queries, scores, strict=True):
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], cands.nik[kv[0]]))[:limit]
        out[q.key] = ranked
    return out


@dataclass(frozen=True)
class Resident:
    """A suggested resident (ISO text birth date)."""

    nik: str
    full_name: str
    birth_date: str
    sex: str
    kelurahan_code: str


def name_cutoff(min_score: float, bonus: float) -> float:
    """The name score under which a pair that can get at most ``bonus`` points besides its name is never kept.

    A pair is kept when ``round(NAME_WEIGHT * name + bonus_points, 1) >= min_score``, which needs the sum to be
    at least ``min_score - 0.05``. The cutoff is one whole name point below that bound, far more than float32
    rounding can move a score, so a pair under it ends at least 0.7 - 0.05 points short: ``cdist``'s
    ``score_cutoff`` may skip it (it then gives 0) without changing any kept score. 0 when any name can do;
    over 100 when none can."""
    return max(0.0, math.floor((min_score - 0.05 - bonus) / NAME_WEIGHT) - 1.0)


def _scored_pairs(queries: Sequence[Query], cands: Candidates, min_score: float, bonus: float,
                  ) -> Iterator[tuple[int, int, float]]:
    """(query index, candidate index, score) of the pairs of one block that score ``min_score`` or more, among
    those whose other terms give at most ``bonus`` points (the others may be left out).

    The score as :func:`suggest` computes it, term by term in the same types (float32 names, float64 sum), so
    the same values: the names of every pair in one ``cdist`` call, the rest for the pairs whose name can
    reach ``min_score`` only (:func:`name_cutoff`); the NIK's one-typo test as an edit distance capped at 1."""
    import numpy as np
    from rapidfuzz import fuzz, process, utils
    from rapidfuzz.distance import OSA

    cutoff = name_cutoff(min_score, bonus)
    if cutoff > 100:  # not even the same name can reach min_score
        return
    names = process.cdist([q.full_name for q in queries], cands.full_name, scorer=fuzz.token_sort_ratio,
                          processor=utils.default_process, dtype=np.float32, score_cutoff=cutoff)
    rows, cols = np.nonzero(names >= cutoff)  # under the cutoff cdist gives 0, which is never kept either
    if not rows.size:
        return
    qi, ci = rows.tolist(), cols.tolist()
    birth = np.array([queries[r].birth_date == cands.birth_date[c] for r, c in zip(qi, ci, strict=True)])
    sex = np.array([queries[r].sex == cands.sex[c] for r, c in zip(qi, ci, strict=True)])
    nik = np.array([OSA.distance(queries[r].nik, cands.nik[c], score_cutoff=1) for r, c in zip(qi, ci, strict=True)],
                   dtype=np.int32)
    total = (NAME_WEIGHT * names[rows, cols] + SAME_BIRTH_DATE * birth + SAME_SEX * sex
             + NIK_ONE_TYPO * (nik <= 1))
    total = np.round(total.astype(np.float64), 1)
    for k in np.flatnonzero(total >= min_score).tolist():
        yield qi[k], ci[k], float(total[k])


#: the most a pair can get besides its name: same birth date, same sex, NIK one typo away
_ALL_BONUSES = SAME_BIRTH_DATE + SAME_SEX + NIK_ONE_TYPO
#: the same without the birth date's: a kelurahan block's pair born the same day is scored in a birth-date block
_NO_BIRTH_BONUS = SAME_SEX + NIK_ONE_TYPO


def suggest_in_blocks(queries: Sequence[Query], blocks: Iterable[tuple[str, str, Candidates]],
                      limit: int = SUGGESTIONS, min_score: float | None = None,
                      ) -> dict[tuple[str, int], list[tuple[Resident, float]]]:
    """:func:`suggest` over candidates that arrive one block at a time: ``("b", birth_block(birth date,
    province), residents of the province born that day)`` or ``("k", kelurahan code, residents living there)``.
    Memory holds one block, not all of them.

    Each block's residents are scored against the queries that want it (:func:`_scored_pairs`). A pair's score
    does not depend on the block it was found in, so a query's best ``limit`` overall are among the best
    ``limit`` of each of its blocks: those are kept (by NIK, so a resident found in both of a query's blocks
    counts once) and ranked again at the end, best first, ties by smaller NIK: the same suggestions as
    :func:`suggest` given every block's residents at once (tests/unit/outputs/test_followup.py checks it on
    random cases).

    In a kelurahan block, a pair whose name scores too low without the birth date's 20 points is left out: if
    the resident was born on the query's birth date, the query's birth-date block holds it too (the province
    of the query's kelurahan is one of that block's, or the block is the whole country's), and scores it
    there the same.
    """
    min_score = MIN_SCORE if min_score is None else min_score
    wanting: dict[tuple[str, str], list[Query]] = defaultdict(list)
    for q in queries:
        for block in wanted_blocks(q):
            wanting[block].append(q)
    kept: dict[tuple[str, int], dict[str, tuple[float, Resident]]] = {q.key: {} for q in queries}
    for kind, value, cands in blocks:
        wanted_by = wanting.get((kind, value))
        if not wanted_by or not len(cands):
            continue
        grown = set()
        for qi, ci, score in _scored_pairs(wanted_by, cands, min_score,
                                           _ALL_BONUSES if kind == "b" else _NO_BIRTH_BONUS):
            found = kept[wanted_by[qi].key]
            found[cands.nik[ci]] = (score, Resident(cands.nik[ci], cands.full_name[ci], cands.birth_date[ci],
                                                    cands.sex[ci], cands.kelurahan_code[ci]))
            if len(found) > limit:
                grown.add(wanted_by[qi].key)
        for key in grown:  # a query's best ``limit`` so far are enough: memory stays bounded by the queries
            kept[key] = dict(sorted(kept[key].items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit])
    return {key: [(resident, score) for score, resident in sorted(found.values(), key=lambda f: (-f[0], f[1].nik))
                  [:limit]]
            for key, found in kept.items()}


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
    """What a row is scored as, and how: its captured NIK, name, birth date, sex and kelurahan (a corrected file
    changes it), and ``SCORING_VERSION``."""
    text = json.dumps([SCORING_VERSION, q.nik, q.full_name, q.birth_date, q.sex, q.kelurahan_code], ensure_ascii=False)
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
        _insert_candidate_keys(conn, fresh)
        # PostgreSQL expects hundreds of thousands of blocks (a national night has 29,126) and would sort the
        # 3.45 million memberships to group them; a hash aggregate (spilling to disk within work_mem, so no more
        # memory) costs less CPU. Compiling the statement (JIT) costs seconds and pays nothing back.
        with wh.local_settings(conn, enable_sort="off", jit="off"):
            found |= suggest_in_blocks(fresh, _candidate_blocks(conn, extract_date))
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


def _insert_candidate_keys(conn, queries: Iterable[Query]) -> None:
    """The blocks the queries want, in ``followup_candidate_key`` for ``followup/select_candidate_blocks``."""
    from ektp import warehouse as wh

    queries = list(queries)
    keys = sorted({(date.fromisoformat(q.birth_date), p or None, None) for q in queries if q.birth_date
                   for p in query_provinces(q)}
                  | {(None, None, q.kelurahan_code) for q in queries if q.kelurahan_code}, key=str)
    wh.run_sql(conn, "followup/delete_candidate_keys")
    wh.bulk_insert(conn, "ektp_quarantine.followup_candidate_key", ["birth_date", "province_code", "kelurahan_code"],
                   keys)


def _candidate_blocks(conn, extract_date: date) -> Iterator[tuple[str, str, Candidates]]:
    """The residents of each block of ``followup/select_candidate_blocks``, one block at a time."""
    from ektp import warehouse as wh

    rows = wh.stream(conn, "followup/select_candidate_blocks", {"extract_date": extract_date}, rows_per_fetch=200)
    blocks = residents = 0
    for kind, birth_date, code, nik, full_name, sex, other in rows:
        niks, others = json.loads(nik), json.loads(other)
        if kind == "b":  # every resident of the block was born on its date
            value, birth, kelurahan = birth_block(birth_date, code or NATIONWIDE), [birth_date] * len(niks), others
        else:  # and lives in its kelurahan
            value, birth, kelurahan = code, others, [code] * len(niks)
        cands = Candidates(niks, json.loads(full_name), birth, json.loads(sex), kelurahan)
        blocks, residents = blocks + 1, residents + len(cands)
        yield kind, value, cands
    log.info("candidates of extract %s: %d blocks of %d residents in all (a resident can be in two)", extract_date,
             blocks, residents)


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


