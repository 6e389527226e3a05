"""Row validation with Great Expectations (contract §2.2, §2.4).

The suites in ``expectations/*.json`` hold the rules; this module prepares a frame (trims,
normalises the NIK, parses dates) so that each rule is one expectation, runs the suite with
``result_format=COMPLETE``, and turns ``unexpected_index_list`` into each row's reasons.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ektp.core import nik
from ektp.core.settings import EXPECTATIONS_DIR

log = logging.getLogger(__name__)

BATCH_REQUIRED = ("batch_id", "site_code", "site_name", "operator_id", "recorded_at",
                  "nik", "full_name", "birth_date", "sex")
BATCH_COLUMNS = BATCH_REQUIRED + ("kelurahan_code",)
REGISTRY_REQUIRED = ("nik", "full_name", "birth_date", "sex", "kelurahan_code")
CARD_REQUIRED = ("nik", "event", "event_at")  # site_code is optional (contract §6.1)
CARD_COLUMNS = CARD_REQUIRED + ("site_code",)
MALFORMED = "malformed_row"
WIB_OFFSET = pd.Timedelta(hours=7)


@dataclass(frozen=True)
class ExpectationOutcome:
    """What one expectation found, by row position in the validated frame."""

    expectation_type: str
    column: str | None
    outcome: str
    severity: str
    unexpected: np.ndarray


@dataclass(frozen=True)
class SuiteResult:
    reasons: np.ndarray  # (rows, len(reason_order)) bool
    warnings: np.ndarray  # (rows, len(warnings)) bool
    outcomes: list[ExpectationOutcome]
    suite: LoadedSuite
    #: the ExpectationSuiteValidationResult (holds row values: for ektp.ingest.data_docs.scrub only)
    gx_result: object = None

    def rejected(self) -> np.ndarray:
        return self.reasons.any(axis=1)

    def reason_lists(self, mask: np.ndarray) -> list[list[str]]:
        return [list(row) for row in _names(self.reasons[mask], self.suite.reason_order)]

    def warning_strings(self, mask: np.ndarray) -> list[str | None]:
        """Each row's warnings, comma-separated in contract order (None: no warning)."""
        return [",".join(row) or None for row in _names(self.warnings[mask], self.suite.warnings)]


def _names(matrix: np.ndarray, names: list[str]) -> list[tuple[str, ...]]:
    """Each row's names where its matrix entries are set, in the order of ``names`` (the contract's). Rows
    are grouped by their combination first: a night has 250,000 rows but a handful of combinations."""
    if not matrix.size:
        return [()] * matrix.shape[0]
    assert matrix.shape[1] < 63, "one bit per name in an int64"
    combination = matrix.astype(np.int64) @ (np.int64(1) << np.arange(matrix.shape[1], dtype=np.int64))
    found, inverse = np.unique(combination, return_inverse=True)
    labels = [tuple(name for bit, name in enumerate(names) if int(c) >> bit & 1) for c in found]
    return [labels[i] for i in inverse.ravel()]


@dataclass(frozen=True)
class SuitePart:
    """The suite's expectations on one set of columns, as a suite of their own (see ``run_suite``)."""

    columns: list[str]
    suite: object  # great_expectations.ExpectationSuite
    position_of: dict[str, int]  # where each expectation (by _expectation_key) is in the whole suite


@dataclass(frozen=True)
class LoadedSuite:
    name: str
    suite: object  # great_expectations.ExpectationSuite
    reason_order: list[str]
    warnings: list[str]
    parts: list[SuitePart] = field(default_factory=list)


@cache
def _gx_batch_definition():
    # Imported here: Great Expectations is heavy and must not load when the DAG is parsed.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    from ektp.ingest.gx_import import import_great_expectations

    gx = import_great_expectations()  # without SciPy's stats and Altair: a cheaper import per task
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    import ektp.ingest.gx_expectations  # noqa: F401 - registers the custom expectations

    # GX fingerprints every in-memory frame below this size (an md5 over hash_pandas_object, as slow as a
    # suite run) only to label the batch; our results never use that label, so it is switched off.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("landing")
    return source.add_dataframe_asset("rows").add_batch_definition_whole_dataframe("all rows")


@cache
def load_suite(name: str) -> LoadedSuite:
    _gx_batch_definition()
    from great_expectations.core.expectation_suite import ExpectationSuite

    data = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    suite = ExpectationSuite(name=data["name"], expectations=data["expectations"], meta=data["meta"])
    by_columns: dict[tuple[str, ...], list[int]] = {}
    for position, expectation in enumerate(data["expectations"]):
        kwargs = expectation["kwargs"]
        by_columns.setdefault(tuple(kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)),
                              []).append(position)
    keys = [_expectation_key(e.configuration) for e in suite.expectations]
    parts = [SuitePart(list(columns), ExpectationSuite(name=f"{data['name']}.{'.'.join(columns)}",
                                                       expectations=[data["expectations"][i] for i in positions]),
                       {keys[i]: i for i in positions})
             for columns, positions in by_columns.items()]
    return LoadedSuite(name, suite, data["meta"]["reason_order"], data["meta"]["warnings"], parts)


