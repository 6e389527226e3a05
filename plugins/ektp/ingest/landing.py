"""The landing area: which files exist, what they are, and their bytes' identity (contract §1).

Everything in it is untrusted. The scan lists only the contract's layout (``batches|cards|registry`` /
ISO date folder / file) and never descends elsewhere, so no folder, link or loop outside it can
slow or break a run. Every read of a landed file goes through :func:`open_landed`, which opens it
without following a link out of the landing root, and refuses anything that is not a regular file.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from ektp.core.safe_text import escaped, unescaped
from ektp.ingest.csv_reader import RejectedFile

log = logging.getLogger(__name__)

REGISTRY_FILE = "unrecorded_residents.csv"
BATCH = "batch"
REGISTRY = "registry"
CARD_EVENTS = "card_events"
_BLOCK = 1 << 20
_LAYOUT = {"batches": BATCH, "cards": CARD_EVENTS, "registry": REGISTRY}


class RefusedFile(RejectedFile):
    """A landed file that cannot be read safely (a link out of the root, a loop, a FIFO, no permission):
    it is rejected as a file, with ``reason``."""

    def __init__(self, path: str, reason: str):
        super().__init__(reason)
        self.path = path


class VanishedFile(FileNotFoundError):
    """The landed file is gone (removed or renamed since the scan)."""

    def __init__(self, path: str):
        super().__init__(errno.ENOENT, "no longer in the landing area", path)
        self.path = path


@dataclass(frozen=True, order=True)
class LandedFile:
    """A file by its path relative to the landing root (its identity), with its kind and date."""

    path: str
    kind: str
    file_date: date
    size: int = 0
    sha256: str = ""
    modified_ns: int | None = None  # the file's mtime when it was read (st_mtime_ns)
    changed_ns: int | None = None  # its inode change time then (st_ctime_ns): no copying tool can set it back
    #: the file name is not UTF-8: ``path`` holds it escaped (``safe_text``, reversible), as text must
    name_escaped: bool = False

    def os_path(self) -> str:
        """The path relative to the root as the file system names it."""
        return unescaped(self.path) if self.name_escaped else self.path

    def absolute(self, root: Path) -> Path:
        return root / self.os_path()

    def to_xcom(self) -> dict:
        return asdict(self) | {"file_date": self.file_date.isoformat()}

    @classmethod
    def from_xcom(cls, data: dict) -> LandedFile:
        return cls(**(data | {"file_date": date.fromisoformat(data["file_date"])}))


@dataclass
class LandingScan:
    files: list[LandedFile] = field(default_factory=list)  # sorted by path
    ignored: list[str] = field(default_factory=list)  # outside the layout, escaped for logs
    #: folders of the layout that could not be listed (not for want of existing): their files are unknown
    unlisted: list[str] = field(default_factory=list)


def _folder_date(name: str) -> date | None:
    try:
        parsed = date.fromisoformat(name)
    except ValueError:
        return None
    return parsed if parsed.isoformat() == name else None  # only the ISO spelling 2026-11-02


def scan(root: Path) -> tuple[list[LandedFile], list[str]]:
    """Every batch, card-event and registry file under ``root``, sorted by path; and the ignored paths."""
    found = scan_landing(root)
    return found.files, found.ignored


def scan_landing(root: Path) -> LandingScan:
    """The layout's files, whatever else the landing area holds.

    A file is a name of the layout (a visible ``*.csv`` in ``batches/<date>/`` or ``cards/<date>/``,
    ``unrecorded_residents.csv``
    in ``registry/<date>/``) that is not a folder: links, FIFOs and the like are files here, and
    :func:`open_landed` refuses them with a reason. Everything else is ignored and not looked into: other
    top-level entries, folders that are not ISO dates, linked folders, nested folders, other names.
    Only a missing or unreadable landing root raises (a setting, not landed content).
    """
    root = Path(os.path.realpath(root))
    if not root.is_dir():
        raise FileNotFoundError(f"landing directory {root} does not exist (EKTP_LANDING_DIR)")
    out = LandingScan()
    with os.scandir(root) as entries:
        top = sorted(entries, key=lambda e: e.name)
    for entry in top:
        if entry.name not in _LAYOUT or not _is_folder(entry):
            out.ignored.append(escaped(entry.name))
            continue
        for day_entry in _listing(entry.path, entry.name, out):
            rel = f"{entry.name}/{day_entry.name}"
            day = _folder_date(day_entry.name)
            if day is None or not _is_folder(day_entry):
                out.ignored.append(escaped(rel))
                continue
            _scan_day(day_entry.path, rel, _LAYOUT[entry.name], day, out)
    out.files.sort()
    return out


def _scan_day(folder: str, rel: str, kind: str, day: date, out: LandingScan) -> None:
    taken = set()
    pending = []
    for entry in _listing(folder, rel, out):
        name = entry.name
        if _is_folder(entry) or not _layout_name(kind, name):
            out.ignored.append(escaped(f"{rel}/{name}"))
            continue
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            pending.append(f"{rel}/{escaped(name, reversible=True)}")
            continue
        taken.add(f"{rel}/{name}")
        out.files.append(LandedFile(f"{rel}/{name}", kind, day))
    for path in pending:
        if path in taken:  # another file's name is this name's escaped spelling: it keeps its identity
            out.ignored.append(escaped(path))
        else:
            out.files.append(LandedFile(path, kind, day, name_escaped=True))


def _layout_name(kind: str, name: str) -> bool:
    if kind == REGISTRY:
        return name == REGISTRY_FILE
    return name.lower().endswith(".csv") and not name.startswith(".")


def _is_folder(entry: os.DirEntry) -> bool:
    """A real folder: a link to one is not followed."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _listing(folder: str, rel: str, out: LandingScan) -> list[os.DirEntry]:
    """The folder's entries; none if it vanished; none, and noted in ``out.unlisted``, if it cannot be read."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("cannot list %s (%s): its files are left as they were", escaped(rel), exc.strerror)
        out.unlisted.append(rel)
        return []


# --- reading ----------------------------------------------------------------------------------------

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket",
          stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


def open_landed(root: Path, landed: LandedFile) -> BinaryIO:
    """The landed file, open for binary reading, if it is a regular file inside the landing root.

    A link is followed only to a regular file inside the root. Then the file is opened one folder at a
    time from the root, none of them followed if it is a link (``O_NOFOLLOW`` with ``dir_fd``): a file or
    folder replaced by a link after it was checked is refused, not read. Raises :class:`RefusedFile`
    (with the reason) or :class:`VanishedFile`. Every read of a landed file opens it here.
    """
    real_root = os.path.realpath(root)
    rel = landed.os_path()
    full = os.path.join(real_root, rel)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        raise VanishedFile(landed.path) from None
    except OSError as exc:
        raise _refused(landed, exc) from None
    if stat.S_ISLNK(st.st_mode):
        rel, st = _link_target(real_root, full, landed)
    if not stat.S_ISREG(st.st_mode):
        raise RefusedFile(landed.path, f"not a regular file: {_kind(st.st_mode)}")
    fd = _open_beneath(real_root, rel, landed)
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):
        os.close(fd)
        raise RefusedFile(landed.path, f"not a regular file: {_kind(opened.st_mode)}")
    return os.fdopen(fd, "rb")


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a file")


def _link_target(real_root: str, full: str, landed: LandedFile) -> tuple[str, os.stat_result]:
    """The link's target relative to the root, and its status; refused if it is outside or unreachable."""
    try:
        st = os.stat(full)
    except FileNotFoundError:
        raise RefusedFile(landed.path, "a symbolic link to nothing (its target does not exist)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedFile(landed.path, "a symbolic link loop") from None
        raise _refused(landed, exc) from None
    target = os.path.realpath(full)
    if os.path.commonpath([real_root, target]) != real_root or target == real_root:
        raise RefusedFile(landed.path, "a symbolic link leading outside the landing area (not followed)")
    return os.path.relpath(target, real_root), st


def _open_beneath(real_root: str, rel: str, landed: LandedFile) -> int:
    parts = rel.split(os.sep)
    if any(p in ("", os.curdir, os.pardir) for p in parts):
        raise RefusedFile(landed.path, "not a path inside the landing area")
    nofollow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    folder = os.open(real_root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, nofollow | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = inner
        # O_NONBLOCK: a FIFO put in its place since the check must not block the open
        return os.open(parts[-1], nofollow | os.O_NONBLOCK, dir_fd=folder)
    except FileNotFoundError:
        raise VanishedFile(landed.path) from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise RefusedFile(landed.path, "replaced by a symbolic link while being read (not followed)") from None
        raise _refused(landed, exc) from None
    finally:
        os.close(folder)


def _refused(landed: LandedFile, exc: OSError) -> RefusedFile:
    if isinstance(exc, PermissionError):
        return RefusedFile(landed.path, "cannot be read: permission denied")
    return RefusedFile(landed.path, f"cannot be read: {exc.strerror or type(exc).__name__}")


def fingerprint(root: Path, landed: LandedFile) -> LandedFile:
    """The file with its size, sha256 and change times (read in blocks: extracts are hundreds of MB)."""
    return fingerprint_unless_unchanged(root, landed, None)


def fingerprint_unless_unchanged(root: Path, landed: LandedFile, recorded: LandedFile | None) -> LandedFile:
    """The file's fingerprint, reusing ``recorded.sha256`` without reading the file when its size, mtime and
    ctime are still the ones recorded when it was last read (as git does). Otherwise every run would read
    every file it has ever loaded again: a 5.4M-resident extract alone is 330 MB, and the files of past
    nights grow with every night. The ctime catches a corrected file copied in with its old mtime kept
    (``cp -p``, ``rsync -t``, unzip): writing a file sets it, and no tool can set it back."""
    with open_landed(root, landed) as fh:
        st = os.fstat(fh.fileno())  # before reading: a write while reading changes it
        if (recorded is not None and recorded.sha256 and recorded.modified_ns is not None
                and recorded.changed_ns is not None and (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                == (recorded.size, recorded.modified_ns, recorded.changed_ns)):
            sha256, size = recorded.sha256, recorded.size
        else:
            digest = hashlib.sha256()
            size = 0
            while block := fh.read(_BLOCK):
                digest.update(block)
                size += len(block)
            sha256 = digest.hexdigest()
    return LandedFile(landed.path, landed.kind, landed.file_date, size, sha256, st.st_mtime_ns, st.st_ctime_ns,
                      landed.name_escaped)
