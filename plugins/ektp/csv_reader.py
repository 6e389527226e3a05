"""Reading a landed CSV file into chunks of records, with file-level rejection (contract §2.1).

The bytes are checked first (UTF-8, header, required columns) so a bad file is rejected before
any of its rows is loaded. Rows are then streamed in chunks so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_BLOCK = 1 << 20
csv.field_size_limit(1 << 24)  # a very long field is a row problem, not a crash


class RejectedFile(Exception):
    """The file as a whole cannot be read as the contract's CSV; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Chunk:
    """Well-formed records as columns, plus the malformed ones as they came."""

    columns: dict[str, list[str]]
    row_numbers: list[int]
    line_numbers: list[int]
    malformed: list[tuple[int, int, list[str]]] = field(default_factory=list)  # (row, line, fields)

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass
class CsvFile:
    path: Path
    header: list[str]

    def chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        """Data records in order. Row numbers count records from 1 (header and empty lines excluded)."""
        width = len(self.header)
        with self.path.open(encoding="utf-8-sig", newline="") as fh:
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


def _empty_chunk(header: list[str]) -> Chunk:
    return Chunk({name: [] for name in header}, [], [])


def open_csv(path: Path, required: tuple[str, ...]) -> CsvFile:
    """Check the whole file's bytes and header; raise :class:`RejectedFile` with the reason."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    first = ""
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
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
    return CsvFile(path, header)


def _header(text: str) -> list[str]:
    reader = csv.reader(io.StringIO(text), strict=False)
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
