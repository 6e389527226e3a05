"""Great Expectations Data Docs of the row validations, with no personal data in them.

The warehouse keeps every validation's counts (``ektp_ingest.validation_result``); this module also
renders them as GE Data Docs into ``setting("data_docs_dir")`` (env ``EKTP_DATA_DOCS_DIR``, default
``var/data_docs``) for people to browse: ``index.html`` there lists the latest validations.

No NIK, name or birth date may reach the docs. A GE result with ``result_format=COMPLETE`` (which the
loader needs, to map failures to rows) lists the failing values themselves (``partial_unexpected_list``,
``unexpected_list``, ...). Before anything is stored or rendered, every expectation result is cut down
to an allow-list of counts and shares (:data:`RESULT_KEYS`), so whatever a later GE version adds stays out.

Cost: nothing is validated twice. The result the loader already has is scrubbed at once (a large
extract's chunks add up to one result per file), stored as JSON under ``<docs>/.results`` (the store the
index is built from, so earlier runs and other worker processes stay listed), and the site is built
once per task: the new validation pages, the two suite pages and the index. ``EKTP_DATA_DOCS=off``
skips all of it (benchmarks). A failure to build the docs is logged and never fails a load: the
warehouse holds the same facts.

Offline: GE's pages load Bootstrap, Font Awesome, jQuery, bootstrap-table, Vega and GE's logo from CDNs,
so on a machine without internet they render unstyled. After each build, :func:`make_offline` removes every
remote stylesheet and every script from the pages, inlines the project's stylesheet
(``data_docs_assets/data_docs.css``, the part of Bootstrap the pages use) and points the logo at the copy GE
puts in the site's ``static/`` folder. The pages are static then: nothing is fetched from anywhere.

Status: GE's "Failed ≈43.48%" is the share of rules that flagged any row, which reads as if 57 % of the rows
were bad on a night with 11 of 600 rejected. Each validation page says instead how many rows were rejected,
in words from the catalogue ("11 dari 600 baris ditolak"), from the counts the loader passes with each result.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from ektp.core.texts import N_, Texts
from ektp.ingest.gx_import import import_great_expectations

log = logging.getLogger(__name__)

SITE_NAME = "ektp_validations"
SUITES = ("field_batch", "registry_extract")
RESULTS_DIR = ".results"
#: validation results kept for the docs, newest first (older ones leave the store and the site; the warehouse
#: keeps them all). The index reads every kept result at each build, so this bounds the cost of a build.
KEEP_RESULTS = 30
#: the only keys of an expectation's ``result`` that reach the docs: counts and shares, never values
RESULT_KEYS = (
    "element_count", "missing_count", "missing_percent", "unexpected_count", "unexpected_percent",
    "unexpected_percent_total", "unexpected_percent_nonmissing",
)
_COUNT_KEYS = ("element_count", "missing_count", "unexpected_count")
ASSETS_DIR = Path(__file__).resolve().with_name("data_docs_assets")
#: marks a page already made offline (older pages are not rendered again by GE, the index is at every build)
_OFFLINE_MARK = '<style id="ektp-offline">'
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)
_REMOTE_LOGO = re.compile(r"(<img\b[^>]*\bsrc=\")(?:https?:)?//[^\"]*?(logo-long\.png)[^\"]*(\")", re.IGNORECASE)
_REMOTE_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", re.IGNORECASE)
_REMOTE_SRC = re.compile(r"(<img\b[^>]*\bsrc=\")(?:https?:)?//[^\"]*(\")", re.IGNORECASE)
_STATUS = re.compile(r'(<span class="h6" >Status:</span>)\s*<i [^>]*></i>\s*(?:Failed|Succeeded)')
_DATA_ASSET = re.compile(r"Data asset: ([A-Za-z0-9_.-]+)")
_SUCCESS_PERCENT = re.compile(r"<tr>\s*<td[^>]*><div[^>]*>Success Percent</div></td>.*?</tr>", re.DOTALL)
_TABLE_SCRIPT = re.compile(r"\$\('#([\w-]+)'\)\.bootstrapTable\(")
_TABLE_DATA = re.compile(r"^\s*data: (\[.*\]),?\s*$", re.MULTILINE)
ROWS_REJECTED = N_("{rejected} of {rows} rows rejected")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def enabled() -> bool:
    """``EKTP_DATA_DOCS=off`` (or 0/false/no) turns the docs off; they are on by default."""
    from ektp.core.settings import setting

    return setting("data_docs")


def scrub(result) -> dict:
    """A GE suite validation result as a JSON dict that holds counts only (no row values).

    Read attribute by attribute: serialising the whole result first would copy every failing value
    (hundreds of thousands in a national extract) only to drop them.
    """
    items = []
    for item in result.results:
        config = item.expectation_config
        exception = item.exception_info or {}
        items.append({
            "success": bool(item.success),
            "expectation_config": {
                "type": config.type,
                "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                "meta": dict(config.meta or {}),
            },
            "result": {k: _plain(item.result[k]) for k in RESULT_KEYS if k in (item.result or {})},
            # an exception's message or traceback could quote a value: only the fact is kept
            "exception_info": {"raised_exception": bool(exception.get("raised_exception")),
                               "exception_message": None, "exception_traceback": None},
        })
    return {"suite_name": result.suite_name, "success": all(i["success"] for i in items), "results": items,
            "rows": 0, "rejected": 0}


def _plain(value):
    """Counts as ints, shares rounded: no long runs of digits (``0.1669449081803005``) that look like a NIK."""
    if isinstance(value, bool) or value is None:
        return value
    return round(float(value), 6) if isinstance(value, float) else int(value)


def merge(first: dict, second: dict) -> dict:
    """Two scrubbed results of one suite (chunks of one file) as one: counts added, shares recomputed."""
    results = []
    for a, b in zip(first["results"], second["results"], strict=True):
        counts = {k: int(a["result"].get(k, 0)) + int(b["result"].get(k, 0)) for k in _COUNT_KEYS}
        n, missing, bad = counts["element_count"], counts["missing_count"], counts["unexpected_count"]
        shares = {"missing_percent": 100 * missing / n, "unexpected_percent": 100 * bad / (n - missing or 1),
                  "unexpected_percent_total": 100 * bad / n,
                  "unexpected_percent_nonmissing": 100 * bad / (n - missing or 1)} if n else {}
        shares = {k: _plain(v) for k, v in shares.items()}
        results.append(a | {"success": a["success"] and b["success"], "result": counts | shares})
    return {"suite_name": first["suite_name"], "success": all(r["success"] for r in results), "results": results,
            "rows": first.get("rows", 0) + second.get("rows", 0),
            "rejected": first.get("rejected", 0) + second.get("rejected", 0)}


def batch_label(kind: str, paths: list[str], first_date: str, last_date: str) -> str:
    """A file-name-safe name for a validated group of files: kind, dates, count and a hash of the paths.

    File names are not shown: a name is free text from a device and could hold anything.
    """
    digest = hashlib.sha256("\n".join(sorted(paths)).encode()).hexdigest()[:10]
    span = first_date if first_date == last_date else f"{first_date}_{last_date}"
    return _UNSAFE_ID.sub("_", f"{kind}_{span}_{len(paths)}files_{digest}")


@dataclass
class PendingDocs:
    """The validations of one task, scrubbed as they come and built into the site once at the end."""

    run_id: str
    on: bool = field(default_factory=enabled)
    entries: dict[str, dict] = field(default_factory=dict)  # batch label -> scrubbed result

    def add(self, label: str, result, rows: int = 0, rejected: int = 0) -> None:
        """``rows``: the rows of the validated part (malformed ones included), ``rejected``: those rejected."""
        if not self.on or result is None:
            return
        try:
            data = scrub(result) | {"rows": rows, "rejected": rejected}
            self.entries[label] = merge(self.entries[label], data) if label in self.entries else data
        except Exception:  # noqa: BLE001 - as in build(): the docs never fail a load
            log.exception("Data Docs skipped for this task: a validation result could not be read")
            self.on = False

    def build(self, docs_dir: Path | None = None) -> Path | None:
        if not self.on or not self.entries:
            return None
        if docs_dir is None:
            from ektp.core.settings import setting

            docs_dir = setting("data_docs_dir")
        try:
            return build(Path(docs_dir), self.run_id, list(self.entries.items()))
        except Exception:  # noqa: BLE001 - the docs are a view of facts the warehouse already holds
            log.exception("Data Docs not built (the validation counts are in ektp_ingest.validation_result)")
            return None


def build(docs_dir: Path, run_id: str, entries: list[tuple[str, dict]]) -> Path:
    """Store scrubbed results and render their pages, the suite pages and the index; returns ``index.html``."""
    import_great_expectations()
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    docs_dir.mkdir(parents=True, exist_ok=True)
    run = RunIdentifier(run_name=_UNSAFE_ID.sub("_", run_id), run_time=datetime.now(UTC))
    with _locked(docs_dir):
        context = _context(str(docs_dir.resolve()))
        store = context.validation_results_store
        keys = []
        for label, data in entries:
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=data["suite_name"]),
                run_id=run, batch_identifier=label,
            )
            results = [ExpectationValidationResult(
                success=i["success"], result=i["result"], exception_info=i["exception_info"],
                expectation_config=ExpectationConfiguration(**i["expectation_config"]),
            ) for i in data["results"]]
            passed = sum(1 for r in results if r.success)
            store.set(key, ExpectationSuiteValidationResult(
                success=data["success"], results=results, suite_name=data["suite_name"],
                statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                            "unsuccessful_expectations": len(results) - passed,
                            "success_percent": 100 * passed / len(results) if results else None},
                meta={"run_id": run, "validation_time": run.run_time.isoformat(),
                      "batch_kwargs": {"data_asset_name": label},
                      "active_batch_definition": {"datasource_name": "landing", "data_connector_name": "fluent",
                                                  "data_asset_name": label, "batch_identifiers": {}}},
            ))
            keys.append(key)
        _prune(store)
        suites = [ExpectationSuiteIdentifier(name=name) for name in SUITES]
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=[*suites, *keys])
        make_offline(docs_dir, {label: (data["rows"], data["rejected"]) for label, data in entries}, _texts())
    return docs_dir / "index.html"


def _texts() -> Texts:
    from ektp.core.settings import setting
    from ektp.core.texts import texts

    return texts(setting("language"))


def make_offline(docs_dir: Path, counts: dict[str, tuple[int, int]], texts: Texts) -> None:
    """Every page not made offline yet: no remote stylesheet, no script, the project's styles inlined, the logo
    from the site's own ``static/images``, and a validation page's status in rows (``counts``: label -> (rows,
    rejected rows))."""
    style = (ASSETS_DIR / "data_docs.css").read_text(encoding="utf-8")
    for sheet in (docs_dir / "static").rglob("*.css"):  # GE copies its own stylesheets there at every build
        sheet.write_text(_REMOTE_URL.sub("none", sheet.read_text(encoding="utf-8")), encoding="utf-8")
    for page in docs_dir.rglob("*.html"):
        if page.relative_to(docs_dir).parts[0].startswith("."):
            continue
        html = page.read_text(encoding="utf-8")
        if _OFFLINE_MARK in html:
            continue
        static = "../" * (len(page.relative_to(docs_dir).parts) - 1) + "static/images/"
        html = _REMOTE_LINK.sub("", html)
        html = _static_tables(html)  # the index's tables are filled by scripts: rendered here instead
        html = _SCRIPT.sub("", html)
        html = _REMOTE_LOGO.sub(lambda m, static=static: f"{m.group(1)}{static}{m.group(2)}{m.group(3)}", html)
        html = _REMOTE_SRC.sub(lambda m: f"{m.group(1)}{m.group(2)}", html)  # any other remote image: none
        html = _REMOTE_URL.sub("none", html)  # a background image in the pages' own styles
        asset = _DATA_ASSET.search(html)
        if asset and asset.group(1) in counts:
            rows, rejected = counts[asset.group(1)]
            line = texts(ROWS_REJECTED, rejected=texts.number(rejected), rows=texts.number(rows))
            html = _STATUS.sub(lambda m, line=line: f'{m.group(1)} <span class="ektp-status">{_escape(line)}</span>',
                               html)
            html = _SUCCESS_PERCENT.sub("", html)
        html = html.replace("</head>", f"{_OFFLINE_MARK}\n{style}</style>\n</head>", 1)
        page.write_text(html, encoding="utf-8")


def _static_tables(html: str) -> str:
    """The index page's tables as HTML rows: GE leaves them empty and fills them from data in a script
    (bootstrap-table), which no longer runs. The data is GE's own (a Python literal), its cells GE's HTML."""
    import ast

    for found in _TABLE_SCRIPT.finditer(html):
        table_id = found.group(1)
        data = _TABLE_DATA.search(html, found.end())
        if not data:
            continue
        rows = ast.literal_eval(data.group(1))
        if rows and "run_time" in rows[0]:
            head = "<tr><th>Status</th><th>Run time</th><th>Run name</th><th>Asset</th><th>Suite</th></tr>"
            body = "".join(
                f'<tr><td>{r.get("validation_success", "")}</td>'
                f'<td><a href="{_escape(r.get("_table_row_link_path", ""))}">{_escape(r.get("run_time", ""))}</a></td>'
                f'<td>{_escape(r.get("run_name", ""))}</td><td>{_escape(r.get("asset_name", ""))}</td>'
                f'<td>{r.get("expectation_suite_name", "")}</td></tr>' for r in rows)
        else:
            head = "<tr><th>Expectation suite</th></tr>"
            body = "".join(f'<tr><td><a href="{_escape(r.get("_table_row_link_path", ""))}">'
                           f'{_escape(r.get("expectation_suite_name", ""))}</a></td></tr>' for r in rows)
        html = re.sub(rf'(<table\s+id="{re.escape(table_id)}"\s+class=")([^"]*"[^>]*>)\s*(</table>)',
                      lambda m, head=head, body=body: f"{m.group(1)}table {m.group(2)}<thead>{head}</thead>"
                                                      f"<tbody>{body}</tbody>{m.group(3)}", html, count=1)
    return html


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def _prune(store) -> None:
    keys = sorted(store.list_keys(), key=lambda k: k.run_id.run_time, reverse=True)
    for key in keys[KEEP_RESULTS:]:
        store.remove_key(key)  # its page leaves the site at the next index build


@contextmanager
def _locked(docs_dir: Path):
    """The load tasks of one run work in parallel: one writer of the site at a time."""
    with (docs_dir / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@cache
def _context(docs_dir: str):
    """An in-memory GE context whose results store and docs site are folders of ``docs_dir``."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import_great_expectations()
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.data_context.data_context.context_factory import project_manager
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults
    from great_expectations.exceptions import DataContextRequiredError

    import ektp.ingest.gx_expectations  # noqa: F401 - the suites name the custom expectations
    from ektp.core.settings import EXPECTATIONS_DIR

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(Path(docs_dir) / RESULTS_DIR)},
    }
    view = {"module_name": __name__}
    config = DataContextConfig(
        store_backend_defaults=defaults, stores=stores, analytics_enabled=False,
        data_docs_sites={SITE_NAME: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": KEEP_RESULTS,
                                   "view": view | {"class_name": "IndexPageView"}},
            "site_section_builders": {"expectations": {"view": view | {"class_name": "PageView"}},
                                      "validations": {"view": view | {"class_name": "PageView"}},
                                      "profiling": "None"},
        }},
    )
    # Not gx.get_context(): that makes the new context GE's global "current project", which the
    # validation context (ektp.ingest.validation) is. This one becomes it only when there is none yet.
    context = EphemeralDataContext(project_config=config)
    try:
        project_manager.get_current_project()
    except DataContextRequiredError:
        project_manager.set_project(context)
    for name in SUITES:
        data = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        context.suites.add(ExpectationSuite(name=data["name"], expectations=data["expectations"], meta=data["meta"]))
    return context


# GE makes a new Jinja environment for every page it renders and so compiles its templates again each
# time (most of a build's time). The views below share compiled templates within the process. They
# are made on first use (module ``__getattr__``, which GE's class loader goes through), so importing
# this module does not import Great Expectations.

@cache
def _views() -> dict[str, type]:
    from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
    from jinja2 import BytecodeCache

    class CompiledTemplates(BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    compiled = CompiledTemplates()

    class PageView(DefaultJinjaPageView):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.env.bytecode_cache = compiled

    class IndexPageView(DefaultJinjaIndexPageView):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.env.bytecode_cache = compiled

    return {"PageView": PageView, "IndexPageView": IndexPageView}


def __getattr__(name: str):
    if name in ("PageView", "IndexPageView"):
        return _views()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
