"""Untrusted text (file names, run ids, values from the environment) made safe to show on one line.

``escaped`` keeps printable characters and writes every other one as a backslash escape, so a file
name with a newline cannot forge a log line, a right-to-left override cannot disguise one, and a
name whose bytes are not UTF-8 becomes valid text:

* ``\\n``, ``\\r``, ``\\t`` for those controls;
* ``\\xNN`` for a byte of a file name that is not UTF-8 (Python decodes it to the surrogate U+DCNN);
* ``\\uXXXX`` / ``\\UXXXXXXXX`` for any other character that is not printable (controls, line and
  paragraph separators, format characters such as U+202E, other lone surrogates).

A backslash is kept as it is in logs (it forges nothing). With ``reversible=True`` it is doubled,
and then ``unescaped`` gives the exact text back: the landing scan names a file whose name is not
UTF-8 that way (``landing.LandedFile``).
"""

from __future__ import annotations

import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LONG = {v[1]: k for k, v in _SHORT.items()}
_ESCAPE = re.compile(r"\\(\\|[nrt]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def _escape(ch: str, reversible: bool) -> str:
    if ch == "\\":
        return "\\\\" if reversible else ch
    if ch.isprintable():
        return ch
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the undecodable byte (code - 0xDC00)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escaped(text: object, *, reversible: bool = False) -> str:
    """``text`` as one line of printable, valid UTF-8 text (see the module doc)."""
    text = str(text)
    if text.isprintable() and not (reversible and "\\" in text):
        return text
    return "".join(_escape(ch, reversible) for ch in text)


def _unescape(match: re.Match) -> str:
    body = match.group(1)
    if body == "\\":
        return "\\"
    if body in _LONG:
        return _LONG[body]
    if body[0] == "x":
        return chr(0xDC00 + int(body[1:], 16))
    return chr(int(body[1:], 16))


def unescaped(text: str) -> str:
    """The text ``escaped(..., reversible=True)`` was given: ``unescaped(escaped(t, reversible=True)) == t``."""
    return _ESCAPE.sub(_unescape, text) if "\\" in text else text
