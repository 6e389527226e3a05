"""Keyed pseudonyms for NIKs that must leave the restricted schemas (docs/security.md).

A pseudonym is HMAC-SHA256 over the normalised NIK with a secret key: the same NIK always gives the
same pseudonym under one key (so rows can still be joined and counted once), and without the key
nobody can tell which NIK it stands for. A plain hash would not do: NIKs are structured (region,
birth date, serial), so all plausible NIKs can be hashed and looked up in minutes.

The key comes only from the environment, ``EKTP_PSEUDONYM_KEY`` (``ektp.core.settings``) (at least 32 characters, e.g.
``python -c "import secrets; print(secrets.token_hex(32))"``). There is no default: without a key,
or with a short one, :func:`pseudonymiser` refuses (:class:`PseudonymKeyError`). A random key per
process was rejected on purpose: mapped tasks run in different processes, and pseudonyms that
silently differ between them would break every join made with them. Changing the key changes
every pseudonym; keep it as long as pseudonyms made with it are in use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ektp.core.settings import setting

ENV_KEY = "EKTP_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
#: versioned domain separation: the key could one day serve another purpose without collisions
_DOMAIN = b"ektp:nik:v1:"
_NIK_NOISE = re.compile(r"[\s.\-]+")  # the contract's normalisation (ektp.core.nik.normalise), without pandas


class PseudonymKeyError(RuntimeError):
    """No usable key in the environment; the message says how to set one (and never shows a key)."""


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_LENGTH:
            raise PseudonymKeyError(f"a pseudonym key needs at least {MIN_KEY_LENGTH} bytes")

    def __call__(self, nik: str) -> str:
        """64 hex characters for the NIK as normalised by the contract (§2.2)."""
        normalised = _NIK_NOISE.sub("", nik)
        return hmac.new(self.key, _DOMAIN + normalised.encode("utf-8"), hashlib.sha256).hexdigest()

    def many(self, niks: Iterable[str | None]) -> list[str | None]:
        return [None if n is None else self(n) for n in niks]


def key_from_env() -> bytes:
    raw = setting("pseudonym_key") or ""
    if not raw:
        raise PseudonymKeyError(f"{ENV_KEY} is not set; pseudonyms need a secret key from the environment "
                                "(generate one: python -c \"import secrets; print(secrets.token_hex(32))\")")
    if len(raw) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(f"{ENV_KEY} is too short: at least {MIN_KEY_LENGTH} characters")
    return raw.encode("utf-8")


def pseudonymiser() -> Pseudonymiser:
    """The pseudonymiser with the environment's key (read now, so a changed environment is seen)."""
    return Pseudonymiser(key_from_env())


def pseudonym(nik: str) -> str:
    return pseudonymiser()(nik)
