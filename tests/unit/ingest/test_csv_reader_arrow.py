"""The Arrow CSV reader gives exactly what the csv module gives: records, fields, row and line numbers.

The csv module is the reference (``CsvFile._csv_module_chunks``). Random files over an alphabet rich in
quotes, commas, blanks and line ends exercise both the fast path and every way out of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ektp.ingest import csv_reader
from ektp.ingest.csv_reader import RejectedFile, open_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HEADER = "a,b,c\n"


def _records(chunks) -> tuple[list, list]:
    rows, bad = [], []
    for chunk in chunks:
        names = list(chunk.columns)
        for i, (row, line) in enumerate(zip(chunk.row_numbers, chunk.line_numbers, strict=True)):
            rows.append((int(row), int(line), [str(chunk.columns[n][i]) for n in names]))
        bad += [(int(r), int(line), list(fields)) for r, line, fields in chunk.malformed]
    return rows, sorted(bad)


def _both(path: Path, chunk_rows: int = 3):
    try:
        fast_file = open_csv(path, ("a",))
    except RejectedFile:
        return None
    fast = _records(fast_file.chunks(chunk_rows))
    exact = _records(open_csv(path, ("a",))._csv_module_chunks(chunk_rows))
    return fast, exact, fast_file.one_record_per_line


# and lines of quoted empty or blank fields, which are rows (contract §2.1), beside empty and blank lines
_line = st.one_of(st.text(alphabet=["x", "y", ",", '"', " ", "é", "\t"], max_size=12),
                  st.sampled_from(['""', '" "', ' "" ', '"",""', '"\t"', "", " ", "\t"]))
_end = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", ""])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(_line, _end), max_size=12), crlf=st.booleans(), bom=st.booleans())
def test_arrow_reader_equals_csv_module(tmp_path: Path, lines, crlf: bool, bom: bool):
    text = ("\ufeff" if bom else "") + HEADER.replace("\n", "\r\n" if crlf else "\n")
    text += "".join(body + end for body, end in lines)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    result = _both(path)
    if result is None:
        return
    fast, exact, _ = result
    assert fast == exact


@pytest.mark.parametrize("body, arrow", [
    ("1,2,3\n4,5,6\n", True),
    ("1,2,3\n4,5\n6,7,8,9\n\"q,\"\"u\",2,3\n", True),  # malformed rows and quoted commas: still line = row + 1
    ("1,2,3\n\n4,5,6\n", False),  # an empty line is not a row: the csv module numbers the rows
    ("1,2,3\n  \n4,5,6\n", False),  # a blank line
    ('1,"2\n2",3\n4,5,6\n', False),  # a record over two lines
    ("1,2,3\r4,5,6\r", False),  # lone CR line ends
    ('1,2,3\n""\n" "\n4,5,6\n', True),  # quoted empty and quoted blank fields: rows (malformed), not empty lines
    ("1,2,3\n" + "x" * (1 << 20) + ",2,3\n", False),  # a line over the record limit: the csv module's rules
])
def test_fast_path_is_taken_only_when_it_is_exact(tmp_path: Path, body: str, arrow: bool):
    path = tmp_path / "f.csv"
    path.write_text(HEADER + body, encoding="utf-8", newline="")
    fast, exact, used = _both(path)
    assert fast == exact
    assert bool(used) is arrow


@pytest.mark.parametrize("blank_line", [False, True])
def test_quoted_empty_fields_are_rows_in_both_readers(tmp_path: Path, blank_line: bool):
    """Contract §2.1: a line holding a quoted empty field is a row (here malformed: one field of three); an
    empty line is not. Without the empty line, Arrow reads the file; with it, the csv module does."""
    path = tmp_path / "f.csv"
    body = ['1,2,3', '""', '" "', '  ""  ', *(["  \t"] if blank_line else []), '4,5,6']
    path.write_text(HEADER + "\n".join(body) + "\n", encoding="utf-8")
    fast, exact, used = _both(path)
    end = 6 if blank_line else 5
    assert fast == exact == ([(1, 2, ["1", "2", "3"]), (5, end + 1, ["4", "5", "6"])],
                             [(2, 3, [""]), (3, 4, [" "]), (4, 5, ['  ""  '])])
    assert bool(used) is not blank_line


def test_large_file_is_counted_then_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(csv_reader, "_WHOLE_FILE", 100)  # everything is "large"
    monkeypatch.setattr(csv_reader, "_ARROW_BLOCK", 1 << 10)  # many blocks
    rows = [f"{i},n{i},z" if i % 97 else f"{i},short" for i in range(5000)]
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "\n".join(rows), encoding="utf-8")
    fast, exact, used = _both(path, chunk_rows=700)
    assert used and fast == exact
    assert len(fast[1]) == len([r for r in rows if r.endswith("short")])
