"""The image ships the runtime only: none of the dev tools (tools/ and its dependency group) or test tools.

No Docker engine here, so the build's two relevant steps are replayed on the checkout: the Dockerfile's
own `uv export` command runs against the real pyproject.toml and uv.lock (what pip would install), and its
COPY instructions are copied into a folder (what code the image holds).
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests.unit.test_compose_file import COMPOSE_FILE, dockerfile_instructions, shell_commands

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_HOME_IN_IMAGE = PurePosixPath("/opt/airflow")
PROJECT = "ektp-coverage"
# Needed only by the generator, the benchmark and the tests: never installed in the image.
NEVER_IN_IMAGE = {"faker", "pytest", "hypothesis", "python-stdnum", "ruff", "playwright"}


def normalise(name: str) -> str:
    """A distribution name as pip and uv compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def uv() -> str:
    found = shutil.which("uv") or ROOT / ".venv-tools" / "bin" / "uv"
    if not Path(found).exists():
        pytest.skip("no uv on the PATH or in .venv-tools/ (`make venv` installs it)")
    return str(found)


def final_stage() -> list[str]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, ins in enumerate(instructions) if ins.startswith("FROM "))
    return instructions[last_from + 1 :]


def group_requirements(group: str) -> set[str]:
    """Distribution names a dependency group of pyproject.toml asks for, its included groups too."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]
    names = set()
    for item in groups[group]:
        if isinstance(item, dict):
            names |= group_requirements(item["include-group"])
        else:
            names.add(normalise(re.match(r"[A-Za-z0-9_.-]+", item)[0]))
    return names


@pytest.fixture(scope="module")
def image_requirements(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The Dockerfile's `uv export`, run on the checkout: package -> the packages it is installed for."""
    exports = [cmd for ins in dockerfile_instructions() if ins.startswith("RUN ")
               for cmd in shell_commands(ins) if len(cmd) > 1 and cmd[0].endswith("uv") and cmd[1] == "export"]
    assert len(exports) == 1, exports
    cmd = [uv(), *exports[0][1:]]
    cmd[cmd.index("--project") + 1] = str(ROOT)  # the build copies pyproject.toml and uv.lock there
    out = tmp_path_factory.mktemp("image") / "requirements.txt"
    cmd[cmd.index("--output-file") + 1] = str(out)
    done = subprocess.run(cmd, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    wanted_by: dict[str, set[str]] = {}
    current = None
    for line in out.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            current = normalise(re.match(r"[A-Za-z0-9_.-]+", line)[0])
            wanted_by[current] = set()
        elif current and (found := re.fullmatch(r"\s+#(?: via|  ) ([A-Za-z0-9_.-]+)", line)):
            wanted_by[current].add(normalise(found[1]))
    return wanted_by


def test_image_requirements_hold_the_runtime_and_no_dev_or_test_tool(image_requirements: dict[str, set[str]]):
    installed = set(image_requirements)
    assert {"apache-airflow", "great-expectations", "pandas", "rapidfuzz", "plotly"} <= installed
    assert not NEVER_IN_IMAGE & installed, sorted(NEVER_IN_IMAGE & installed)
    # tqdm (Great Expectations) and psutil (Airflow) come in as dependencies of the runtime, as may other
    # packages of the groups (pyyaml): the project itself asks for none of them.
    for name in (group_requirements("tools") | group_requirements("dev")) & installed:
        assert PROJECT not in image_requirements[name], f"{name} is a runtime dependency of the project"
    assert group_requirements("tools") >= {"faker", "tqdm", "psutil"}


def test_image_requirements_hold_what_docker_compose_runs(image_requirements: dict[str, set[str]]):
    """The executor, its broker's client and the auth manager that docker-compose.yml names are installed
    from the lock (pinned to the versions the base image ships), not borrowed from the base image."""
    env = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["x-airflow-common"]["environment"]
    needs = set()
    if env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor":
        needs |= {"apache-airflow-providers-celery", "celery"}
    if env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"):
        needs.add("redis")
    if "providers.fab." in env["AIRFLOW__CORE__AUTH_MANAGER"]:
        needs.add("apache-airflow-providers-fab")
    assert {"apache-airflow-providers-celery", "redis", "apache-airflow-providers-fab"} <= needs
    assert needs <= set(image_requirements), sorted(needs - set(image_requirements))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = {normalise(dep.split("==")[0]) for dep in project["dependencies"] if "==" in dep}
    assert {"apache-airflow-providers-celery", "apache-airflow-providers-fab"} <= pinned


def copy_like_the_image(dest: Path) -> set[str]:
    """Replay the final stage's COPY instructions from the checkout into ``dest`` (= /opt/airflow)."""
    copied = set()
    for ins in final_stage():
        words = ins.split()
        if words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        *sources, target = [w for w in words[1:] if not w.startswith("--")]
        target_dir = dest / PurePosixPath(target).relative_to(AIRFLOW_HOME_IN_IMAGE)
        for source in sources:
            assert source.strip("./"), f"COPY {source}: the whole checkout"
            shutil.copytree(ROOT / source, target_dir, dirs_exist_ok=True)
            copied.add(source.strip("/"))
    return copied


def top_level_imports(path: Path) -> set[str]:
    """Every module a file imports, however deep in a function, by its top-level name (relative ones left out)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_image_code_is_the_runtime_and_imports_only_what_the_image_installs(
    tmp_path: Path, image_requirements: dict[str, set[str]]
):
    copied = copy_like_the_image(tmp_path)
    assert {"dags", "plugins"} <= copied
    assert not copied & {"tools", "tests", "scripts"}, copied
    assert not (tmp_path / "tools").exists()

    own = {p.stem if p.is_file() else p.name for d in ("plugins", "dags") for p in (tmp_path / d).iterdir()}
    # the checkout's packages left out of the image (tools/, tests/); cron-descriptor installs a `tools` too
    left_out = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - copied
    assert "tools" in left_out
    distributions = importlib.metadata.packages_distributions()  # module -> distributions, from the venv
    tools = group_requirements("tools")
    tool_modules = {module for module, dists in distributions.items() if {normalise(d) for d in dists} & tools}
    missing, tool_imports = [], []
    for path in sorted(tmp_path.rglob("*.py")):
        for module in top_level_imports(path) - own - set(sys.stdlib_module_names):
            rel = path.relative_to(tmp_path)
            dists = {normalise(d) for d in distributions.get(module, [])}
            if module in left_out:
                missing.append(f"{rel}: {module} (the checkout's {module}/, not copied)")
            elif not dists & set(image_requirements):
                missing.append(f"{rel}: {module} ({', '.join(sorted(dists)) or 'no distribution'})")
            if module in tool_modules:
                tool_imports.append(f"{rel}: {module}")
    assert not missing, "imported, but not installed in the image:\n" + "\n".join(missing)
    assert not tool_imports, "the runtime imports a dev tool's dependency:\n" + "\n".join(tool_imports)
