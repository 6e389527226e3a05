"""Follow-up helpers without a warehouse: suggestion scoring, the 16-18 age band, file names, the off switch."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from ektp import followup
from ektp.followup import Candidates, Query, site_file_name, student_age_bounds, suggest
from hypothesis import given, settings
from hypothesis import strategies as st


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@pytest.mark.parametrize("day", [date(2026, 11, 4), date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1),
                                 date(2026, 1, 1), date(2025, 12, 31)])
def test_student_age_bounds_are_aged_16_to_18(day):
    bounds = student_age_bounds(day)
    birth = date(day.year - 21, 1, 1)
    while birth <= date(day.year - 14, 12, 31):
        inside = bounds["born_after"] < birth <= bounds["born_by"]
        assert inside == (16 <= _age(birth, day) <= 18), (day, birth)
        birth += timedelta(days=1)


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


def test_site_file_names_are_safe():
    assert site_file_name("SMA-LABSCHOOL-KEBAYORAN") == "SMA-LABSCHOOL-KEBAYORAN.csv"
    assert site_file_name("../../etc/passwd") == "etc_passwd.csv"
    assert site_file_name("RW 01/02") == "RW_01_02.csv"
    assert site_file_name("") == "_no_site.csv"


def test_reports_off_skips_everything(tmp_path, monkeypatch):
    from ektp import tasks

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


# --- suggestions a block at a time (the warehouse streams the candidates by birth date, then by kelurahan) ---

_DAYS = ["2008-09-04", "2008-09-05", "1990-03-12"]
_KELURAHAN = ["31.74.01.1001", "31.74.01.1002", "31.74.05.1003"]
_NAMES = ["Siti Aminah", "Siti Aminah Putri", "Dewi Lestari", "Budi Santoso", "Budi Santosa"]


def _blocks_of(cands: Candidates) -> list[tuple[str, str, Candidates]]:
    """Every candidate in its birth-date block and its kelurahan block, in the order the SQL sends them."""
    rows = list(zip(cands.nik, cands.full_name, cands.birth_date, cands.sex, cands.kelurahan_code, strict=True))
    blocks = []
    for kind, column in (("b", 2), ("k", 4)):
        for value in sorted({r[column] for r in rows}):
            blocks.append((kind, value, _cands(*[r for r in rows if r[column] == value])))
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
    # a query's NIK: a resident's, or one digit off, or nobody's
    queries = [Query(("f.csv", n), f"3174{k:012d}" if k % 3 else f"3174{k + 1:012d}", name, day, sex, kel)
               for n, (name, day, sex, kel, k) in enumerate(captured)]
    at_once = {key: [(cands.nik[i], score) for i, score in ranked]
               for key, ranked in suggest(queries, cands, limit, min_score=50.0).items()}
    in_blocks = {key: [(r.nik, score) for r, score in ranked]
                 for key, ranked in followup.suggest_in_blocks(queries, _blocks_of(cands), limit, 50.0).items()}
    assert in_blocks == at_once
