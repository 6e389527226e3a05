"""Reading a landed CSV file into chunks of records, with file-level rejection (contract §2.1).

The bytes are checked first (UTF-8, header, required columns) so a bad file is rejected before
any of its rows is loaded. Rows are then streamed in chunks so memory does not grow with the file.

Two readers give the same records, fields, row and line numbers. The csv module is the reference.
Arrow's CSV parser (C++, ~20x faster: an extract has millions of rows) is used when every data
record is exactly one physical line and no line is blank, which holds for nearly every real file;
then record k is on line k + 1. That is verified, not assumed: Arrow's record count (valid plus
malformed rows) must equal the number of data lines counted in the byte pass (a record spanning
lines, or an empty line Arrow skips, breaks the equality), no malformed line may be blank, and a
lone CR (a line end for the csv module) sends the file to the csv module. A file up to
``_WHOLE_FILE`` bytes is parsed whole before any row is handed out; a larger one is first counted
(multithreaded, no rows kept), then streamed.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

_BLOCK = 1 << 20
_WHOLE_FILE = 64 << 20
_ARROW_BLOCK = 4 << 20
# A very long field is a row problem, not a crash: an unclosed quote early in a large file makes the
# rest of the file one field (one malformed row). Fields are bounded by the file, not by the csv module.
csv.field_size_limit(2**31 - 1)


class RejectedFile(Exception):
    """The file as a whole cannot be read as the contract's CSV; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _NotOneRecordPerLine(Exception):
    """Arrow's reading of the file cannot be numbered line by line: the csv module reads it."""


class Chunk:
    """Well-formed records as columns, plus the malformed ones as they came: ``malformed`` is a list of
    (row number, line number, fields).

    ``columns`` maps each header name to its values: lists from the csv module's reader. The Arrow reader
    keeps the chunk as an Arrow ``table`` (columns named as the header) and makes pandas string Series of
    it only when ``columns`` is asked for: a loader that concatenates many files' tables skips that.
    """

    def __init__(self, columns: dict[str, list[str]] | None, row_numbers: list[int], line_numbers: list[int],
                 malformed: list[tuple[int, int, list[str]]] | None = None, *, table=None):
        self._columns = columns
        self.row_numbers = row_numbers
        self.line_numbers = line_numbers
        self.malformed = [] if malformed is None else malformed
        self.table = table

    @property
    def columns(self) -> dict:
        if self._columns is None:
            import pandas as pd
            import pyarrow as pa

            string = pd.StringDtype("pyarrow")
            frame = self.table.to_pandas(types_mapper={pa.string(): string, pa.large_string(): string}.get)
            self._columns = {name: frame.iloc[:, i].astype(string) for i, name in enumerate(self.table.column_names)}
        return self._columns

    def __len__(self) -> int:
        return len(self.row_numbers)


