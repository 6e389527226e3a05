"""Follow-up helpers without a warehouse: suggestion scoring, the CSV files (names, cells, permissions), the off
switch."""

from __future__ import annotations

import hashlib
import json
import re

from ektp.outputs import followup
from ektp.outputs.followup import Candidates, Query, site_file_name, suggest
from hypothesis import given, settings
from hypothesis import strategies as st


def _cands(*rows):
    c = Candidates()
    for nik, name, birth, sex, kel in rows:
        c.nik.append(nik)
        c.full_name.append(name)
        c.birth_date.append(birth)
        c.sex.append(sex)
        c.kelurahan_code.append(kel)
    return c


CANDS = _cands(
    ("3174014409080009", "Siti Aminah", "2008-09-04", "P", "31.74.01.1001"),
    ("3174014409080010", "Dewi Lestari", "2008-09-04", "P", "31.74.01.1002"),  # same day, same kecamatan
    ("3174011203900003", "Siti Aminah", "1990-03-12", "P", "31.74.01.1001"),  # a namesake, older
    ("3174050101070001", "Budi Santoso", "2007-01-01", "L", "31.74.05.1003"),
)


def test_a_swapped_pair_finds_the_resident_first():
    q = Query(("f.csv", 1), "3174014490080009", "Siti Aminah", "2008-09-04", "P", "31.74.01.1001")
    (ranked,) = suggest([q], CANDS).values()
    assert [CANDS.nik[i] for i, _ in ranked] == ["3174014409080009", "3174011203900003"]
    assert ranked[0][1] == 100.0  # same name, birth date and sex, NIK one typo away
    assert ranked[1][1] == 75.0  # the namesake of the same kelurahan is a lead, well below


def test_a_stranger_gets_no_suggestion():
    q = Query(("f.csv", 2), "3174014409080011", "Rahmat Hidayat", "2008-09-04", "L", "31.74.01.1002")
    assert suggest([q], CANDS) == {("f.csv", 2): []}


def test_without_a_birth_date_the_kelurahan_still_finds_the_resident():
    q = Query(("f.csv", 3), "317405010107001", "Budi Santoso", None, "L", "31.74.05.1003")
    (ranked,) = suggest([q], CANDS).values()
    assert [CANDS.nik[i] for i, _ in ranked] == ["3174050101070001"]
    assert ranked[0][1] == 80.0  # name, sex, one digit dropped


def test_suggestions_are_deterministic_and_bounded():
    twins = _cands(*[(f"31740144090800{i:02d}", "Siti Aminah", "2008-09-04", "P", "31.74.01.1001")
                     for i in range(10, 16)])
    q = Query(("f.csv", 4), "3174014409080099", "Siti Aminah", "2008-09-04", "P", "")
    (ranked,) = suggest([q], twins).values()
    assert [twins.nik[i] for i, _ in ranked] == ["3174014409080010", "3174014409080011", "3174014409080012"]


_PORTABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._~-]*\.csv")
_HOSTILE_CODES = ["A" * 300, "ä" * 300, "RW 01/02", "RW_01_02", "RW 01_02", "RW-01-02", "..", ".",
                  "../../etc/passwd", "/", "a/b", "a\\b", "SITE\x01\x7f", "SITE\u200b", "\U0001f3eb SMA 1",
                  "\U0001f3eb", "", " ", "_no_site", "abc", "ABC", "Abc", "CON", "con", "NUL.txt", "X.", "-rf",
                  ".hidden", "~", "x" * 64, "X" * 64, "X" * 65, "RW_01_02~" + "0" * 32]


