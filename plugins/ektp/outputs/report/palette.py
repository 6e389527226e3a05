"""The report's colours: Okabe and Ito's palette, told apart by people with any common colour-vision deficiency.

Categories (kecamatan, a bar's parts) take the colours in :data:`CATEGORICAL` order, which puts far-apart
colours next to each other, so neighbouring bars and legend entries never look alike; beyond eight
categories the colours repeat, hatched (:func:`pattern`), so no two categories look the same. The
palette's test measures how far apart neighbours are, as seen with normal vision and with each kind of
colour blindness.
"""

from __future__ import annotations

#: Okabe & Ito (2008), "Color Universal Design", in an order where each colour differs most from the one before
CATEGORICAL = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#000000",  # black
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
]
BLUE, ORANGE, GREEN, BLACK, SKY, VERMILLION = (CATEGORICAL[i] for i in (0, 1, 2, 3, 6, 7))
GREY = "#BBBBBB"  # light enough to differ from every colour above, in every simulation

#: what each outcome of a recording is drawn in, everywhere in the report
MATCHED, OTHER, DUPLICATE, REJECTED = GREEN, ORANGE, GREY, VERMILLION
#: the card funnel's stages, in order (recorded ... activated), and biometric duplicates
FUNNEL = [GREY, SKY, BLUE, ORANGE, BLACK]
BIOMETRIC_DUPLICATE = VERMILLION


def category(i: int) -> str:
    return CATEGORICAL[i % len(CATEGORICAL)]


def pattern(i: int) -> str:
    """Bars of the second round of colours are hatched, the third dotted: two categories never look the same."""
    return ("", "/", ".", "x")[i // len(CATEGORICAL) % 4]