def _expectation_key(config) -> str:
    """An expectation configuration's identity within a suite: its type and arguments."""
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return json.dumps([config.type, kwargs], sort_keys=True, default=str)


def run_suite(suite: LoadedSuite, frame: pd.DataFrame) -> SuiteResult:
    """Validate ``frame`` (index 0..n-1) and map each expectation's unexpected rows to reasons.

    Each part of the suite (its expectations on one set of columns) runs on a frame of those columns
    only: Great Expectations copies its whole frame for every rule's domain, so one run over all the
    columns cost three times as much (2.0 s against 0.6 s for a night of 250,000 rows). The results are
    put back in the suite's order, as one suite result.
    """
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

    frame = frame.reset_index(drop=True)
    items: list = [None] * len(suite.suite.expectations)
    for part in suite.parts:
        batch = _gx_batch_definition().get_batch(batch_parameters={"dataframe": frame[part.columns]})
        # COMPLETE for unexpected_index_list; no "index query" (GX would filter the frame once more per rule)
        validated = batch.validate(part.suite, result_format={"result_format": "COMPLETE",
                                                               "return_unexpected_index_query": False})
        # results do not come in the suite's order: each is put back where its configuration is
        for item in validated.results:
            items[part.position_of[_expectation_key(item.expectation_config)]] = item
    assert all(item is not None for item in items), "every expectation of the suite has one result"
    result = ExpectationSuiteValidationResult(success=all(i.success for i in items), results=items,
                                              suite_name=suite.name)
    reasons = np.zeros((len(frame), len(suite.reason_order)), dtype=bool)
    warnings = np.zeros((len(frame), len(suite.warnings)), dtype=bool)
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {config.type} failed to run: {item.exception_info['exception_message']}")
        meta = config.meta
        positions = np.asarray(item.result.get("unexpected_index_list") or [], dtype=np.int64)
        if meta["severity"] == "reject":
            reasons[positions, suite.reason_order.index(meta["outcome"])] = True
        else:
            warnings[positions, suite.warnings.index(meta["outcome"])] = True
        column = config.kwargs.get("column") or f"{config.kwargs.get('column_A')},{config.kwargs.get('column_B')}"
        outcomes.append(ExpectationOutcome(config.type, column, meta["outcome"], meta["severity"], positions))
    return SuiteResult(reasons, warnings, outcomes, suite, result)