def test_site_file_names():
    assert site_file_name("SMA-LABSCHOOL-KEBAYORAN") == "SMA-LABSCHOOL-KEBAYORAN.csv"  # a plain code is its name
    assert site_file_name("") == "_no_site.csv"
    assert site_file_name("RW 01/02").startswith("RW_01_02~")
    assert site_file_name("../../etc/passwd").startswith("etc_passwd~")
    assert site_file_name("\U0001f3eb").startswith("_~")
    assert site_file_name("A" * 300) == "A" * 40 + "~" + hashlib.sha256(b"A" * 300).hexdigest()[:32] + ".csv"
    assert site_file_name("A" * 300) == site_file_name("A" * 300)  # the same name in every run


def _checked_names(codes: list[str]) -> list[str]:
    names = [site_file_name(c) for c in codes]
    for name in names:
        assert len(name.encode()) <= 100 and _PORTABLE_NAME.fullmatch(name), name
        assert not re.fullmatch(r"(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?", name, re.I)
    assert len({n.casefold() for n in names}) == len(set(codes)), "two codes share a file (on a case-blind disk)"
    return names


def test_hostile_site_codes_get_short_distinct_portable_names():
    _checked_names(_HOSTILE_CODES)


@given(st.lists(st.one_of(st.text(), st.text(alphabet="aA0._-/ ~"), st.sampled_from(_HOSTILE_CODES)),
                unique=True, max_size=30))
@settings(max_examples=300, deadline=None)
def test_site_file_names_are_short_distinct_and_portable(codes):
    _checked_names(codes)


@given(st.text())
@settings(max_examples=500, deadline=None)
def test_spreadsheet_text_never_starts_a_formula(text):
    cell = followup.spreadsheet_text(text)
    assert not cell.startswith(followup.FORMULA_TRIGGERS)
    assert cell in (text, "'" + text)  # only marked, never changed
    assert followup.spreadsheet_text(None) == ""


def test_reports_off_skips_everything(tmp_path, monkeypatch):
    from ektp.airflow import tasks

    never = tmp_path / "never.sqlite"
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", f"sqlite:///{never}")
    monkeypatch.setenv("EKTP_REPORT_DIR", str(tmp_path / "reports"))
    for value in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv("EKTP_REPORTS", value)
        assert not followup.reports_enabled()
        assert tasks.write_coverage_report({"report_date": "2026-11-02", "published_dates": ["2026-11-02"]},
                                           None) == {"skipped": True}
    assert not never.exists() and not (tmp_path / "reports").exists()
    monkeypatch.setenv("EKTP_REPORTS", "on")
    assert followup.reports_enabled()
    monkeypatch.delenv("EKTP_REPORTS")
    assert followup.reports_enabled()


