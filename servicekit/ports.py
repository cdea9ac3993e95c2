"""Where each process listens on a developer's machine, which services each one calls, and
the loopback URLs it reaches them by: the one map the services, the gateway and the `wnwa`
command start from (the deployment manifests are checked against it).

Each port is overridden by ``WNWA_<NAME>_PORT`` and each peer's URL by
``WNWA_<CALLER>_<PEER>_URL`` (:func:`peer_setting`).
"""

from __future__ import annotations

# the subgraphs in start order (identity first: the others fetch its keys)
SUBGRAPHS = ("identity", "directory", "membership", "professionals", "conversations")
# the subgraphs that keep what they relay in one process's memory: the gateway sends each
# supporter to one process of a fixed list, so they run one process per shard, never scaled
# by load (docs/deployment.md, "Conversations")
SHARDED = ("conversations",)

PORTS: dict[str, int] = {
    "gateway": 8000,
    "identity": 8001,
    "directory": 8002,
    "membership": 8003,
    "professionals": 8004,
    "conversations": 8005,
    "devidp": 8009,  # the development identity provider, `wnwa up` only
}


# the subgraphs each process asks over GraphQL (besides identity's keys, which all fetch)
PEERS: dict[str, tuple[str, ...]] = {
    "identity": ("membership",),  # a department's standing, at sign-in
    "membership": ("directory", "professionals"),  # the network figures
    "conversations": ("directory",),  # who a supporter is, whether they are on call
    "gateway": SUBGRAPHS,
}


def local_url(name: str, path: str = "", *, port: int | None = None) -> str:
    """``name``'s loopback address (on ``port``, else its default), e.g.
    ``local_url("membership", "/graphql")``."""
    return f"http://127.0.0.1:{port or PORTS[name]}{path}"


def peer_setting(caller: str, peer: str) -> str:
    """The variable that tells ``caller`` where ``peer``'s GraphQL is, e.g.
    ``WNWA_MEMBERSHIP_DIRECTORY_URL``."""
    return f"WNWA_{caller.upper()}_{peer.upper()}_URL"
