"""The report's colours stay apart for every reader: neighbouring categories, seen with normal vision and as
people with protanopia, deuteranopia or tritanopia see them (Machado, Oliveira & Fernandes 2009, severity 1)."""

from __future__ import annotations

import itertools

import pytest
from ektp.outputs.report import palette

#: linear-RGB simulation matrices
SIMULATIONS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
#: CIE76 ΔE: about 2.3 is just noticeable; the two blues the report used to draw kecamatan in were 21 apart
APART = 30.0


def _linear(hex_colour: str) -> tuple[float, ...]:
    def one(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return tuple(one(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = _linear(hex_colour)
    return _lab(tuple(sum(m * c for m, c in zip(row, rgb, strict=True)) for row in SIMULATIONS[vision]))


def distance(a: str, b: str, vision: str = "normal") -> float:
    return sum((p - q) ** 2 for p, q in zip(seen(a, vision), seen(b, vision), strict=True)) ** 0.5


def test_the_measure_tells_the_old_blues_apart_from_distinct_colours():
    assert distance("#2563eb", "#4f46e5") < APART  # the old palette's neighbours that looked alike
    assert distance("#000000", "#ffffff") > 99
    # red and green look alike to a deuteranope: the measure sees it
    assert distance("#dc2626", "#16a34a") > APART > distance("#dc2626", "#16a34a", "deuteranopia")


@pytest.mark.parametrize("vision", list(SIMULATIONS))
def test_neighbouring_categories_differ(vision):
    colours = [palette.category(i) for i in range(len(palette.CATEGORICAL) + 1)]  # with the wrap-around
    for a, b in itertools.pairwise(colours):
        assert distance(a, b, vision) >= APART, (a, b, vision, distance(a, b, vision))


@pytest.mark.parametrize("vision", list(SIMULATIONS))
@pytest.mark.parametrize("group", ["outcomes", "funnel"])
def test_the_parts_of_one_chart_all_differ(vision, group):
    colours = {"outcomes": [palette.MATCHED, palette.OTHER, palette.DUPLICATE, palette.REJECTED],
               "funnel": [*palette.FUNNEL, palette.BIOMETRIC_DUPLICATE]}[group]
    for a, b in itertools.combinations(colours, 2):
        assert distance(a, b, vision) >= 15, (a, b, vision, distance(a, b, vision))


def test_no_two_of_many_categories_look_the_same():
    looks = [(palette.category(i), palette.pattern(i)) for i in range(3 * len(palette.CATEGORICAL))]
    assert len(set(looks)) == len(looks)
