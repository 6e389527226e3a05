"""Untrusted text shown on one line (ektp.core.safe_text): printable, valid UTF-8, and reversible."""

from __future__ import annotations

import os

from ektp.core.safe_text import escaped, unescaped
from hypothesis import given
from hypothesis import strategies as st

# any text, with the surrogates os.fsdecode makes of bytes that are not UTF-8
TEXT = st.one_of(st.text(), st.binary().map(os.fsdecode),
                 st.lists(st.sampled_from(["a", "\\", "x", "fc", "\n", "\t", "\r", "\u202e", "\u2028", "\x85",
                                           "\udcfc", "\ud800", "\U0001f600", "\u200b", " ", "u00"])).map("".join))


@given(TEXT)
def test_escaped_text_is_one_printable_line_of_utf8(text):
    for reversible in (False, True):
        shown = escaped(text, reversible=reversible)
        assert shown.isprintable()  # no newline, no control, no separator, no surrogate
        shown.encode("utf-8")


@given(TEXT)
def test_reversible_escaping_gives_the_exact_text_back(text):
    assert unescaped(escaped(text, reversible=True)) == text


@given(st.text())
def test_printable_text_is_shown_as_it_is(text):
    if text.isprintable():
        assert escaped(text) == text


def test_escapes():
    assert escaped("a\nINFO forged") == "a\\nINFO forged"
    assert escaped("J\udcfcrgen.csv") == "J\\xfcrgen.csv"  # b"J\xfcrgen.csv" as os.fsdecode gives it
    assert escaped("\u202egnp.csv") == "\\u202egnp.csv"
    assert escaped("a\\b") == "a\\b"
    assert escaped("a\\b", reversible=True) == "a\\\\b"
    assert escaped("Jürgen, Sukarno-Hatta") == "Jürgen, Sukarno-Hatta"
    assert escaped(None) == "None"