def _trimmed(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _present(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The columns trimmed, empty -> null (the missing_value rule; a column the file lacks is null), and the NIK
    normalised (contract §2.2)."""
    out = pd.DataFrame(index=raw.index)
    for column in columns:
        values = _trimmed(raw[column]) if column in raw else pd.Series(pd.NA, index=raw.index, dtype="string")
        out[column] = values.mask(values == "")
    out["nik"] = nik.normalise(out["nik"]).where(out["nik"].notna())
    return out


def prepare_batch(raw: pd.DataFrame, folder_dates: pd.Series) -> pd.DataFrame:
    """Columns the field-batch suite checks. Empty after trimming -> null (the missing_value rule)."""
    out = _present(raw, BATCH_COLUMNS)
    out["sex"] = out["sex"].str.upper()
    from ektp.ingest.gx_expectations import parse_iso_dates, parse_iso_timestamps

    recorded = parse_iso_timestamps(out["recorded_at"])  # UTC microseconds: every year 0001-9999 fits
    out["recorded_utc"] = recorded
    out["folder_date"] = folder_dates.astype("string").to_numpy()
    recorded_wib = recorded.dt.tz_localize(None) + WIB_OFFSET
    out["recorded_date"] = format_datetimes(recorded_wib, "%Y-%m-%d")
    # birth_date is compared with the recording day; without a usable recorded_at, the folder's date.
    out["recorded_on"] = out["recorded_date"].fillna(out["folder_date"])
    birth = parse_iso_dates(out["birth_date"])
    out["birth_date_iso"] = format_datetimes(birth, "%Y-%m-%d")
    out["birth_ddmmyy"] = format_datetimes(birth, "%d%m%y")
    out["nik_ddmmyy"] = nik.encoded_birth_ddmmyy(out["nik"].fillna(""))
    # nik_sex_mismatch compares the NIK with a usable sex only: "X" is bad_sex, not also a mismatch
    out["nik_sex"] = nik.encoded_sex(out["nik"].fillna("")).where(out["sex"].isin(["L", "P"]).fillna(False))
    folder_day = pd.to_datetime(out["folder_date"], format="%Y-%m-%d").astype("datetime64[us]")
    out["age_on_recording"] = _age_years(birth, recorded_wib.dt.floor("D").fillna(folder_day))
    return out


#: the formats loading uses, written by Arrow casts
_ISO_DAY, _DDMMYY, _UTC_MICROS = "%Y-%m-%d", "%d%m%y", "%Y-%m-%d %H:%M:%S.%f+00:00"


def format_datetimes(values: pd.Series, fmt: str) -> pd.Series:
    """``values.dt.strftime(fmt)`` as a string Series (NaT: NA), without pandas' per-value Python strftime
    (most of the time of preparing a batch). The formats loading uses are Arrow casts to a date or to
    ISO text, in UTC for timestamps with a zone; any other is Arrow's strftime. ``%f`` is microseconds,
    truncated as Python's datetime does (tests/unit/ingest/test_validation_datetimes.py compares every format with
    pandas)."""
    if fmt in (_ISO_DAY, _DDMMYY, _UTC_MICROS):
        naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
        # in the values' own unit: a cast to nanoseconds would wrap silently outside 1677-2262
        stamps = pa.array(naive)
        if fmt == _UTC_MICROS:
            if stamps.type.unit == "ns":  # floored to microseconds, as strftime truncates
                stamps = pc.floor_temporal(stamps, unit="microsecond")
            # Arrow writes "YYYY-MM-DD HH:MM:SS.ffffff"
            text = stamps.cast(pa.timestamp("us")).cast(pa.string())
            text = pc.binary_join_element_wise(text, "+00:00", "")
        else:
            # Arrow's casts, to the day (floored) and to ISO text, are 20x faster than np.datetime_as_string
            text = stamps.cast(pa.date32()).cast(pa.string())
            if fmt == _DDMMYY:
                text = pc.binary_join_element_wise(*(pc.utf8_slice_codeunits(text, a, b)
                                                     for a, b in ((8, 10), (5, 7), (2, 4))), "")
    else:
        arr = pa.array(values)
        if "%f" in fmt:
            if arr.type.unit == "ns":
                arr = pc.floor_temporal(arr, unit="microsecond").cast(pa.timestamp("us", tz=arr.type.tz))
            fmt = fmt.replace("%S.%f", "%S")  # Arrow's %S of a microsecond timestamp is SS.ffffff
        text = pc.strftime(arr, format=fmt)
    text = text.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([text])), index=values.index)


def _age_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from birth to ``on`` (birthday not yet reached that year counts one less); NaN where
    either date is missing. Plain float64 on purpose: Great Expectations compares a numpy numeric column
    with vectorised code, but a nullable ("Float64") one value by value in Python."""
    years = on.dt.year - birth.dt.year
    before_birthday = (on.dt.month * 100 + on.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    return (years - before_birthday.astype("Int64")).astype("float64")


def prepare_cards(raw: pd.DataFrame, folder_dates: pd.Series) -> pd.DataFrame:
    """Columns the card-event suite checks (its description in ``expectations/card_events.json``): trimmed, empty
    -> null (the missing_value rule), the NIK normalised, the event lower-cased, and event_at's WIB date beside
    the folder's; ``event_utc`` holds event_at as UTC microseconds (NaT when it does not parse)."""
    out = _present(raw, CARD_COLUMNS)
    out["event"] = out["event"].str.lower()
    from ektp.ingest.gx_expectations import parse_iso_timestamps

    out["event_utc"] = parse_iso_timestamps(out["event_at"])
    out["event_at_date"] = format_datetimes(out["event_utc"].dt.tz_localize(None) + WIB_OFFSET, "%Y-%m-%d")
    out["folder_date"] = folder_dates.astype("string").to_numpy()
    return out


def prepare_registry(raw: pd.DataFrame) -> pd.DataFrame:
    """Columns the registry suite checks. Empty values stay empty strings: the format rules reject them."""
    out = pd.DataFrame(index=raw.index)
    for column in REGISTRY_REQUIRED:
        out[column] = _trimmed(raw[column])
    out["nik"] = nik.normalise(out["nik"])
    return out


def file_sites(paths: pd.Series, site_codes: pd.Series, site_names: pd.Series) -> dict[str, tuple[str, str | None]]:
    """The site each batch file of a group counts under: its most common non-empty site_code (ties: the
    smallest), and its smallest non-empty site_name. One pass over the group's rows, then a loop over the
    distinct (file, code) and (file, name) pairs only."""
    codes, names = _trimmed(site_codes), _trimmed(site_names)
    best: dict[str, tuple[str, int]] = {}
    has_code = (codes.notna() & (codes != "")).to_numpy(dtype=bool)
    counted = pd.DataFrame({"path": paths[has_code].to_numpy(), "code": codes[has_code].to_numpy()}).value_counts()
    for (path, code), n in counted.items():
        held = best.get(path)
        if held is None or n > held[1] or (n == held[1] and code < held[0]):
            best[path] = (code, int(n))
    smallest: dict[str, str] = {}
    has_name = (names.notna() & (names != "")).to_numpy(dtype=bool)
    pairs = pd.DataFrame({"path": paths[has_name].to_numpy(), "name": names[has_name].to_numpy()}).drop_duplicates()
    for path, name in zip(pairs["path"], pairs["name"], strict=True):
        if path not in smallest or name < smallest[path]:
            smallest[path] = name
    return {path: (best[path][0] if path in best else "", smallest.get(path)) for path in pd.unique(paths)}
