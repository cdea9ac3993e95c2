"""Gateway settings, read once from ``WNWA_GATEWAY_*`` (and shared ``WNWA_*``) variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from servicekit.ports import PEERS, PORTS, local_url
from servicekit.settings import (
    Environment,
    PublicUrl,
    document_idle_seconds,
    read_public_url,
    worker_count,
)

DEFAULT_PORT = PORTS["gateway"]
SUPERGRAPH_FILE = Path(__file__).parent / "supergraph.graphql"


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """What one request may cost the gateway (``WNWA_GATEWAY_MAX_*``); see
    docs/architecture.md, "The gateway's limits"."""

    max_depth: int
    max_aliases: int
    max_fields: int
    max_body_bytes: int
    max_upload_bytes: int
    # the document's text, before it is parsed, and the parser's tokens
    max_document_chars: int = 32_768
    max_tokens: int = 5_000
    # per document: operations (each planned and kept with it) and fragments
    max_operations: int = 16
    max_fragments: int = 32
    # pairs of fields under one name at one place (validation compares each pair)
    max_field_pairs: int = 2_000
    # the most a subgraph's answer, and the answer to the client, may weigh
    max_answer_bytes: int = 8_000_000


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    host: str
    port: int
    subgraph_urls: dict[str, str]
    identity_url: str
    jwks_url: str
    token_issuer: str
    token_audience: str
    subgraph_timeout: float
    limits: OperationLimits
    graphiql: bool
    introspection: bool
    cors_origins: tuple[str, ...]
    session_cookie: str
    supergraph_file: Path
    deployment: str
    # where people reach the network: the feed's addresses and HSTS come from it
    public_url: PublicUrl
    single_subgraph_passthrough: bool = True
    deduplicate_reads: bool = True
    # the gateway's own service credentials, to hand daily visit totals to membership;
    # empty outside development unless set: the totals are then not kept
    service_secret: str = ""
    # identity's renewal cookie (sent to /auth only): its presence, never its value, says
    # whether a visitor page should ask for a renewal
    renewal_cookie: str = "wnwa_session"
    # how long an unused operation document is kept (ten minutes; tests shorten it)
    document_idle_seconds: float = 600.0
    # worker processes on the gateway's one socket (`wnwa serve gateway --workers`)
    workers: int = 1
    # what the kept documents may weigh together: their characters, each times its
    # operations (a planned operation keeps its own copy of the text for its subgraph)
    document_cache_chars: int = 1_000_000
    # the conversations processes, one origin each, in shard order (gateway/conversations.py)
    conversation_shards: tuple[str, ...] = ()


def load(environ: Mapping[str, str] | None = None) -> GatewaySettings:
    env = Environment("WNWA_GATEWAY", environ)
    urls = {
        name: env.text(f"{name.upper()}_URL", local_url(name, "/graphql"))
        for name in PEERS["gateway"]
    }
    origins = env.text("CORS_ORIGINS", "")
    shards = env.text("CONVERSATIONS_SHARDS", urls["conversations"].removesuffix("/graphql"))
    return GatewaySettings(
        host=env.text("HOST", "127.0.0.1"),
        port=env.integer("PORT", DEFAULT_PORT),
        subgraph_urls=urls,
        identity_url=env.text("IDENTITY_ORIGIN", local_url("identity")),
        jwks_url=env.text("JWKS_URL", local_url("identity", "/.well-known/jwks.json")),
        token_issuer=env.text("TOKEN_ISSUER", local_url("identity")),
        token_audience=env.text("TOKEN_AUDIENCE", "wnwa"),
        subgraph_timeout=env.integer("SUBGRAPH_TIMEOUT_MS", 5000) / 1000,
        limits=OperationLimits(
            max_depth=env.integer("MAX_DEPTH", 12),
            max_aliases=env.integer("MAX_ALIASES", 30),
            max_fields=env.integer("MAX_FIELDS", 400),
            max_body_bytes=env.integer("MAX_BODY_BYTES", 1_000_000),
            max_upload_bytes=env.integer("MAX_UPLOAD_BYTES", 26_000_000),
            max_document_chars=env.integer("MAX_DOCUMENT_CHARS", 32_768),
            max_tokens=env.integer("MAX_TOKENS", 5_000),
            max_operations=env.integer("MAX_OPERATIONS", 16),
            max_fragments=env.integer("MAX_FRAGMENTS", 32),
            max_field_pairs=env.integer("MAX_FIELD_PAIRS", 2_000),
            max_answer_bytes=env.integer("MAX_ANSWER_BYTES", 8_000_000),
        ),
        graphiql=env.flag("GRAPHIQL", env.is_development),
        introspection=env.flag("INTROSPECTION", env.is_development),
        cors_origins=tuple(origin.strip() for origin in origins.split(",") if origin.strip()),
        session_cookie=env.text("SESSION_COOKIE", "wnwa_access"),
        supergraph_file=Path(env.text("SUPERGRAPH", str(SUPERGRAPH_FILE))),
        single_subgraph_passthrough=env.flag("SINGLE_SUBGRAPH_PASSTHROUGH", True),
        deduplicate_reads=env.flag("DEDUPLICATE_READS", True),
        deployment=env.deployment,
        public_url=read_public_url(environ),
        document_idle_seconds=document_idle_seconds(env),
        workers=worker_count(env),
        document_cache_chars=env.integer("DOCUMENT_CACHE_CHARS", 1_000_000),
        conversation_shards=tuple(
            origin.strip().rstrip("/") for origin in shards.split(",") if origin.strip()
        ),
        service_secret=(
            env.secret("SERVICE_SECRET", "dev-service-secret-gateway", shared=False).value
            if env.is_development or env.text("SERVICE_SECRET", "")
            else ""
        ),
    )
