"""Synthetic landing area for the e-KTP outreach pipeline (CONTRACT.md §1).

Writes what SIAK and the field devices would deliver, so the pipeline can be
developed, demonstrated and load-tested without personal data:

* ``<landing>/registry/<start_date - 1>/unrecorded_residents.csv``: the SIAK
  extract, streamed row by row (5.4 million rows at national scale), and with
  ``second_extract`` a second one dated ``start_date + days // 2``: the first
  minus every extract resident recorded before that date (whatever happened
  to the batch row: the capture itself took place) plus about 1 % new
  residents, some of whom are then recorded.
* ``<landing>/batches/<date>/<site>_<device>[_u<n>].csv``: one file per upload
  of one device at one outreach site (senior high schools and RW halls;
  students are routed to schools, adults to RW halls, preferably in their own
  kecamatan, or kab/kota at national scope).

Population mix (not errors, not scaled by ``error_rate``): about 6 % of the
recorded persons are not in the extract (``not_in_extract``), 1.5 % carry a
birth date or sex differing from the extract (``identity_mismatch``), 2 %
have an empty kelurahan_code (optional column).  About 5 % of NIKs were issued
in another region (a kecamatan from the prefix history, one in ten of them
from a code that only exists in old lists, e.g. ``92.01.04``).

Injected batch errors, default share of batch rows (they sum to
``DEFAULT_ERROR_RATE`` = 4 %; ``error_rate`` scales all of them, and the two
file-level kinds, proportionally; ``Rates`` / ``--rate KIND=RATE`` sets one).
Each day gets ``rate x rows`` of a kind (stochastically rounded), on distinct
rows.  Kinds marked *valid* must be accepted by the pipeline after
normalisation:

=========================  =======  =========================================
kind                       default  what
=========================  =======  =========================================
nik_typo                   0.5 %    one digit changed or two adjacent swapped
nik_spreadsheet            0.3 %    ``3.17401E+15``, or 16th digit zeroed
nik_separators (valid)     0.6 %    ``3174 0155 ...``, dots, dashes, padding
nik_length                 0.2 %    a digit dropped or added
birth_date_invalid         0.2 %    ``2008-02-30``, ``2008-13-05``, ``05/09/2008``
birth_date_future          0.1 %    birth date after the recording date
missing_value              0.3 %    a required field empty or blank
sex_lowercase (valid)      0.5 %    ``l`` / ``p``
sex_invalid                0.1 %    ``X``, ``M``, ``F``, ``W``
recorded_at_utc (valid)    0.2 %    same instant written with ``+00:00``
recorded_at_no_offset      0.1 %    ``2026-11-02T09:15:00`` (no UTC offset)
recorded_at_wrong_day      0.1 %    device clock on another day
malformed_row              0.1 %    an unquoted comma in the name, or a truncated line
duplicate_in_batch         0.4 %    the same person again later in the same file
recorded_again_later       0.3 %    a person recorded on an earlier day, again
duplicate_delivery         1 %      of files: identical bytes under a second
                                    name (``_resend``) and/or a later date folder
missing_column             0.5 %    of files: a required column (``sex`` first) absent
=========================  =======  =========================================

Every kind with a non-zero rate occurs at least once per run (on its first
eligible day) and, apart from ``missing_column`` itself, in a loadable file,
so a small run always exercises every rule.  Registry extract errors
(``Rates.extract_errors``, a share of extract rows: duplicate NIK - both rows
then rejected -, bad kelurahan code, bad sex, impossible birth date; at least
one of each) are OFF by default: extract NIKs are then unique and every
extract row is valid.  They never hit a resident picked for recording.

With ``card_events`` (``--card-events``; ``make sample`` uses it) the landing area also holds the card
lifecycle of contract §6: an earlier outreach wave three weeks before ``start_date`` (same number of days,
clean files, residents recorded before the extract was taken, so not in it; it opens at SMA Labschool
Kebayoran), and ``<landing>/cards/<date>/*.csv`` up to the last sample day: deduplication, printing (with a
blank-card shortage that leaves a backlog), hand-over at the site's next visit and IKD activation, plus every
card-event rejection reason (labels ``card_<reason>``) and the linking cases (``card_tie``,
``card_override_to_prr``, ``card_override_to_duplicate``, ``card_before_recording``, ``card_no_recording``,
``card_mistyped_recording``); see ``card_events``. The other files are the same bytes with or without it.
With ``card_night=N`` (``--card-night N``, one day only: the benchmark's night) the day instead holds exactly N
card events for people recorded on the 30 days before it, whose batch and card files (the history, dated before
the extract) are written too; see ``card_night``.

Optionally (``labels_path``, ``--labels``) an answer key is written outside
the landing area: ``file,row,label``, row = 1-based data row (header not
counted; empty for a file-level label).  Labels: the kinds above,
``not_in_extract``, ``identity_mismatch``, ``new_in_second_extract``,
``missing_column:<column>``, ``duplicate_delivery`` (on the copy, whose path
sorts after the original's) and ``extract_<kind>``.

Deterministic: the same arguments give byte-identical files (numpy and
``random`` streams seeded from SHA-256 of seed and stream name, no clock, no
set iteration).  Without extract errors the extract does not depend on the
batch arguments.

Run it as ``python -m tools.sample_data --landing var/landing`` (``make sample`` does), with the
checkout root and ``plugins/`` on PYTHONPATH; ``--help`` lists the options.  The parts, in the order
``generate`` uses them: ``regions`` (Kemendagri codes), ``names`` and ``people`` (residents and their
NIKs), ``extracts`` (the SIAK extracts), ``sites`` (schools and RW halls), ``rows`` and ``batches``
(a day's recordings in upload files), ``rates`` and ``injected_errors`` (what goes wrong, how often),
``earlier_wave``, ``card_events`` and ``card_night`` (the card lifecycle), ``landing_area`` (``generate``: all
of it, day by day) and ``cli``.
"""

from tools.sample_data.batches import BATCH_COLUMNS, BATCH_REQUIRED
from tools.sample_data.card_events import CARD_COLUMNS
from tools.sample_data.cli import main
from tools.sample_data.extracts import REGISTRY_COLUMNS, REGISTRY_FILE
from tools.sample_data.landing_area import SCOPES, GenerationSummary, generate
from tools.sample_data.rates import (
    DEFAULT_ERROR_RATE,
    EXTRACT_ERRORS,
    FILE_ERRORS,
    ROW_ERRORS,
    VALID_QUIRKS,
    Rates,
)
from tools.sample_data.regions import REFERENCE_DIR

__all__ = [
    "BATCH_COLUMNS",
    "BATCH_REQUIRED",
    "CARD_COLUMNS",
    "DEFAULT_ERROR_RATE",
    "EXTRACT_ERRORS",
    "FILE_ERRORS",
    "REFERENCE_DIR",
    "REGISTRY_COLUMNS",
    "REGISTRY_FILE",
    "ROW_ERRORS",
    "SCOPES",
    "VALID_QUIRKS",
    "GenerationSummary",
    "Rates",
    "generate",
    "main",
]