def test_a_failed_report_fails_the_task_after_the_lists(tmp_path, monkeypatch):
    """On PostgreSQL the HTML report runs in a thread beside the lists: the lists are written all the same, and
    the report's own error fails the task."""
    import pytest
    import sqlalchemy as sa
    from ektp.airflow import tasks
    from ektp.outputs import card_lists, open_items, outreach, report

    monkeypatch.setenv("EKTP_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setattr(tasks, "_engine", lambda: sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    done = []

    def broken_report(engine, days, report_dir):
        raise RuntimeError("the report broke")

    monkeypatch.setattr(report, "write_reports", broken_report)
    monkeypatch.setattr(followup, "write_followups", lambda engine, d, report_dir: done.append("followup") or {})
    monkeypatch.setattr(open_items, "write_open_items", lambda engine, report_dir, texts: done.append("items") or {})
    monkeypatch.setattr(card_lists, "write_card_lists", lambda engine, d, report_dir: done.append("cards") or {})
    monkeypatch.setattr(outreach, "write_outreach_residents", lambda engine: done.append("outreach") or {})
    with pytest.raises(RuntimeError, match="the report broke"):
        tasks.write_coverage_report({"report_date": "2026-11-02", "published_dates": ["2026-11-02"]}, None)
    assert done == ["followup", "items", "cards", "outreach"]


def test_birth_date_blocks_hold_the_row_s_provinces_only():
    """A namesake born the same day in another province is no candidate; one in the province of the captured
    kelurahan, or of the captured NIK's region digits, is; without a captured kelurahan, any is."""
    namesakes = _cands(("3174014409080009", "Siti Aminah", "2008-09-04", "P", "31.74.01.1001"),  # DKI Jakarta
                       ("3273014409080009", "Siti Aminah", "2008-09-04", "P", "32.73.01.1001"),  # Jawa Barat
                       ("3578014409080009", "Siti Aminah", "2008-09-04", "P", "35.78.01.1001"))  # Jawa Timur
    # captured at a school in Jakarta (kelurahan 31.74.06.1002, no namesake there), a NIK of Jawa Barat
    q = Query(("f.csv", 5), "3273014409089999", "Siti Aminah", "2008-09-04", "P", "31.74.06.1002")
    (ranked,) = suggest([q], namesakes).values()
    assert sorted(namesakes.nik[i] for i, _ in ranked) == ["3174014409080009", "3273014409080009"]
    blocks = followup.suggest_in_blocks([q], _blocks_of(namesakes))
    assert sorted(r.nik for r, _ in blocks[q.key]) == ["3174014409080009", "3273014409080009"]
    # without a captured kelurahan nothing sure says where the row was recorded: the whole country's block
    q.kelurahan_code = None
    (ranked,) = suggest([q], namesakes).values()
    assert len(ranked) == 3


def test_stored_suggestions_of_an_earlier_scoring_are_not_reused():
    q = Query(("f.csv", 6), "3174014409080009", "Siti Aminah", "2008-09-04", "P", "31.74.01.1001")
    assert followup.query_digest(q) != hashlib.sha256(
        json.dumps([q.nik, q.full_name, q.birth_date, q.sex, q.kelurahan_code]).encode()).hexdigest()[:32]


# --- suggestions a block at a time (the warehouse streams the candidates by birth date and province, then by
# kelurahan) ---

_DAYS = ["2008-09-04", "2008-09-05", "1990-03-12"]
_KELURAHAN = ["31.74.01.1001", "31.74.01.1002", "31.74.05.1003", "32.73.01.1001", "35.78.01.1001"]
_NAMES = ["Siti Aminah", "Siti Aminah Putri", "Dewi Lestari", "Budi Santoso", "Budi Santosa"]


def _blocks_of(cands: Candidates) -> list[tuple[str, str, Candidates]]:
    """Every candidate in its birth-date block (birth date and province) and its kelurahan block, in the order
    the SQL sends them."""
    rows = list(zip(cands.nik, cands.full_name, cands.birth_date, cands.sex, cands.kelurahan_code, strict=True))
    blocks = [("b", followup.birth_block(day, province),
               _cands(*[r for r in rows if r[2] == day and province in ("", r[4][:2])]))
              for day, province in sorted({(r[2], p) for r in rows for p in ("", r[4][:2])})]
    for value in sorted({r[4] for r in rows}):
        blocks.append(("k", value, _cands(*[r for r in rows if r[4] == value])))
    return blocks


@given(residents=st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_DAYS), st.sampled_from("LP"),
                                    st.sampled_from(_KELURAHAN)), max_size=25),
       captured=st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from([*_DAYS, None]),
                                   st.sampled_from(["L", "P", None]), st.sampled_from([*_KELURAHAN, None]),
                                   st.integers(0, 30)), min_size=1, max_size=6),
       limit=st.integers(1, 4))
@settings(max_examples=150, deadline=None)
def test_suggestions_a_block_at_a_time_are_those_of_all_candidates_at_once(residents, captured, limit):
    cands = _cands(*[(f"3174{k:012d}", name, day, sex, kel) for k, (name, day, sex, kel) in enumerate(residents)])
    # a query's NIK: a resident's, or one digit off, or nobody's, with a province of its own or not
    queries = [Query(("f.csv", n), f"{(31, 32, 35, 'ab')[k % 4]}74{k:012d}" if k % 3 else f"3174{k + 1:012d}", name,
                     day, sex, kel)
               for n, (name, day, sex, kel, k) in enumerate(captured)]
    at_once = {key: [(cands.nik[i], score) for i, score in ranked]
               for key, ranked in suggest(queries, cands, limit, min_score=50.0).items()}
    in_blocks = {key: [(r.nik, score) for r, score in ranked]
                 for key, ranked in followup.suggest_in_blocks(queries, _blocks_of(cands), limit, 50.0).items()}
    assert in_blocks == at_once


