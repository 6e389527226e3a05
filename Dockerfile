# syntax=docker/dockerfile:1
# Project image: the official Airflow image plus exactly the dependencies pinned in uv.lock, with the
# project's code baked in, so every container (and every scaled-out worker) runs the same bits and
# nothing is installed when a container starts.

# Must match the apache-airflow pin in pyproject.toml/uv.lock: pip refuses the build if they disagree.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
# The uv release that writes uv.lock; an older uv may not read a newer lock format.
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# Export the lock in a throwaway stage: uv and the project metadata stay out of the runtime image.
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS requirements
COPY --from=uv /uv /tmp/uv
COPY pyproject.toml uv.lock /tmp/project/
# --frozen: take uv.lock as it is and fail rather than re-resolve; --no-default-groups: the runtime
# dependencies only, none of the dependency groups (dev: tests and lint; tools: the sample-data generator
# and the benchmark); --no-emit-project: the project is not an installable package (its code is copied below).
RUN UV_PYTHON_DOWNLOADS=never /tmp/uv export --project /tmp/project --frozen --no-default-groups --no-hashes \
        --no-emit-project --output-file /tmp/requirements.txt

FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION
COPY --from=requirements /tmp/requirements.txt /requirements.txt
# The official way to extend the image: name apache-airflow==<image version> in the same pip call so
# nothing else can move Airflow. The lock pins everything else, the Celery executor and FAB auth manager
# providers that docker-compose.yml relies on included (at the image's own versions), and pip replaces
# whatever the base image holds at another version: every package the lock names runs at its locked version.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /requirements.txt

# Same layout as the checkout (sql/ and expectations/ beside plugins/), so code that finds them
# relative to the package works unchanged. Root-owned on purpose: tasks cannot rewrite the code they run.
# The runtime only: not tools/ (the generator and the benchmark), tests/ or scripts/.
COPY dags/ /opt/airflow/dags/
COPY plugins/ /opt/airflow/plugins/
COPY sql/ /opt/airflow/sql/
COPY expectations/ /opt/airflow/expectations/
