"""Keyed NIK pseudonyms (ektp.core.pseudonym): stable per key, unlinkable without it, no default key."""

from __future__ import annotations

import hashlib
import re

import pytest
from ektp.core.pseudonym import ENV_KEY, Pseudonymiser, PseudonymKeyError, pseudonym, pseudonymiser

KEY_A = "a" * 64
KEY_B = "b" * 64
NIK = "3174022308900001"


def test_stable_for_one_key(monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY_A)
    first = pseudonym(NIK)
    assert first == pseudonym(NIK) == pseudonymiser()(NIK) == Pseudonymiser(KEY_A.encode())(NIK)
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_different_across_keys_and_niks():
    a, b = Pseudonymiser(KEY_A.encode()), Pseudonymiser(KEY_B.encode())
    assert a(NIK) != b(NIK)
    assert a(NIK) != a("3174022308900002")
    assert len({a(f"31740223089{i:05d}") for i in range(1000)}) == 1000


def test_not_a_plain_hash_and_no_digits_of_the_nik():
    p = Pseudonymiser(KEY_A.encode())(NIK)
    for digest in (hashlib.sha256(NIK.encode()).hexdigest(), hashlib.sha256(b"ektp:nik:v1:" + NIK.encode()).hexdigest(),
                   hashlib.md5(NIK.encode()).hexdigest()):
        assert p != digest
    assert NIK not in p


def test_same_pseudonym_for_the_same_normalised_nik():
    p = Pseudonymiser(KEY_A.encode())
    assert p(" 3174 0223-0890.0001 ") == p("3174\t022308900001") == p(NIK)
    assert p.many([NIK, None]) == [p(NIK), None]


def test_refuses_without_a_key(monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    with pytest.raises(PseudonymKeyError, match=ENV_KEY):
        pseudonym(NIK)
    monkeypatch.setenv(ENV_KEY, "   ")
    with pytest.raises(PseudonymKeyError, match="not set"):
        pseudonymiser()


def test_refuses_a_short_key(monkeypatch):
    monkeypatch.setenv(ENV_KEY, "short-secret")
    with pytest.raises(PseudonymKeyError, match="too short") as err:
        pseudonymiser()
    assert "short-secret" not in str(err.value)
    with pytest.raises(PseudonymKeyError):
        Pseudonymiser(b"x" * 31)


def test_the_key_is_never_shown():
    p = Pseudonymiser(KEY_A.encode())
    assert KEY_A not in repr(p) and KEY_A not in str(p)


def test_key_read_when_used(monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY_A)
    a = pseudonym(NIK)
    monkeypatch.setenv(ENV_KEY, KEY_B)
    assert pseudonym(NIK) != a
