"""What goes wrong in the field, applied to a row's values as its file is written (kinds: ``rates``)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tools.sample_data.rows import Row


def _mutate_nik(nik: str, kind: str, rng: random.Random) -> str:
    if kind == "nik_typo":
        if rng.random() < 0.5:
            pairs = [i for i in range(15) if nik[i] != nik[i + 1]]
            if pairs:
                i = rng.choice(pairs)
                return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2 :]
        i = rng.randrange(16)
        return nik[:i] + rng.choice([d for d in "0123456789" if d != nik[i]]) + nik[i + 1 :]
    if kind == "nik_spreadsheet":
        if rng.random() < 0.7 or nik[-1] == "0":
            return f"{int(nik) / 1e15:.5f}".rstrip("0").rstrip(".") + "E+15"
        return nik[:-1] + "0"  # stored as a number: 15 significant digits
    if kind == "nik_separators":
        return rng.choice(
            (
                f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}",
                f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}.{nik[6:12]}.{nik[12:]}",
                f"{nik[:6]}-{nik[6:12]}-{nik[12:]}",
                f" {nik} ",
                f"{nik[:6]} {nik[6:12]} {nik[12:]}",
            )
        )
    if kind == "nik_length":
        i = rng.randrange(16)
        if rng.random() < 0.5:
            return nik[:i] + nik[i + 1 :]
        return nik[:i] + str(rng.randrange(10)) + nik[i:]
    raise ValueError(kind)


def bad_birth_date(birth: str, rng: random.Random) -> str:
    y, m, d = birth.split("-")
    choice = rng.randrange(4)
    if choice == 0:
        return f"{y}-02-{rng.choice((30, 31))}"
    if choice == 1:
        return f"{y}-{rng.choice(('04', '06', '09', '11'))}-31"
    if choice == 2:
        return f"{y}-{rng.randint(13, 31):02d}-{m}"  # day and month swapped
    return f"{d}/{m}/{y}"  # typed the Indonesian way


class BatchWriter:
    """Formats one file's rows, applying each row's injected error at write time."""

    def __init__(self, rng: random.Random, day: date):
        self.rng = rng
        self.day = day
        self.iso = day.isoformat()

    def recorded_at(self, sec: int, kind: str | None) -> str:
        h, rem = divmod(sec, 3600)
        mi, s = divmod(rem, 60)
        if kind == "recorded_at_utc":
            return f"{self.iso}T{h - 7:02d}:{mi:02d}:{s:02d}+00:00"
        if kind == "recorded_at_no_offset":
            sep = "T" if self.rng.random() < 0.6 else " "
            return f"{self.iso}{sep}{h:02d}:{mi:02d}:{s:02d}"
        if kind == "recorded_at_wrong_day":
            r = self.rng.random()
            other = date(2000, 1, 1) if r < 0.2 else self.day + timedelta(days=-1 if r < 0.7 else 1)
            return f"{other.isoformat()}T{h:02d}:{mi:02d}:{s:02d}+07:00"
        return f"{self.iso}T{h:02d}:{mi:02d}:{s:02d}+07:00"

    def fields(self, head: list[str], row: Row) -> list[str] | str:
        """The 10 fields of a row, or a raw line for a malformed row."""
        rng, kind = self.rng, row.error
        nik, name, birth, sex, kel = row.nik, row.name, row.birth, row.sex, row.kel
        if kind in ("nik_typo", "nik_spreadsheet", "nik_separators", "nik_length"):
            nik = _mutate_nik(nik, kind, rng)
        elif kind == "birth_date_invalid":
            birth = bad_birth_date(birth, rng)
        elif kind == "birth_date_future":
            y, m, d = birth.split("-")
            birth = f"{self.day.year + rng.randint(1, 20)}-{m}-{min(int(d), 28):02d}"
        elif kind == "sex_lowercase":
            sex = sex.lower()
        elif kind == "sex_invalid":
            sex = rng.choice(("X", "X", "M", "F", "W"))
        out = [*head[:4], self.recorded_at(row.sec, kind), nik, name, birth, sex, kel]
        if kind == "missing_value":
            i = rng.choice((5, 5, 5, 6, 6, 7, 7, 8, 8, 4, 3, 0))
            out[i] = rng.choice(("", "", " "))
        elif kind == "malformed_row":
            if rng.random() < 0.5:  # a comma typed inside the name, not quoted by the device
                parts = name.split(" ", 1)
                out[6] = f"{parts[0]}, {parts[1]}" if len(parts) > 1 else f"{name}, -"
            else:  # a truncated line
                out = out[: rng.choice((5, 9))]
            return ",".join(out) + "\n"
        return out


def identity_mismatch(row: Row, rng: random.Random) -> None:
    """The device captured another birth date or sex than SIAK holds (NIK unchanged)."""
    row.labels.append("identity_mismatch")
    if rng.random() < 0.35:
        row.sex = "P" if row.sex == "L" else "L"
        return
    b = date.fromisoformat(row.birth)
    if rng.random() < 0.5 and b.day <= 12 and b.day != b.month:
        row.birth = b.replace(month=b.day, day=b.month).isoformat()  # day and month swapped
    else:
        row.birth = (b + timedelta(days=rng.choice((-366, -1, 1, 2, 365)))).isoformat()
