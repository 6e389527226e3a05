"""Static checks of the deployment files: docker-compose.yml, .env.example and the Dockerfile.

These machines have no Docker engine, so nothing here starts a container. `docker compose config` runs
only where a compose tool exists; everything else is read with PyYAML and plain text parsing.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from itertools import dropwhile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}
REQUIRED_SERVICES = AIRFLOW_SERVICES | {"postgres", "warehouse-db", "redis"}
ONE_SHOT_SERVICES = {"airflow-init", "airflow-cli"}
PIPELINE_VARIABLES = {
    "EKTP_LANDING_DIR",
    "AIRFLOW_CONN_EKTP_WAREHOUSE",
    "EKTP_PSEUDONYM_KEY",
    "EKTP_REPORT_DIR",
    "EKTP_DATA_DOCS_DIR",
    "EKTP_ACCEPT_EXTRACT",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET_KEY|PSEUDONYM_KEY")
# ${NAME}, ${NAME:-default}, ${NAME:?error} and $NAME, but not the $$ escape compose leaves to the shell.
COMPOSE_VARIABLE = re.compile(r"(?<!\$)(?:\$\$)*\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


@pytest.fixture(scope="module")
def compose_text() -> str:
    """The compose file without its comment lines, which compose does not interpolate."""
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def env_example_entries() -> list[tuple[str, str, str | None]]:
    """(name, value, comment line just above it) for every assignment in .env.example."""
    entries = []
    previous = None
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {raw!r}"
            entries.append((name.strip(), value.strip(), previous))
        previous = line if line.startswith("#") else None
    return entries


def compose_variables(text: str) -> set[str]:
    return {braced or bare for braced, bare in COMPOSE_VARIABLE.findall(text)}


def dockerfile_instructions() -> list[str]:
    """Instructions with comments dropped and backslash continuations joined."""
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.lstrip().startswith("#")]
    return [ins.strip() for ins in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if ins.strip()]


def dockerfile_args() -> dict[str, str]:
    args = {}
    for ins in dockerfile_instructions():
        match = re.fullmatch(r"ARG\s+(\w+)=(\S+)", ins)
        if match:
            args[match[1]] = match[2]
    return args


def shell_commands(instruction: str) -> list[list[str]]:
    """Simple commands of a RUN instruction, split at && || ; and |."""
    script = instruction.removeprefix("RUN").strip()
    commands, current = [], []
    for token in shlex.split(script):
        if token in {"&&", "||", ";", "|"}:
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    # Drop leading NAME=value environment assignments.
    commands = [list(dropwhile(lambda token: re.fullmatch(r"\w+=.*", token), cmd)) for cmd in commands]
    return [cmd for cmd in commands if cmd]


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?]))?([^}]*)\}")


def compose_airflow_environment() -> dict[str, str | None]:
    """The environment docker-compose.yml gives every Airflow container (``x-airflow-common``), with each
    ``${VAR:-default}`` taken at its default; a value with a required ``${VAR:?...}`` in it is None."""
    environment = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["x-airflow-common"]["environment"]
    resolved: dict[str, str | None] = {}
    for name, value in environment.items():
        value = str(value)
        if any(kind == "?" for _, kind, _ in _INTERPOLATION.findall(value)):
            resolved[name] = None
            continue
        resolved[name] = _INTERPOLATION.sub(lambda m: m[3] if m[2] == "-" else "", value)
    return resolved


def locked_airflow_version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [dep for dep in project["dependencies"] if re.match(r"apache-airflow\s*==", dep)]
    assert len(pins) == 1, pins
    return pins[0].split("==")[1].strip()


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_has_the_expected_services(services: dict) -> None:
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


def test_airflow_services_share_the_common_block(compose: dict, services: dict) -> None:
    common = compose["x-airflow-common"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["image"] == common["image"], name
        assert services[name].get("build") == common["build"], name


def test_every_airflow_service_uses_the_celery_executor(services: dict) -> None:
    for name in AIRFLOW_SERVICES:
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name


def test_worker_runs_celery_and_can_be_scaled(services: dict) -> None:
    worker = services["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert worker["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
        "http://airflow-apiserver:8080/"
    )
    # --scale fails on a fixed container name or host port.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_long_running_services_have_healthchecks_and_restart(services: dict) -> None:
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "always", name


def test_airflow_services_wait_for_init(services: dict) -> None:
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends_on = services[name]["depends_on"]
        assert depends_on["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
    assert services["airflow-worker"]["depends_on"]["warehouse-db"]["condition"] == "service_healthy"


def test_init_migrates_and_creates_the_admin_for_fab(services: dict) -> None:
    script = "\n".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in script
    assert "airflow users create" in script
    assert "FabAuthManager" in script


def test_landing_and_outputs_are_mounted_where_the_pipeline_looks(services: dict) -> None:
    worker = services["airflow-worker"]
    env = worker["environment"]
    # Split host:container[:mode] after blanking ${...}, whose defaults may hold colons.
    targets = {re.sub(r"\$\{[^}]*\}", "HOST", volume).split(":")[1]: volume for volume in worker["volumes"]}
    assert env["EKTP_LANDING_DIR"] == "/opt/airflow/landing"
    assert "/opt/airflow/landing" in targets
    assert targets["/opt/airflow/landing"].endswith(":ro")
    output = "/opt/airflow/output"
    assert output in targets
    assert env["EKTP_REPORT_DIR"].startswith(output + "/")
    assert env["EKTP_DATA_DOCS_DIR"].startswith(output + "/")
    assert env["AIRFLOW_CONN_EKTP_WAREHOUSE"]


def test_warehouse_is_a_separate_postgres(services: dict) -> None:
    assert services["warehouse-db"]["image"].startswith("postgres:")
    assert services["warehouse-db"]["volumes"] != services["postgres"]["volumes"]


def test_every_wait_is_bounded_and_no_live_task_is_handed_out_twice() -> None:
    """A task try ends within its timeout and a run within its own; Redis hands an unacknowledged task out
    again only after the visibility timeout, so that must outlast any run (or a live task would run twice).
    A worker takes only what it runs and acknowledges a task when it ends: a dead worker loses nothing."""
    env = compose_airflow_environment()
    task = float(env["EKTP_TASK_TIMEOUT_MINUTES"]) * 60
    run = float(env["EKTP_RUN_TIMEOUT_MINUTES"]) * 60
    heartbeat = float(env["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"])
    visibility = float(env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"])
    assert 0 < heartbeat < task < run <= visibility
    assert float(env["EKTP_RETRY_DELAY_MINUTES"]) >= 0
    assert env["AIRFLOW__CELERY__TASK_ACKS_LATE"] == "true"
    assert env["AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER"] == "1"


def test_every_compose_variable_is_in_env_example(compose_text: str) -> None:
    listed = {name for name, _, _ in env_example_entries()}
    unlisted = compose_variables(compose_text) - listed
    assert not unlisted, f"variables used in docker-compose.yml but not in .env.example: {sorted(unlisted)}"


# --- .env.example -------------------------------------------------------------------------------


def test_env_example_lists_the_pipeline_variables() -> None:
    listed = {name for name, _, _ in env_example_entries()}
    assert listed >= PIPELINE_VARIABLES
    assert "AIRFLOW__CORE__DEFAULT_TIMEZONE" in listed


def test_env_example_entries_are_unique_and_commented() -> None:
    entries = env_example_entries()
    names = [name for name, _, _ in entries]
    assert len(names) == len(set(names)), "duplicate names in .env.example"
    uncommented = [name for name, _, comment in entries if not comment]
    assert not uncommented, f"no comment line above: {uncommented}"


def test_env_example_holds_no_secrets() -> None:
    for name, value, _ in env_example_entries():
        if SECRET_NAME.search(name):
            assert value == "", f"{name} must be empty in .env.example"
        # Connection URLs take their password from another variable, never a literal.
        if name.startswith("AIRFLOW_CONN_"):
            userinfo = value.partition("://")[2].partition("@")[0]
            assert not userinfo or "${" in userinfo.partition(":")[2], name


def test_env_example_references_only_earlier_variables() -> None:
    defined: set[str] = set()
    for name, value, _ in env_example_entries():
        assert compose_variables(value) <= defined, name
        defined.add(name)


# --- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_builds_on_the_official_image_of_the_locked_airflow() -> None:
    args = dockerfile_args()
    assert args["AIRFLOW_VERSION"] == locked_airflow_version()
    assert args["PYTHON_VERSION"] == "3.11"
    bases = [ins.split()[1] for ins in dockerfile_instructions() if ins.startswith("FROM ")]
    assert bases[-1] == "apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}"
    for base in bases:
        assert ":" in base and not base.endswith(":latest"), f"unpinned base image {base}"


def test_dockerfile_installs_exactly_the_lock() -> None:
    runs = [shell_commands(ins) for ins in dockerfile_instructions() if ins.startswith("RUN ")]
    commands = [cmd for run in runs for cmd in run]

    exported = None
    for cmd in commands:
        if len(cmd) > 1 and cmd[0].endswith("uv") and cmd[1] == "export":
            assert {"--frozen", "--no-default-groups", "--no-hashes", "--no-emit-project"} <= set(cmd), cmd
            exported = cmd[cmd.index("--output-file") + 1]
    assert exported, "the Dockerfile does not export uv.lock"

    installs = [cmd for cmd in commands if "install" in cmd and "pip" in cmd[: cmd.index("install")]]
    assert installs, "the Dockerfile installs nothing"
    requirement_files = []
    for cmd in installs:
        args = iter(cmd[cmd.index("install") + 1 :])
        for arg in args:
            if arg in {"-r", "--requirement", "-c", "--constraint"}:
                requirement_files.append(next(args))
            elif arg in {"-U", "--upgrade", "-e", "--editable"}:
                pytest.fail(f"{arg} in {shlex.join(cmd)}")
            elif not arg.startswith("-"):
                assert re.fullmatch(r"[A-Za-z0-9_.\[\],-]+==\S+", arg), f"unpinned pip install: {arg}"
    assert any(Path(f).name == Path(exported).name for f in requirement_files), (
        f"pip does not install the exported lock {exported}"
    )


def test_dockerfile_copies_the_project_into_airflow_home() -> None:
    copies = {tuple(ins.split()[1:]) for ins in dockerfile_instructions() if ins.startswith("COPY ")}
    for folder in ("dags", "plugins", "sql", "expectations"):
        assert (f"{folder}/", f"/opt/airflow/{folder}/") in copies, folder


# --- docker compose config, where a compose tool exists ------------------------------------------


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no `docker compose` or `docker-compose` on this machine")
    env_file = tmp_path / "test.env"
    env_file.write_text(
        "".join(f"{name}={value or 'placeholder'}\n" for name, value, _ in env_example_entries()),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            *command,
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
