"""Indonesian full names: pools of Faker (``id_ID``) name parts, combined vectorised for a chunk of people."""

from __future__ import annotations

import numpy as np
from faker import Faker


class Names:
    """Name parts drawn once from a seeded Faker; ``draw`` combines them from uniform random numbers."""

    def __init__(self, seed: int):
        fk = Faker("id_ID")
        fk.seed_instance(seed)

        def pool(make, n: int) -> list[str]:  # unique, in Faker's (deterministic) order, CSV-safe
            return [x for x in dict.fromkeys(make() for _ in range(n)) if not set(x) & set(',"\r\n')]

        first_m, first_f = pool(fk.first_name_male, 3000), pool(fk.first_name_female, 3000)
        last_m, last_f = pool(fk.last_name_male, 2000), pool(fk.last_name_female, 2000)
        # name parts, each index 0 = absent; men and women draw from their own ranges
        self.nfm, self.nff, self.nlm, self.nlf = len(first_m), len(first_f), len(last_m), len(last_f)
        self.honorific = ["", "Muhammad ", "Ahmad ", "Siti ", "Nur "]
        self.first = first_m + first_f
        self.middle = [""] + [" " + x for x in first_m + first_f]
        self.last = [""] + [" " + x for x in last_m + last_f]
        self.suffix = [""] + [", " + x for x in pool(fk.suffix, 300)]  # academic titles: a comma

    def draw(
        self,
        female: np.ndarray,
        student: np.ndarray,
        u_honorific: np.ndarray,
        u_first: np.ndarray,
        u_middle: np.ndarray,
        u_last: np.ndarray,
        u_parts: np.ndarray,
        u_title: np.ndarray,
    ) -> list[str]:
        """Honorific + first + (middle) + (last) + (title for some adults), one per row of the arrays."""
        hon = np.where(
            female,
            np.select([u_honorific < 0.06, u_honorific < 0.10], [3, 4], 0),
            np.select([u_honorific < 0.10, u_honorific < 0.13], [1, 2], 0),
        )
        first = np.where(female, self.nfm + (u_first * self.nff), u_first * self.nfm).astype(np.int64)
        mid = np.where(female, 1 + self.nfm + (u_middle * self.nff), 1 + u_middle * self.nfm).astype(np.int64)
        last = np.where(female, 1 + self.nlm + (u_last * self.nlf), 1 + u_last * self.nlm).astype(np.int64)
        mid = np.where(u_parts < 0.40, mid, 0)
        last = np.where(u_parts < 0.88, last, 0)
        titled = ~student & (u_title < 0.04)
        suf = np.where(titled, 1 + (u_title / 0.04 * (len(self.suffix) - 1)).astype(np.int64), 0)
        suf = np.minimum(suf, len(self.suffix) - 1)
        H, F, M, L, S = self.honorific, self.first, self.middle, self.last, self.suffix
        return [
            f"{H[a]}{F[b]}{M[c]}{L[d]}{S[e]}"
            for a, b, c, d, e in zip(
                hon.tolist(), first.tolist(), mid.tolist(), last.tolist(), suf.tolist(), strict=True
            )
        ]