def _open_path(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


@dataclass
class CsvFile:
    path: Path
    header: list[str]
    #: from the byte pass of :func:`open_csv`: lines (ended by LF or CRLF; a last line without one
    #: counts), and whether a CR not followed by LF occurs (then only the csv module reads the file)
    lines: int | None = None
    lone_cr: bool = True
    #: known after the first read: whether Arrow's one-record-per-line reading was verified
    one_record_per_line: bool | None = None
    #: opens the file for binary reading: every read goes through it (a landed file: ``landing.open_landed``)
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)

    def open(self) -> BinaryIO:
        return (self.opener or _open_path(self.path))()

    def chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        """Data records in order. Row numbers count records from 1 (header and empty lines excluded)."""
        if self.lines is not None and not self.lone_cr and self.one_record_per_line is not False:
            try:
                records = self._arrow_chunks(chunk_rows)
            except _NotOneRecordPerLine:
                self.one_record_per_line = False
            else:
                self.one_record_per_line = True
                yield from records
                return
        yield from self._csv_module_chunks(chunk_rows)

    def _csv_module_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        width = len(self.header)
        with io.TextIOWrapper(self.open(), encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=False)
            next(reader)
            chunk = _empty_chunk(self.header)
            row_number = 0
            line_start = reader.line_num + 1
            for fields in reader:
                line = line_start
                line_start = reader.line_num + 1
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # an empty line is not a row
                row_number += 1
                if len(fields) != width:
                    chunk.malformed.append((row_number, line, fields))
                else:
                    for name, value in zip(self.header, fields, strict=True):
                        chunk.columns[name].append(value)
                    chunk.row_numbers.append(row_number)
                    chunk.line_numbers.append(line)
                if len(chunk) + len(chunk.malformed) >= chunk_rows:
                    yield chunk
                    chunk = _empty_chunk(self.header)
            if len(chunk) or chunk.malformed or row_number == 0:
                yield chunk


    # --- the Arrow reader ---------------------------------------------------------------------------

    def _arrow_options(self, malformed: list[tuple[int | None, str]], threads: bool):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        def invalid_row(row) -> str:
            malformed.append((row.number, row.text))
            return "skip"

        names = [f"c{i}" for i in range(len(self.header))]
        return dict(
            read_options=pacsv.ReadOptions(use_threads=threads, block_size=_ARROW_BLOCK, skip_rows=1,
                                           column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True,
                                             invalid_row_handler=invalid_row),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    def _check_records(self, valid: int, malformed: list[tuple[int | None, str]]) -> None:
        """Raise unless Arrow's records are the file's data lines, one each, none blank."""
        assert self.lines is not None
        if valid + len(malformed) != max(self.lines - 1, 0):
            raise _NotOneRecordPerLine
        if any(_blank(_fields(text)) for _, text in malformed):
            raise _NotOneRecordPerLine
        if self._last_record_spans_lines():
            raise _NotOneRecordPerLine

    def _last_record_spans_lines(self) -> bool:
        """An unclosed quote on the last line takes its line end into a field: the count cannot see that."""
        with self.open() as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - _BLOCK))
            tail = fh.read()
        start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
        if start == 0 and size > len(tail):
            return True  # a last line over a MiB: let the csv module read the file
        last = tail[start:]
        if b'"' not in last:
            return False
        fields = next(csv.reader(io.StringIO(last.decode("utf-8", "replace"), newline=""), strict=False), [])
        return any("\n" in f or "\r" in f for f in fields)

    def _arrow_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        """Verify, then return the chunks (raises :class:`_NotOneRecordPerLine` before handing out any)."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        malformed: list[tuple[int | None, str]] = []
        try:
            with self.open() as fh:
                if os.fstat(fh.fileno()).st_size <= _WHOLE_FILE:
                    table = pacsv.read_csv(fh, **self._arrow_options(malformed, threads=False))
                    self._check_records(table.num_rows, malformed)
                    return self._numbered(iter(table.to_batches()), malformed, chunk_rows)
            # large: count first (all cores, nothing kept), then stream one block at a time
            counted: list[tuple[int | None, str]] = []
            with self.open() as fh, pacsv.open_csv(fh, **self._arrow_options(counted, threads=True)) as reader:
                valid = sum(batch.num_rows for batch in reader)
            self._check_records(valid, counted)
        except pa.ArrowException:
            raise _NotOneRecordPerLine from None
        reader = pacsv.open_csv(self.open(), **self._arrow_options(malformed, threads=False))
        return self._numbered(reader, malformed, chunk_rows)

    def _numbered(self, batches: Iterator, malformed: list[tuple[int | None, str]], chunk_rows: int) -> Iterator[Chunk]:
        """Chunks with row k on line k + 1. ``malformed`` may grow while ``batches`` is read (a serial
        reader reports a block's malformed lines while parsing it, before yielding its batch)."""
        import pyarrow as pa

        next_record = 1  # the next record number to give out
        seen = 0  # entries of ``malformed`` already placed in the pending list
        pending: list[tuple[int, str]] = []  # malformed records not yet placed: (record number, text)
        parts: list = []
        bad: list[tuple[int, int, list[str]]] = []
        numbers: list[np.ndarray] = []
        held = 0
        for batch in batches:
            if seen < len(malformed):
                for line, text in malformed[seen:]:
                    if line is None or line - 1 < next_record:
                        raise RuntimeError(f"{self.path}: malformed line {line} reported out of order")
                    pending.append((line - 1, text))
                seen = len(malformed)
                pending.sort()
            # the block's records: the next ``num_rows`` numbers that are not malformed records
            end, j = next_record + batch.num_rows, 0
            while j < len(pending) and pending[j][0] < end:
                end += 1
                j += 1
            valid = np.arange(next_record, end, dtype=np.int64)
            if j:
                valid = np.setdiff1d(valid, np.array([r for r, _ in pending[:j]], dtype=np.int64))
            bad += [(r, r + 1, _fields(text)) for r, text in pending[:j]]
            pending = pending[j:]
            next_record = end
            if batch.num_rows:
                parts.append(batch)
                numbers.append(valid)
            held += batch.num_rows + j
            if held >= chunk_rows:
                yield self._chunk(pa, parts, numbers, bad)
                parts, numbers, bad, held = [], [], [], 0
        for line, text in malformed[seen:]:
            pending.append((line - 1, text))
        bad += [(r, r + 1, _fields(text)) for r, text in sorted(pending)]
        if next_record - 1 + len(pending) != max((self.lines or 1) - 1, 0):
            raise RuntimeError(f"{self.path}: the streamed records do not add up to its lines")
        if parts or bad or next_record == 1:
            yield self._chunk(pa, parts, numbers, bad)

    def _chunk(self, pa, parts: list, numbers: list[np.ndarray], bad: list) -> Chunk:
        names = [f"c{i}" for i in range(len(self.header))]
        table = pa.Table.from_batches(parts) if parts else pa.table({n: pa.array([], pa.string()) for n in names})
        rows = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64)
        return Chunk(None, rows.tolist(), (rows + 1).tolist(), bad, table=table.rename_columns(self.header))