@given(name=st.floats(0, 100, width=32), birth=st.booleans(), sex=st.booleans(), nik=st.booleans(),
       min_score=st.floats(0, 110))
@settings(max_examples=2000, deadline=None)
def test_a_name_under_the_cutoff_is_never_kept(name, birth, sex, nik, min_score):
    """``cdist``'s score_cutoff may drop a pair whose name scores under ``name_cutoff``: such a pair never
    reaches the minimum score, computed as suggest computes it (float32 name, float64 sum, rounded to 0.1)."""
    import numpy as np

    bonus = followup.SAME_BIRTH_DATE * birth + followup.SAME_SEX * sex + followup.NIK_ONE_TYPO * nik
    cutoff = followup.name_cutoff(min_score, bonus)
    total = (followup.NAME_WEIGHT * np.array([name], dtype=np.float32) + followup.SAME_BIRTH_DATE * np.array([birth])
             + followup.SAME_SEX * np.array([sex]) + followup.NIK_ONE_TYPO * np.array([nik]))
    if np.round(total.astype(np.float64), 1)[0] >= min_score:
        assert name >= cutoff
    assert followup.name_cutoff(min_score, bonus) >= followup.name_cutoff(min_score, bonus + 5) >= 0


def test_the_name_cutoffs_of_the_night():
    """75 points: a name of at least 64.2 with the birth date's 20, 92.8 without; one point of margin below."""
    assert followup.name_cutoff(75.0, 30.0) == 63.0
    assert followup.name_cutoff(75.0, 10.0) == 91.0
    assert followup.name_cutoff(20.0, 30.0) == 0.0


_LETTERS = "ab iÄ-\t"


@given(residents=st.lists(st.tuples(st.text(_LETTERS, max_size=8), st.sampled_from(_DAYS), st.sampled_from("LP"),
                                    st.sampled_from(_KELURAHAN)), max_size=25),
       captured=st.lists(st.tuples(st.text(_LETTERS, max_size=8), st.sampled_from([*_DAYS, None]),
                                   st.sampled_from(["L", "P", None]), st.sampled_from([*_KELURAHAN, "x", None]),
                                   st.integers(0, 30)), min_size=1, max_size=6),
       limit=st.integers(1, 4), min_score=st.sampled_from([30.0, 50.0, 60.0, 75.0, 80.0, 90.0]))
@settings(max_examples=300, deadline=None)
def test_any_names_a_block_at_a_time_score_as_all_candidates_at_once(residents, captured, limit, min_score):
    """Names of every kind (so name scores all over 0-100, many near each cutoff) and several minimum scores."""
    cands = _cands(*[(f"3174{k:012d}", name, day, sex, kel) for k, (name, day, sex, kel) in enumerate(residents)])
    queries = [Query(("f.csv", n), f"{(31, 32, 35, 'ab')[k % 4]}74{k:012d}" if k % 3 else f"3174{k + 1:012d}", name,
                     day, sex, kel)
               for n, (name, day, sex, kel, k) in enumerate(captured)]
    at_once = {key: [(cands.nik[i], score) for i, score in ranked]
               for key, ranked in suggest(queries, cands, limit, min_score=min_score).items()}
    in_blocks = {key: [(r.nik, score) for r, score in ranked]
                 for key, ranked in followup.suggest_in_blocks(queries, _blocks_of(cands), limit, min_score).items()}
    assert in_blocks == at_once
