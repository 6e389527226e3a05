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

A record longer than ``MAX_RECORD_CHARS`` is a malformed row whatever its fields: it is never held whole.
The csv module's reader is fed bounded lines; where a record would grow past the limit, its end is found
by :func:`_scan` (the same quoting rules) while its bytes are hashed, and only a prefix is kept
(:class:`OversizedRecord`). A file with a line over the limit in bytes is read by the csv module.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

_BLOCK = 1 << 20
_WHOLE_FILE = 64 << 20
_ARROW_BLOCK = 4 << 20
#: the longest record, in characters (its line ends inside it counted, its last one not): a longer one is a
#: malformed_row, kept as a prefix, its size and its sha256 (docs/decisions.md)
MAX_RECORD_CHARS = 1 << 20
#: characters of an oversized record kept in the quarantine
OVERSIZED_PREFIX_CHARS = 4096
#: characters read at a time while an oversized record's end is looked for
_PIECE = 1 << 20
# The reader never feeds the csv module a record over MAX_RECORD_CHARS, so no field can be longer; the
# module's own limit (128 KiB by default) would stop a record that is within ours.
csv.field_size_limit(MAX_RECORD_CHARS)
assert MAX_RECORD_CHARS >= _BLOCK, "the byte pass finds long lines only where they cross a block boundary"


