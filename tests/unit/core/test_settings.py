"""Settings: one typed place, read when needed, documented exactly as they behave."""

from __future__ import annotations

import ast
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from ektp.core.settings import PROJECT_ROOT, Settings, about, setting, settings

from tools.settings_doc import BEGIN, END, markdown_table

ROOT = Path(__file__).resolve().parents[3]
#: variables of .env.example that only docker-compose.yml reads (a host folder to mount), not the pipeline
COMPOSE_ONLY = {"EKTP_LANDING_HOST_DIR"}


def _documented(text: str):
    """The value a README default stands for."""
    text = text.strip("`")
    if re.fullmatch(r"\d+", text):
        return int(text)
    if m := re.fullmatch(r"(\d+) MiB", text):
        return int(m[1]) << 20
    if m := re.fullmatch(r"(\d+) \(off\)", text):
        return float(m[1])
    if text.startswith("var"):
        return PROJECT_ROOT / text.split("`")[0].strip()
    if text.startswith("sqlite:///"):
        return None  # the warehouse URL is unset; ektp.warehouse.engine falls back to this file
    if text == "{}":
        return {}
    if text == "on":
        return True
    if text == "off":
        return False
    if text in {"id", "en"} or text.startswith("mailto:"):
        return text
    if text in {"none", "log only"} or text.startswith("none:"):
        return None
    raise AssertionError(f"no reading of the documented default {text!r}")


def test_the_readme_holds_the_table_made_from_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert readme[readme.index(BEGIN) + len(BEGIN):readme.index(END)].strip() == markdown_table()


def test_env_example_lists_exactly_the_settings():
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    listed = {line.partition("=")[0].strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}
    names = {a.env for _, a in about()}
    assert names <= listed, sorted(names - listed)
    ours = {n for n in listed if n.startswith("EKTP_") or n.startswith("AIRFLOW_CONN_EKTP")}
    assert ours - COMPOSE_ONLY == names, sorted((ours - COMPOSE_ONLY) ^ names)


@pytest.mark.parametrize("name,about_it", about(), ids=[a.env for _, a in about()])
def test_each_default_is_the_documented_one(name, about_it):
    value = setting(name, {})
    expected = _documented(about_it.default)
    if name == "accept_extract":
        assert value == frozenset()
    elif isinstance(value, timedelta):
        unit = "seconds" if about_it.env.endswith("_SECONDS") else "minutes"
        assert value == timedelta(**{unit: expected})
    else:
        assert value == expected


def test_paths_follow_the_var_folder_unless_set():
    env = {"EKTP_VAR_DIR": "/srv/ektp", "EKTP_REPORT_DIR": "/reports"}
    cfg = settings(env)
    assert (cfg.var_dir, cfg.landing_dir, cfg.data_docs_dir, cfg.report_dir) == (
        Path("/srv/ektp"), Path("/srv/ektp/landing"), Path("/srv/ektp/data_docs"), Path("/reports"))


def test_an_empty_variable_is_unset():
    assert settings({a.env: "" for _, a in about()}) == settings({})


def test_values_are_parsed_to_their_types():
    cfg = settings({"EKTP_FILES_PER_GROUP": "7", "EKTP_ACCEPT_EXTRACT": " 2026-11-04,2026-11-05 ,",
                    "EKTP_REPORTS": "OFF", "EKTP_DATA_DOCS": "no", "EKTP_TASK_TIMEOUT_MINUTES": "7.5",
                    "EKTP_RETRY_DELAY_MINUTES": "0", "EKTP_ALERT_NOTIFIER_KWARGS": '{"a": 1}'})
    assert cfg.files_per_group == 7
    assert cfg.accept_extract == {date(2026, 11, 4), date(2026, 11, 5)}
    assert not cfg.reports and not cfg.data_docs
    assert cfg.task_timeout == timedelta(minutes=7.5) and cfg.retry_delay == timedelta(0)
    assert cfg.alert_notifier_kwargs == {"a": 1}


@pytest.mark.parametrize("env,variable", [
    ({"EKTP_FILES_PER_GROUP": "many"}, "EKTP_FILES_PER_GROUP"),
    ({"EKTP_ACCEPT_EXTRACT": "2026-11-4"}, "EKTP_ACCEPT_EXTRACT"),
    ({"EKTP_TASK_TIMEOUT_MINUTES": "0"}, "EKTP_TASK_TIMEOUT_MINUTES"),
    ({"EKTP_RUN_TIMEOUT_MINUTES": "-1"}, "EKTP_RUN_TIMEOUT_MINUTES"),
    ({"EKTP_RETRY_DELAY_MINUTES": "-1"}, "EKTP_RETRY_DELAY_MINUTES"),
])
def test_a_mistyped_value_fails_naming_its_variable(env, variable):
    with pytest.raises(ValueError, match=f"^{variable}: "):
        settings(env)


def test_one_setting_is_read_without_the_others():
    """An alert or the DAG's parse must not fail on another setting's mistake."""
    env = {"EKTP_ACCEPT_EXTRACT": "yesterday", "EKTP_ALERT_WEBHOOK_URL": "https://hooks.example/x"}
    assert setting("alert_webhook_url", env) == "https://hooks.example/x"
    with pytest.raises(ValueError):
        settings(env)


def test_a_deadline_that_is_not_a_number_is_off_and_logged(caplog):
    assert setting("run_deadline_minutes", {"EKTP_RUN_DEADLINE_MINUTES": "six hours"}) == 0.0
    assert "EKTP_RUN_DEADLINE_MINUTES" in caplog.text
    assert setting("run_deadline_minutes", {"EKTP_RUN_DEADLINE_MINUTES": "-5"}) == 0.0


def test_read_when_needed_not_at_import(monkeypatch):
    monkeypatch.setenv("EKTP_CHUNK_ROWS", "123")
    assert settings().chunk_rows == 123
    monkeypatch.setenv("EKTP_CHUNK_ROWS", "456")
    assert setting("chunk_rows") == 456


def test_secrets_stay_out_of_the_repr():
    cfg = settings({"EKTP_PSEUDONYM_KEY": "k" * 40, "EKTP_ALERT_WEBHOOK_URL": "https://x/token-123",
                    "AIRFLOW_CONN_EKTP_WAREHOUSE": "postgresql://u:pw-456@h/db"})
    assert "k" * 40 not in repr(cfg) and "token-123" not in repr(cfg) and "pw-456" not in repr(cfg)
    assert isinstance(cfg, Settings)


def _reads_the_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"} \
                and isinstance(node.value, ast.Name) and node.value.id == "os":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                {a.name for a in node.names} & {"environ", "getenv", "environb"}:
            return True
    return False


def test_no_other_runtime_module_reads_the_environment():
    code = sorted((ROOT / "plugins" / "ektp").rglob("*.py")) + sorted((ROOT / "dags").glob("*.py"))
    readers = [str(p.relative_to(ROOT)) for p in code if _reads_the_environment(ast.parse(p.read_text("utf-8")))]
    assert readers == ["plugins/ektp/core/settings.py"]
    assert _reads_the_environment(ast.parse("import os\nx = os.environ.get('A')"))
    assert _reads_the_environment(ast.parse("from os import getenv"))
