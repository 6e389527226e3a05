"""Materialise the bad-input corpus (``cases.json``) as landing areas.

Each case is a small landing-area fragment, written byte for byte from its specification, with
the outcome the pipeline must produce. A file specification (all keys but ``path`` optional):

* ``path``: relative to the landing root (``../outside/...`` for files outside it);
* ``lines`` (joined by ``eol``, default ``"\\n"``, with a final ``eol`` unless ``final_eol`` is
  false) or ``text``; ``@NAME@`` macros from the manifest's ``macros`` are expanded first;
* ``encoding`` (default ``utf-8``); ``tail_hex``: raw bytes appended after encoding;
* ``repeat``: ``{"marker": "@BIG@", "unit": "A", "times": 1048576}`` replaces the marker;
* ``symlink_to``: make ``path`` a symbolic link to that path (relative to the landing root);
* ``fifo``: true makes ``path`` a named pipe;
* ``raw_path_hex``: the path's bytes (for names that are not UTF-8); ``path`` is then the text the
  manifest is expected to hold for it.

Run ``python -m tests.corpus.build OUT_DIR`` to write every case under ``OUT_DIR/<case id>/``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
MANIFEST = CORPUS / "cases.json"


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def load_cases() -> list[dict]:
    return load_manifest()["cases"]


def expand(text: str, macros: dict[str, str]) -> str:
    for _ in range(3):  # macros may use macros
        for name, value in macros.items():
            text = text.replace(f"@{name}@", value)
    return text


def file_bytes(spec: dict, macros: dict[str, str]) -> bytes:
    if "lines" in spec:
        eol = spec.get("eol", "\n")
        text = eol.join(spec["lines"]) + (eol if spec.get("final_eol", True) else "")
    else:
        text = spec.get("text", "")
    if "repeat" in spec:
        rep = spec["repeat"]
        text = text.replace(rep["marker"], rep["unit"] * rep["times"])
    text = expand(text, macros)
    data = text.encode(spec.get("encoding", "utf-8"))
    return data + bytes.fromhex(spec.get("tail_hex", ""))


def materialise(case: dict, root: Path, macros: dict[str, str] | None = None) -> Path:
    """Write the case under ``root``; returns the landing root (``root/landing``)."""
    macros = load_manifest()["macros"] if macros is None else macros
    landing = root / "landing"
    (landing / "batches").mkdir(parents=True, exist_ok=True)
    (landing / "registry").mkdir(parents=True, exist_ok=True)
    for spec in case["files"]:
        target = landing / spec["path"]
        if not target.resolve().is_relative_to(root.resolve()):
            raise ValueError(f"case {case['id']}: {spec['path']} leaves the case folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        if "raw_path_hex" in spec:
            target = Path(os.fsdecode(os.fsencode(landing) + b"/" + bytes.fromhex(spec["raw_path_hex"])))
        if "symlink_to" in spec:
            os.symlink((landing / spec["symlink_to"]).resolve(), target)
        elif spec.get("fifo"):
            os.mkfifo(target)
        else:
            target.write_bytes(file_bytes(spec, macros))
    return landing


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tests.corpus.build OUT_DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    for case in load_cases():
        materialise(case, out / case["id"])
    print(f"{len(load_cases())} cases written under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