class RejectedFile(Exception):
    """The file as a whole cannot be read as the contract's CSV; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OversizedRecord(list):
    """The fields of a record over ``MAX_RECORD_CHARS``: only its first characters, as one field, plus the
    size in bytes (UTF-8) and the sha256 of the whole record as in the file (its last line end excluded)."""

    def __init__(self, prefix: str, size: int, sha256: str):
        super().__init__([prefix])
        self.size = size
        self.sha256 = sha256


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
    #: whether a line is longer than MAX_RECORD_CHARS bytes (then only the csv module reads the file)
    long_line: bool = True
    #: known after the first read: whether Arrow's one-record-per-line reading was verified
    one_record_per_line: bool | None = None
    #: opens the file for binary reading: every read goes through it (a landed file: ``landing.open_landed``)
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)

    def open(self) -> BinaryIO:
        return (self.opener or _open_path(self.path))()

    def chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        """Data records in order. Row numbers count records from 1 (header and empty lines excluded)."""
        if self.lines is not None and not self.lone_cr and not self.long_line \
                and self.one_record_per_line is not False:
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
            records = _Records(fh).read()
            next(records, None)  # the header
            chunk = _empty_chunk(self.header)
            row_number = 0
            for fields, line in records:
                row_number += 1
                if len(fields) != width or isinstance(fields, OversizedRecord):
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
        if any(_blank_line(text) for _, text in malformed):
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


def _blank_line(text: str) -> bool:
    """An empty line (contract §2.1): nothing but whitespace. A quoted empty field (``""``) is a row."""
    return not text.strip() and '"' not in text


def _content_length(line: str) -> int:
    """Characters of a line without its line end (LF, CRLF or a lone CR)."""
    if line.endswith("\n"):
        return len(line) - (2 if line.endswith("\r\n") else 1)
    return len(line) - line.endswith("\r")


class _Records:
    """The records of a text file opened with ``newline=""`` as (fields, line number where it starts), empty
    lines left out; the first is the header. Memory stays bounded whatever the file: see :func:`_scan`."""

    def __init__(self, fh):
        self._fh = fh
        self._ahead = ""  # what was read beyond the last piece handed out
        self.lines = 0  # physical lines read so far
        self._record: list[str] = []  # the lines of the current record, while the csv module reads it
        self._chars = 0
        self._over: str | None = None  # the line that would have made the current record too long

    def _readline(self, size: int, piece: str | None = None) -> str:
        """The next line with its line end, or its next ``size`` characters (a longer line comes in pieces).
        ``piece``: what was just read (with ``size``), to complete."""
        if piece is None:
            piece, self._ahead = self._ahead, ""
            if len(piece) < size and not piece.endswith(("\n", "\r")):
                piece += self._fh.readline(size - len(piece))
        if piece.endswith("\r") and len(piece) >= size:  # the size may have cut a CRLF after its CR
            after = self._fh.readline(size)
            if after == "\n":
                piece += after
            else:
                self._ahead = after
        return piece

    def _feed(self) -> Iterator[str]:
        """Lines for csv.reader; it ends (that reader sees the end of the file) at a line that would make the
        current record longer than the limit, which is left in ``_over``. The lines of the current record are
        kept in ``_record`` (at most the limit) and counted into ``lines`` when it ends."""
        size, readline, record = MAX_RECORD_CHARS + 2, self._fh.readline, self._record  # + a line end
        while True:
            if self._ahead:
                line = self._readline(size)
            else:
                line = readline(size)
                if len(line) >= size:  # a longer line comes in pieces; a CRLF may be cut after its CR
                    line = self._readline(size, line)
            if not line:
                return
            if len(line) > MAX_RECORD_CHARS - self._chars \
                    and _content_length(line) > MAX_RECORD_CHARS - self._chars:
                self._over = line
                return
            self._chars += len(line)
            record.append(line)
            yield line

    def read(self) -> Iterator[tuple[list[str], int]]:
        while True:
            record = self._record
            reader = csv.reader(self._feed(), strict=False)
            while True:
                self.lines += len(record)
                record.clear()
                self._chars, start = 0, self.lines + 1
                fields = next(reader, None)
                if self._over is not None:
                    break
                if fields is None:
                    return
                if not fields or (len(fields) == 1 and not fields[0].strip()
                                  and len(record) == 1 and '"' not in record[0]):
                    continue  # an empty line is not a row (a record over several lines holds a quote)
                yield fields, start
            self.lines += len(record)
            # the csv module read the record up to the line that would make it too long (its fields then are
            # a partial record, dropped): the rest is scanned, hashed and counted, never held
            oversized = self._oversized(quoted=bool(record))
            self._over = None
            record.clear()
            if oversized is not None:
                yield oversized, start

    def _oversized(self, quoted: bool) -> OversizedRecord | None:
        """The record the csv module stopped at: its lines so far, then ``_over`` and what follows up to its
        end. ``quoted``: the record goes on past a line end, which only a quoted field does. None for a long
        line of nothing but whitespace (an empty line)."""
        digest, size, prefix, blank = hashlib.sha256(), 0, [], True
        kept = 0

        def take(text: str) -> None:
            nonlocal size, kept, blank
            data = text.encode("utf-8")
            digest.update(data)
            size += len(data)
            if kept < OVERSIZED_PREFIX_CHARS:
                prefix.append(text[:OVERSIZED_PREFIX_CHARS - kept])
                kept += len(prefix[-1])
            blank = blank and _blank_line(text)

        for line in self._record:
            take(line)
        state = _QUOTED if quoted else _START
        # the line end of the last piece is the record's only if more of the record follows it
        piece, line_end, new_line = self._over, "", True
        while piece:
            if new_line:
                self.lines += 1
            take(line_end)
            end, state = _scan(piece, state)
            if end is not None:
                take(piece[:end])
                break
            content = _content_length(piece)
            take(piece[:content])
            line_end, new_line = piece[content:], content < len(piece)
            piece = self._readline(_PIECE)
        return None if blank else OversizedRecord("".join(prefix), size, digest.hexdigest())


# the csv module's states that matter for where a record ends (default dialect, strict=False)
_START, _FIELD, _QUOTED, _QUOTE = range(4)
_QUOTED_FIELD = r'"[^"]*+(?:""[^"]*+)*+"[^,\r\n]*+'  # a closed quoted field (after it, quotes are literal)
_COMPLETE_FIELDS = re.compile(rf'(?:(?:{_QUOTED_FIELD}|[^,\r\n"][^,\r\n]*+)?,)*+')
_UNQUOTED_STOP = re.compile(r'[\r\n]|,"')


def _scan(text: str, state: int) -> tuple[int | None, int]:
    """Where in ``text`` the record ends (the index of its line end) and the state after ``text`` when it does
    not, by the csv module's rules: a line end ends the record unless inside quotes; a quote opens a quoted
    field only at the start of a field; ``""`` inside one is a quote. Runs of whole fields are skipped by one
    regular expression, so a line of millions of fields is not walked in Python."""
    i, n = 0, len(text)
    while i < n:
        if state == _START:
            i = _COMPLETE_FIELDS.match(text, i).end()
            if i == n:
                break
            if text[i] == '"':
                state, i = _QUOTED, i + 1
                continue
            state = _FIELD
        if state == _FIELD:
            found = _UNQUOTED_STOP.search(text, i)
            if found is None:
                return None, _START if text.endswith(",") else _FIELD
            if found.group() != ',"':
                return found.start(), _START
            state, i = _QUOTED, found.end()
        elif state == _QUOTED:
            i = text.find('"', i)
            if i < 0:
                return None, _QUOTED
            state, i = _QUOTE, i + 1
        else:  # _QUOTE: a quote inside a quoted field; the next character says what it was
            c = text[i]
            if c in "\r\n":
                return i, _START
            state, i = {'"': _QUOTED, ",": _START}.get(c, _FIELD), i + 1
    return None, state


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
    since_newline, long_line = 0, False  # bytes since the last LF; whether a line is over MAX_RECORD_CHARS bytes
    with (opener or _open_path(path))() as fh:
        while block := fh.read(_BLOCK):
            newlines += block.count(b"\n")
            first_newline = block.find(b"\n")
            if first_newline < 0:
                since_newline += len(block)
            else:  # lines inside a block are shorter than the limit: only those crossing a boundary can be longer
                long_line = long_line or since_newline + first_newline > MAX_RECORD_CHARS
                since_newline = len(block) - block.rfind(b"\n") - 1
            long_line = long_line or since_newline > MAX_RECORD_CHARS
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
    return CsvFile(path, header, lines=lines, lone_cr=crs != crlfs, opener=opener, long_line=long_line)


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
