"""Records over the reader's limit (csv_reader.MAX_RECORD_CHARS) are malformed rows that are never held whole,
and where such a record ends is where the csv module's own rules end it.

The reference is the csv module with no limit, fed the file line by line: each record is the text of the
lines it took. With the limits made tiny, hypothesis writes files of quotes, commas, blanks and every line
end, and the reader must give the reference's records, except that a record longer than the limit is one
OversizedRecord (its prefix, its size in bytes, the sha256 of its text) at the line where it starts.
Then a real file of 200 MiB on one line is read within a few MiB of memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from ektp.ingest import csv_reader
from ektp.ingest.csv_reader import OversizedRecord, open_csv
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

HEADER = "a,b,c"
LIMIT, PREFIX = 24, 5


def _reference(text: str) -> list[tuple[list[str] | tuple[str, int, str], int]]:
    """(fields, or (prefix, bytes, sha256) of a record over LIMIT, its first line) for every data record."""
    lines = io.StringIO(text, newline="").readlines()
    out, taken, at = [], [], 0

    def feed():
        nonlocal at
        for line in lines:
            taken.append(line)
            at += 1
            yield line

    reader = csv.reader(feed(), strict=False)
    first = True
    while True:
        taken.clear()
        start = at + 1
        fields = next(reader, None)
        if fields is None:
            return out
        body = "".join(taken)
        body = body[:-2] if body.endswith("\r\n") else body[:-1] if body.endswith(("\r", "\n")) else body
        if first:
            first = False
            continue
        if not body.strip() and '"' not in body:
            continue  # an empty line
        if len(body) > LIMIT:
            out.append(((body[:PREFIX], len(body.encode()), hashlib.sha256(body.encode()).hexdigest()), start))
        else:
            out.append((fields, start))


def _read(path: Path) -> list:
    csv_file = open_csv(path, ("a",))
    out = []
    for chunk in csv_file.chunks(3):
        rows = [(r, [str(chunk.columns[n][i]) for n in chunk.columns], line)
                for i, (r, line) in enumerate(zip(chunk.row_numbers, chunk.line_numbers, strict=True))]
        rows += [(r, fields, line) for r, line, fields in chunk.malformed]
        out += sorted(rows, key=lambda x: x[0])
    assert [r for r, _, _ in out] == list(range(1, len(out) + 1))
    return [((f[0], f.size, f.sha256) if isinstance(f, OversizedRecord) else list(f), line) for _, f, line in out]


@pytest.fixture
def tiny_limits(monkeypatch):
    monkeypatch.setattr(csv_reader, "MAX_RECORD_CHARS", LIMIT)
    monkeypatch.setattr(csv_reader, "OVERSIZED_PREFIX_CHARS", PREFIX)
    monkeypatch.setattr(csv_reader, "_PIECE", 7)  # an oversized record is read in many pieces
    monkeypatch.setattr(csv_reader, "_BLOCK", 8)  # the byte pass finds long lines across many blocks


_piece = st.sampled_from(["x", "yy", ",", '"', '""', " ", "\t", "é", "\n", "\r\n", "\r", ",\"", "\"\n", "a" * 30])
_body = st.lists(_piece, max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_body)
@example(body='1,2,3\n"' + "x\n" * 20 + '"\n4,5,6\n')  # a quoted field over many lines: one record
@example(body="1,2,3\n" + "y" * 40 + "\r\n4,5,6")
@example(body='"",' * 20 + "\n" + " " * 40 + "\n1,2,3\n")  # many fields; a long blank line is not a row
@example(body='1,"' + "z" * 40)  # an unclosed quote runs to the end of the file
def test_records_over_the_limit_end_where_the_csv_module_ends_them(tmp_path, tiny_limits, body):
    path = tmp_path / "f.csv"
    text = HEADER + "\n" + body
    path.write_bytes(text.encode("utf-8"))
    assert _read(path) == _reference(text)


def test_quoted_empty_lines_are_rows_and_blank_lines_are_not(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('a,b,c\n1,2,3\n""\n\n" "\n  \t\n  ""  \n4,5,6\n', encoding="utf-8")
    assert _read(path) == [(["1", "2", "3"], 2), ([""], 3), ([" "], 5), (['  ""  '], 7), (["4", "5", "6"], 8)]


def test_a_200_mib_line_is_read_in_bounded_memory(tmp_path):
    """A separate interpreter reads a file whose second line is 200 MiB: its peak memory must stay far below
    the line (the csv module alone would hold it several times over)."""
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:
        fh.write(b"a,b,c\n1,2,3\n")
        block = b'x,"y""z",' * (1 << 17)
        for _ in range(200 * (1 << 20) // len(block)):
            fh.write(block)
        fh.write(b"\n4,5,6\n")
    script = f"""
import resource, sys
sys.path.insert(0, {str(Path(csv_reader.__file__).parents[2])!r})
from ektp.ingest.csv_reader import OversizedRecord, open_csv
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = []
for chunk in open_csv(__import__("pathlib").Path({str(path)!r}), ("a",)).chunks(1000):
    rows += [(r, line, type(f).__name__, getattr(f, "size", None)) for r, line, f in chunk.malformed]
    rows += [(r, line) for r, line in zip(chunk.row_numbers, chunk.line_numbers)]
print(sorted(rows, key=lambda r: r[0]))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    rows, grown_mib = done.stdout.splitlines()
    size = path.stat().st_size - len(b"a,b,c\n1,2,3\n") - len(b"\n4,5,6\n")
    assert rows == str([(1, 2), (2, 3, "OversizedRecord", size), (3, 4)])
    assert int(grown_mib) < 64, f"reading grew the process by {grown_mib} MiB"
