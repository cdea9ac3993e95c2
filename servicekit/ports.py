"""Where each process listens on a developer's machine, and the loopback URLs the others
reach it by: the one map the services, the gateway and the `wnwa` command start from.

Each port is overridden by ``WNWA_<NAME>_PORT`` and each URL by its own setting.
"""

from __future__ import annotations

# the subgraphs in start order (identity first: the others fetch its keys)
SUBGRAPHS = ("identity", "directory", "membership", "professionals")

PORTS: dict[str, int] = {
    "gateway": 8000,
    "identity": 8001,
    "directory": 8002,
    "membership": 8003,
    "professionals": 8004,
    "devidp": 8009,  # the development identity provider, `wnwa up` only
}


def local_url(name: str, path: str = "") -> str:
    """``name``'s default loopback address, e.g. ``local_url("membership", "/graphql")``."""
    return f"http://127.0.0.1:{PORTS[name]}{path}"
