"""The landing area: which files exist, what they are, and their bytes' identity (contract §1)."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)

REGISTRY_FILE = "unrecorded_residents.csv"
BATCH = "batch"
REGISTRY = "registry"
_BLOCK = 1 << 20


@dataclass(frozen=True, order=True)
class LandedFile:
    """A file by its path relative to the landing root (its identity), with its kind and date."""

    path: str
    kind: str
    file_date: date
    size: int = 0
    sha256: str = ""
    modified_ns: int | None = None  # the file's mtime when it was read (st_mtime_ns)

    def absolute(self, root: Path) -> Path:
        return root / self.path

    def to_xcom(self) -> dict:
        return asdict(self) | {"file_date": self.file_date.isoformat()}

    @classmethod
    def from_xcom(cls, data: dict) -> LandedFile:
        return cls(**(data | {"file_date": date.fromisoformat(data["file_date"])}))


def _folder_date(name: str) -> date | None:
    try:
        parsed = date.fromisoformat(name)
    except ValueError:
        return None
    return parsed if parsed.isoformat() == name else None  # only the ISO spelling 2026-11-02


def scan(root: Path) -> tuple[list[LandedFile], list[str]]:
    """Every batch and registry file under ``root``, sorted by path; and the ignored paths.

    Ignored (and logged by the caller): anything outside the two layouts, folders that are not
    ISO dates, and links or files that resolve outside the landing root.
    """
    found: list[LandedFile] = []
    ignored: list[str] = []
    root = root.resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"landing directory {root} does not exist (EKTP_LANDING_DIR)")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames) + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            landed = _classify(rel)
            if landed is None or not _inside(full, root) or not full.is_file():
                ignored.append(rel)
                continue
            found.append(landed)
    return sorted(found), ignored


def _classify(rel: str) -> LandedFile | None:
    parts = rel.split("/")
    if len(parts) != 3:
        return None
    top, folder, name = parts
    day = _folder_date(folder)
    if day is None:
        return None
    if top == "registry" and name == REGISTRY_FILE:
        return LandedFile(rel, REGISTRY, day)
    if top == "batches" and name.lower().endswith(".csv") and not name.startswith("."):
        return LandedFile(rel, BATCH, day)
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def fingerprint(root: Path, landed: LandedFile) -> LandedFile:
    """The file with its size, sha256 and modification time (read in blocks: extracts are hundreds of MB)."""
    digest = hashlib.sha256()
    size = 0
    with landed.absolute(root).open("rb") as fh:
        modified_ns = os.fstat(fh.fileno()).st_mtime_ns  # before reading: a write while reading changes it
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return LandedFile(landed.path, landed.kind, landed.file_date, size, digest.hexdigest(), modified_ns)


def fingerprint_unless_unchanged(root: Path, landed: LandedFile, size: int | None, modified_ns: int | None,
                                 sha256: str | None) -> LandedFile:
    """The file's fingerprint, reusing ``sha256`` without reading the file when its size and modification
    time are still the ``size`` and ``modified_ns`` recorded when it was last read (how git and rsync tell
    a changed file). Otherwise every run would read every file it has ever loaded again: a 5.4M-resident
    extract alone is 330 MB, and the files of past nights grow with every night."""
    if modified_ns is not None and sha256:
        stat = landed.absolute(root).stat()
        if stat.st_size == size and stat.st_mtime_ns == modified_ns:
            return LandedFile(landed.path, landed.kind, landed.file_date, size, sha256, modified_ns)
    return fingerprint(root, landed)
