"""The sample-data generator writes a landing area as CONTRACT.md §1 describes.

Real files in tmp directories; the checks re-derive the contract rules here
(independently of the pipeline code) and use the generator's answer key
(``labels``) to tell clean rows from injected ones.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tools import sample_data as sd

WIB = timezone(timedelta(hours=7))
START = date(2026, 11, 2)
DAYS = [START + timedelta(days=i) for i in range(3)]
REF = sd.REFERENCE_DIR
IDENTITY_CHANGING = {
    "nik_typo",
    "nik_spreadsheet",
    "nik_length",
    "missing_value",
    "sex_invalid",
    "sex_lowercase",
    "birth_date_invalid",
    "birth_date_future",
}
OFFSET_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")


def _read_reference(name: str) -> list[dict[str, str]]:
    with open(REF / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


CURRENT = _read_reference("kode_wilayah_2025.csv")
HISTORY = _read_reference("kode_wilayah_prefix_history.csv")
LEVEL4 = {r["kode"] for r in CURRENT if r["level"] == "4"}
KEC_PREFIXES = {r["kode"].replace(".", "") for r in HISTORY if r["level"] == "3"}
OLD_ONLY = {r["kode"].replace(".", "") for r in HISTORY if r["level"] == "3" and "2025" not in r["in_lists"]}
JS_KELURAHAN = {c for c in LEVEL4 if c.startswith("31.74.")}


def normalise(nik: str) -> str:
    return re.sub(r"[\s.\-]", "", nik.strip())


def nik_matches(nik: str, birth: str, sex: str) -> bool:
    """NIK digits 7-12 are DD(+40 for women) MM YY of the birth date."""
    b = date.fromisoformat(birth)
    day = b.day + (40 if sex.upper() == "P" else 0)
    return nik[6:12] == f"{day:02d}{b.month:02d}{b.year % 100:02d}"


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert b"\r" not in raw, f"{path}: LF line endings expected"
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    return rows[0], rows[1:]


def sha_map(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class Landing:
    """A generated landing area, parsed once."""

    def __init__(self, root: Path, labels: Path, summary: sd.GenerationSummary):
        self.root = root
        self.summary = summary
        self.labels: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.file_labels: dict[str, set[str]] = defaultdict(set)
        with open(labels, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["row"]:
                    self.labels[(r["file"], int(r["row"]))].add(r["label"])
                else:
                    self.file_labels[r["file"]].add(r["label"].split(":")[0])
        self.extracts = {}
        for p in sorted((root / "registry").glob("*/unrecorded_residents.csv")):
            header, rows = read_csv(p)
            assert header == list(sd.REGISTRY_COLUMNS)
            self.extracts[p.parent.name] = {r[0]: r for r in rows}
        self.batches: dict[str, tuple[list[str], list[list[str]]]] = {}
        for p in sorted((root / "batches").glob("*/*.csv")):
            self.batches[p.relative_to(root).as_posix()] = read_csv(p)

    def rows(self):
        """(relative path, 1-based row, header, fields, labels) of every batch row."""
        for rel, (header, rows) in self.batches.items():
            for i, fields in enumerate(rows, start=1):
                yield rel, i, header, fields, self.labels.get((rel, i), set())


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Landing:
    root = tmp_path_factory.mktemp("default")
    summary = sd.generate(root / "landing", labels_path=root / "labels.csv", progress=False)
    return Landing(root / "landing", root / "labels.csv", summary)


# --------------------------------------------------------------------------- layout


def test_paths_and_headers_follow_the_contract(landing: Landing):
    assert [p.relative_to(landing.root).as_posix() for p in landing.summary.registry_files] == [
        "registry/2026-11-01/unrecorded_residents.csv"
    ]
    assert sorted(p.name for p in (landing.root / "registry").iterdir()) == ["2026-11-01"]
    folders = sorted(p.name for p in (landing.root / "batches").iterdir())
    assert folders == [d.isoformat() for d in DAYS]
    assert len(landing.summary.batch_files) == 3 * 8
    for rel, (header, _) in landing.batches.items():
        if "missing_column" in landing.file_labels.get(rel, set()):
            assert set(header) < set(sd.BATCH_COLUMNS)
        else:
            assert header == list(sd.BATCH_COLUMNS), rel
    assert landing.summary.batch_rows == sum(
        len(rows)
        for rel, (_, rows) in landing.batches.items()
        if "duplicate_delivery" not in landing.file_labels[rel]
    )


def test_registry_extract_is_valid_and_consistent(landing: Landing):
    extract = landing.extracts["2026-11-01"]
    header, rows = read_csv(landing.root / "registry/2026-11-01/unrecorded_residents.csv")
    assert len(rows) == len(extract) == 3000  # NIKs unique
    other_region = old_only = students = 0
    for nik, name, birth, sex, kel in rows:
        assert re.fullmatch(r"\d{16}", nik)
        assert name.strip() and sex in ("L", "P")
        assert kel in JS_KELURAHAN
        assert nik[:6] in KEC_PREFIXES
        assert nik_matches(nik, birth, sex)
        assert nik[12:] != "0000"
        age = (date(2026, 11, 1) - date.fromisoformat(birth)).days / 365.25
        assert 15.9 < age < 77
        students += age < 21
        other_region += nik[:6] != kel[:8].replace(".", "")
        old_only += nik[:6] in OLD_ONLY
    assert len({r[4] for r in rows}) >= 60  # spread over Jakarta Selatan's 65 kelurahan
    assert 0.02 * len(rows) < other_region < 0.09 * len(rows)
    assert old_only >= 1
    assert students > 0.5 * len(rows)
    assert any("," in r[1] for r in rows)  # names with a title are quoted, not broken


def test_clean_batch_rows_follow_the_contract(landing: Landing):
    extract = landing.extracts["2026-11-01"]
    clean = 0
    for rel, _, header, fields, labels in landing.rows():
        if landing.file_labels.get(rel) or labels:
            continue
        clean += 1
        assert len(fields) == len(header) == 10
        row = dict(zip(header, fields, strict=True))
        assert all(row[c].strip() for c in sd.BATCH_REQUIRED)
        folder = date.fromisoformat(rel.split("/")[1])
        assert OFFSET_TS.match(row["recorded_at"])
        ts = datetime.fromisoformat(row["recorded_at"])
        assert ts.astimezone(WIB).date() == folder
        assert 7 <= ts.hour < 16  # school hours
        nik = row["nik"]
        assert re.fullmatch(r"\d{16}", nik) and nik[:6] in KEC_PREFIXES
        assert nik_matches(nik, row["birth_date"], row["sex"])
        assert date.fromisoformat(row["birth_date"]) < folder
        # a plain recorded resident: exactly the extract's data
        assert extract[nik][:4] == [nik, row["full_name"], row["birth_date"], row["sex"]]
        assert row["kelurahan_code"] in ("", extract[nik][4])
    assert clean > 0.75 * landing.summary.batch_rows


def test_one_file_is_one_device_at_one_site(landing: Landing):
    for rel, (header, rows) in landing.batches.items():
        if header != list(sd.BATCH_COLUMNS):
            continue
        good = [dict(zip(header, r, strict=True)) for r in rows if len(r) == len(header)]
        assert len({r["site_code"] for r in good if r["site_code"].strip()}) == 1, rel
        assert len({r["batch_id"] for r in good if r["batch_id"].strip()}) == 1, rel
        assert len({r["operator_id"] for r in good if r["operator_id"].strip()}) == 1, rel
    sites = {r[1] for _, (_, rows) in landing.batches.items() for r in rows if len(r) > 2}
    assert any(s.startswith("SMAN-") for s in sites) and any(s.startswith("RW") for s in sites)


# --------------------------------------------------------------------------- injected errors


def _check_label(kind: str, rel: str, row: dict[str, str], landing: Landing, seen: dict) -> bool:
    """Does the row really carry the labelled defect?"""
    folder = date.fromisoformat(rel.split("/")[1])
    nik, birth, sex, ts = (
        row.get("nik", ""),
        row.get("birth_date", ""),
        row.get("sex", ""),
        row.get("recorded_at", ""),
    )
    extract = landing.extracts["2026-11-01"]
    if kind == "nik_spreadsheet":
        return bool(re.fullmatch(r"\d\.\d{1,5}E\+15", nik)) or (len(nik) == 16 and nik.endswith("0"))
    if kind == "nik_separators":
        return nik != normalise(nik) and re.fullmatch(r"\d{16}", normalise(nik)) is not None
    if kind == "nik_length":
        return nik.isdigit() and len(nik) in (15, 17)
    if kind == "nik_typo":
        return re.fullmatch(r"\d{16}", nik) is not None and (
            nik not in extract or extract[nik][1] != row["full_name"]
        )
    if kind == "birth_date_invalid":
        try:
            date.fromisoformat(birth)
        except ValueError:
            return True
        return not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth)
    if kind == "birth_date_future":
        return date.fromisoformat(birth) > folder
    if kind == "missing_value":
        return any(not row.get(c, "x").strip() for c in sd.BATCH_REQUIRED)
    if kind == "sex_lowercase":
        return sex in ("l", "p")
    if kind == "sex_invalid":
        return sex.upper() not in ("L", "P")
    if kind == "recorded_at_utc":
        return ts.endswith("+00:00") and datetime.fromisoformat(ts).astimezone(WIB).date() == folder
    if kind == "recorded_at_no_offset":
        return datetime.fromisoformat(ts).tzinfo is None
    if kind == "recorded_at_wrong_day":
        return datetime.fromisoformat(ts).astimezone(WIB).date() != folder
    if kind == "duplicate_in_batch":
        return normalise(nik) in seen[rel]
    if kind == "recorded_again_later":
        return any(d < folder for d in seen[normalise(nik)])
    if kind == "not_in_extract":
        return normalise(nik) not in extract
    if kind == "identity_mismatch":
        e = extract[normalise(nik)]
        return (e[2], e[3]) != (birth, sex.upper())
    raise AssertionError(kind)


def test_every_label_is_true_and_every_kind_occurs(landing: Landing):
    kinds: Counter[str] = Counter()
    seen: dict = defaultdict(set)  # file -> NIKs so far; NIK -> dates
    for rel, (header, rows) in landing.batches.items():
        if landing.file_labels.get(rel):
            continue
        for i, fields in enumerate(rows, start=1):
            labels = landing.labels.get((rel, i), set())
            kinds.update(labels)
            if "malformed_row" in labels:
                assert len(fields) != len(header)
                continue
            assert len(fields) == len(header), (rel, i)
            row = dict(zip(header, fields, strict=True))
            value_kinds = labels & set(sd.ROW_ERRORS)
            for kind in sorted(labels):
                if kind in ("not_in_extract", "identity_mismatch") and value_kinds & IDENTITY_CHANGING:
                    continue  # the status refers to the true identity, which the error hides
                assert _check_label(kind, rel, row, landing, seen), (kind, rel, i, fields)
            if not (value_kinds - set(sd.VALID_QUIRKS)):
                seen[rel].add(normalise(row["nik"]))
                seen[normalise(row["nik"])].add(date.fromisoformat(rel.split("/")[1]))
    assert set(sd.ROW_ERRORS) <= set(kinds), set(sd.ROW_ERRORS) - set(kinds)
    assert kinds["not_in_extract"] >= 20 and kinds["identity_mismatch"] >= 5
    injected = sum(kinds[k] for k in sd.ROW_ERRORS)
    assert 0.02 < injected / landing.summary.batch_rows < 0.07  # "a few percent"


def test_spreadsheet_nik_and_separators_appear_literally(landing: Landing):
    niks = [f[5] for _, _, h, f, _ in landing.rows() if len(f) == len(h) == 10]
    assert any(re.fullmatch(r"\d\.\d+E\+15", n) for n in niks)
    assert any(" " in n.strip() for n in niks) or any("-" in n for n in niks) or any("." in n for n in niks)
    assert any(
        f[8] == "X" or f[8] in ("M", "F", "W") for _, _, h, f, _ in landing.rows() if len(f) == len(h) == 10
    )


def test_duplicate_delivery_has_identical_bytes(landing: Landing):
    copies = landing.summary.duplicate_copies
    assert copies
    by_hash = defaultdict(list)
    for rel, digest in sha_map(landing.root / "batches").items():
        by_hash[digest].append(rel)
    groups = [sorted(g) for g in by_hash.values() if len(g) > 1]
    assert len(groups) >= 1
    for copy in copies:
        rel = copy.relative_to(landing.root / "batches").as_posix()
        group = next(g for g in groups if rel in g)
        assert rel != group[0]  # the original has the smallest relative path: it is the one loaded
    # one copy under a second name in the same folder, one in a later date folder
    folders = [{g.split("/")[0] for g in group} for group in groups]
    assert any(len(f) > 1 for f in folders)
    assert any(len({x.split("/")[1] for x in group}) > 1 for group in groups)


def test_a_file_lacks_a_required_column(landing: Landing):
    lacking = [rel for rel, (header, _) in landing.batches.items() if set(sd.BATCH_REQUIRED) - set(header)]
    assert lacking
    header, rows = landing.batches[lacking[0]]
    assert "sex" not in header
    assert len(header) == 9
    assert sum(len(r) == 9 for r in rows) > 0.9 * len(rows)  # the column is absent from the rows too


def test_same_person_twice_in_a_file_and_again_on_a_later_day(landing: Landing):
    per_file: Counter = Counter()
    days_of: dict[str, set[str]] = defaultdict(set)
    for rel, _, header, fields, _ in landing.rows():
        if len(fields) != len(header) or "duplicate_delivery" in landing.file_labels.get(rel, set()):
            continue
        nik = normalise(dict(zip(header, fields, strict=True)).get("nik", ""))
        per_file[(rel, nik)] += 1
        days_of[nik].add(rel.split("/")[1])
    assert any(n > 1 for (_, nik), n in per_file.items() if nik)
    assert any(len(d) > 1 for nik, d in days_of.items() if nik)


# --------------------------------------------------------------------------- determinism, options


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, landing: Landing):
    kw = {"residents": 800, "recordings_per_day": 150, "files_per_day": 4, "progress": False}
    sd.generate(tmp_path / "a", seed=7, **kw)
    sd.generate(tmp_path / "b", seed=7, **kw)
    sd.generate(tmp_path / "c", seed=8, **kw)
    a, b, c = sha_map(tmp_path / "a"), sha_map(tmp_path / "b"), sha_map(tmp_path / "c")
    assert a == b and len(a) > 10
    reg = "registry/2026-11-01/unrecorded_residents.csv"
    assert a[reg] != c[reg]
    assert set(a.values()) & set(c.values()) == set()


def test_default_run_is_reproducible(tmp_path: Path, landing: Landing):
    sd.generate(tmp_path / "again", labels_path=tmp_path / "labels.csv", progress=False)
    assert sha_map(tmp_path / "again") == sha_map(landing.root)


def test_second_extract_drops_recorded_residents_and_adds_new_ones(tmp_path: Path):
    summary = sd.generate(
        tmp_path / "landing", second_extract=True, labels_path=tmp_path / "labels.csv", progress=False
    )
    land = Landing(tmp_path / "landing", tmp_path / "labels.csv", summary)
    first, second = land.extracts["2026-11-01"], land.extracts["2026-11-03"]
    assert set(land.extracts) == {"2026-11-01", "2026-11-03"}
    new = set(second) - set(first)
    assert len(new) == 30  # 1 % of 3000
    recorded_day1 = {
        normalise(f[5])
        for rel, _, h, f, labels in land.rows()
        if rel.startswith("batches/2026-11-02/")
        and len(f) == len(h) == 10
        and not labels & set(sd.ROW_ERRORS)
    }
    assert recorded_day1 & set(first)
    assert not recorded_day1 & set(second)
    assert len(second) == len(first) - len(set(first) - set(second)) + len(new)
    assert all(nik_matches(n, r[2], r[3]) for n, r in second.items())
    recorded_new = [
        (rel, f)
        for rel, _, h, f, labels in land.rows()
        if "new_in_second_extract" in labels and len(f) == len(h) == 10
    ]
    assert recorded_new and all(rel.split("/")[1] >= "2026-11-03" for rel, _ in recorded_new)
    assert any(normalise(f[5]) in new for _, f in recorded_new)


def test_error_rate_zero_gives_a_clean_landing(tmp_path: Path):
    summary = sd.generate(tmp_path, error_rate=0, residents=1000, recordings_per_day=200, progress=False)
    assert summary.duplicate_copies == []
    assert not set(summary.injected) & set(sd.ROW_ERRORS + sd.FILE_ERRORS) - {"duplicate_delivery"}
    assert summary.injected.get("duplicate_delivery") == 0
    for p in summary.batch_files:
        header, rows = read_csv(p)
        assert header == list(sd.BATCH_COLUMNS)
        for r in rows:
            assert len(r) == 10 and re.fullmatch(r"\d{16}", r[5]) and r[8] in ("L", "P")
            assert datetime.fromisoformat(r[4]).astimezone(WIB).date().isoformat() == p.parent.name


def test_extract_errors_are_opt_in(tmp_path: Path):
    rates = sd.Rates(extract_errors=0.02)
    sd.generate(tmp_path / "l", rates=rates, labels_path=tmp_path / "labels.csv", progress=False)
    _, rows = read_csv(tmp_path / "l/registry/2026-11-01/unrecorded_residents.csv")
    counts = Counter(r[0] for r in rows)
    assert any(n > 1 for n in counts.values())
    assert any(r[3] not in ("L", "P") or r[4] not in LEVEL4 for r in rows)
    labels = (tmp_path / "labels.csv").read_text(encoding="utf-8")
    assert "extract_duplicate_nik" in labels


def test_national_scope_spreads_over_provinces(tmp_path: Path):
    summary = sd.generate(
        tmp_path,
        scope="national",
        residents=20_000,
        recordings_per_day=300,
        files_per_day=10,
        days=2,
        progress=False,
    )
    _, rows = read_csv(summary.registry_files[0])
    assert len(rows) == 20_000 and len({r[0] for r in rows}) == 20_000
    assert all(r[4] in LEVEL4 for r in rows)
    provinces = Counter(r[4][:2] for r in rows)
    assert len(provinces) >= 30
    assert provinces.most_common(3)[0][0] in ("32", "33", "35")  # Java is the most populous
    assert all(nik_matches(r[0], r[2], r[3]) and r[0][:6] in KEC_PREFIXES for r in rows)
    sites = {read_csv(p)[1][0][1] for p in summary.batch_files if read_csv(p)[1]}
    assert len(sites) >= 5


def test_cli(tmp_path: Path, capsys):
    argv = (
        "--seed 3 --start-date 2026-12-01 --days 2 --residents 500 --recordings-per-day 100 --files-per-day 3"
        " --scope jakarta-selatan --second-extract --error-rate 0.08 --rate nik_typo=0.05 --quiet"
    )
    rc = sd.main(["--landing", str(tmp_path / "l"), *argv.split()])
    assert rc == 0
    out = capsys.readouterr()
    assert "registry 2026-11-30: 500 residents" in out.out and out.err == ""
    assert sorted(p.name for p in (tmp_path / "l/batches").iterdir()) == ["2026-12-01", "2026-12-02"]
    assert (tmp_path / "l/registry/2026-12-02/unrecorded_residents.csv").exists()
    with pytest.raises(SystemExit):
        sd.main(["--landing", str(tmp_path), "--rate", "no_such_kind=1"])


def test_bad_arguments_are_refused(tmp_path: Path):
    with pytest.raises(ValueError):
        sd.generate(tmp_path, scope="bandung")
    with pytest.raises(ValueError):
        sd.generate(tmp_path, days=1, second_extract=True)
