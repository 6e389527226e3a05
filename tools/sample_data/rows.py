"""One recorded person as a batch row, with the labels of what was injected into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Row:
    sec: int
    nik: str
    name: str
    birth: str
    sex: str
    kel: str
    student: bool
    from_extract: bool  # the person (true NIK) is a resident of an extract in force
    labels: list[str] = field(default_factory=list)
    error: str | None = None


def person_row(p: tuple[str, ...], day: date, from_extract: bool, labels: list[str]) -> Row:
    """The batch row of a person ``(nik, full_name, birth_date, sex, kelurahan_code)``; 20 or younger: a student."""
    birth = p[2]
    student = (day.year - int(birth[:4])) <= 20
    return Row(0, p[0], p[1], birth, p[3], p[4], student, from_extract, labels)