def _fields(text: str) -> list[str]:
    return next(csv.reader([text], strict=False), [])


def _blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _empty_chunk(header: list[str]) -> Chunk:
    return Chunk({name: [] for name in header}, [], [])


def open_csv(path: Path, required: tuple[str, ...], opener: Callable[[], BinaryIO] | None = None) -> CsvFile:
    """Check the whole file's bytes and header; raise :class:`RejectedFile` with the reason. ``opener``
    opens the file (default: ``path.open("rb")``)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    first = ""
    newlines = crs = crlfs = 0
    last = b""
    with (opener or _open_path(path))() as fh:
        while block := fh.read(_BLOCK):
            newlines += block.count(b"\n")
            if b"\r" in block or last == b"\r":
                crs += block.count(b"\r")
                crlfs += block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
            last = block[-1:]
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise RejectedFile(f"not UTF-8: undecodable byte at offset {offset + exc.start}") from None
            if "\x00" in text:
                raise RejectedFile("not a text file: contains NUL characters")
            if len(first) < 65536:
                first += text
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise RejectedFile("not UTF-8: file ends inside a multi-byte character") from None
    header = _header(first.removeprefix("\ufeff"))
    missing = [name for name in required if name not in header]
    if missing:
        raise RejectedFile(f"missing required column(s): {', '.join(missing)}")
    lines = newlines + (last not in (b"", b"\n"))
    return CsvFile(path, header, lines=lines, lone_cr=crs != crlfs, opener=opener)


def _header(text: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)  # as the rows are read: a lone CR ends a line
    for fields in reader:
        if fields and any(f.strip() for f in fields):
            if reader.line_num != 1:
                break  # the header must be the first line
            names = [f.strip().lower() for f in fields]
            if len(set(names)) != len(names):
                raise RejectedFile("header repeats a column name")
            return names
        break
    raise RejectedFile("no header row")
