"""HTTP calls from the gateway to the subgraphs: JSON, or multipart when files travel.

JSON calls to ``http://`` subgraphs go over the gateway's own keep-alive connections
(:mod:`servicekit.http_connections`); uploads, ``https://`` subgraphs and traced calls go
through aiohttp.

Only the access token (``Authorization``) and the content type are sent: never the client's
address, user agent or cookies. A subgraph that is down, slower than the timeout, answered for
by a proxy in front of it with 502, 503 or 504, or answers something that is not a GraphQL
response raises :class:`SubgraphUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson
from starlette.datastructures import UploadFile

from servicekit.http_connections import HttpConnections, Origin

_UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class SubgraphUnavailable(Exception):
    """The subgraph gave no usable answer; the message is safe to show."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"The {subgraph} service {reason}. Please try again shortly.")
        self.subgraph = subgraph


@dataclass(slots=True)
class SubgraphResponse:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


class SubgraphCalls(Protocol):
    """What answering an operation asks of the subgraphs: :class:`SubgraphClient` over HTTP;
    the gateway's unit tests answer in memory (tests/gateway/fake_subgraphs.py)."""

    async def fetch_query(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        """A read-only call, which may share an identical one in flight."""
        ...

    async def fetch(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        """A call of its own (mutations, uploads)."""
        ...


class SubgraphClient:
    """One pooled HTTP session for every subgraph call of the gateway."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        urls: Mapping[str, str],
        timeout: float,
        *,
        deduplicate: bool = True,
        connections: HttpConnections | None = None,
    ) -> None:
        self._deduplicate = deduplicate
        self._session = session
        self._urls = dict(urls)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # JSON calls to plain-HTTP subgraphs go over the lean connections when given
        # (not when calls are traced: the session's hooks do that)
        self._connections = connections
        self._origins = {name: Origin.of(url) for name, url in self._urls.items()}
        self._in_flight: dict[tuple[str, str, bytes, str], asyncio.Future[bytes]] = {}

    async def fetch_query(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        """A read-only fetch; identical ones in flight at the same time (same subgraph,
        document, variables and token) share one request. They share its bytes, not its
        parsed answer: each caller merges further fields into its own copy."""
        signature = _signature(variables, operation_name) if self._deduplicate else None
        if signature is None:  # sharing switched off, or uploads (never shared)
            return await self.fetch(
                subgraph,
                query,
                variables,
                authorization=authorization,
                operation_name=operation_name,
            )
        key = (subgraph, query, signature, authorization or "")
        shared = self._in_flight.get(key)
        if shared is not None:
            return _parse(subgraph, await asyncio.shield(shared))
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            raw = await self._post(
                subgraph,
                query,
                variables,
                authorization=authorization,
                operation_name=operation_name,
            )
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # marks it retrieved, so an unshared failure never warns
            raise
        else:
            future.set_result(raw)
            return _parse(subgraph, raw)
        finally:
            del self._in_flight[key]

    @property
    def urls(self) -> dict[str, str]:
        return dict(self._urls)

    async def fetch(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None = None,
    ) -> SubgraphResponse:
        """One request of its own (mutations, uploads, or sharing switched off)."""
        raw = await self._post(
            subgraph, query, variables, authorization=authorization, operation_name=operation_name
        )
        return _parse(subgraph, raw)

    async def _post(
        self,
        subgraph: str,
        query: str,
        variables: Mapping[str, Any],
        *,
        authorization: str | None,
        operation_name: str | None,
    ) -> bytes:
        url = self._urls.get(subgraph)
        if url is None:
            raise SubgraphUnavailable(subgraph, "is not configured")
        headers = {"Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        operation: dict[str, Any] = {"query": query, "variables": dict(variables)}
        if operation_name:
            operation["operationName"] = operation_name
        files: dict[str, tuple[list[str], UploadFile]] = {}
        try:
            body: bytes | None = orjson.dumps(operation)
        except TypeError:  # uploads, which orjson cannot write: they travel as files
            body = None
            operation["variables"] = _extract_files(operation["variables"], "variables", files)
        connections, origin = self._connections, self._origins.get(subgraph)
        try:
            if connections is not None and origin is not None and body is not None:
                headers["Content-Type"] = "application/json"
                status, raw = await connections.post(origin, headers, body)
            else:
                status, raw = await self._post_by_session(
                    subgraph, url, headers, operation, body, files
                )
        except TimeoutError:
            raise SubgraphUnavailable(subgraph, "did not answer in time") from None
        except (aiohttp.ClientError, OSError, ValueError):
            raise SubgraphUnavailable(subgraph, "is unavailable") from None
        if status in _UNAVAILABLE_STATUSES:  # a proxy or load balancer in front of it
            raise SubgraphUnavailable(subgraph, "is unavailable")
        return raw

    async def _post_by_session(
        self,
        subgraph: str,
        url: str,
        headers: dict[str, str],
        operation: dict[str, Any],
        body: bytes | None,
        files: dict[str, tuple[list[str], UploadFile]],
    ) -> tuple[int, bytes]:
        """Through aiohttp: uploads, ``https://`` subgraphs, and every call when traced (the
        session's trace hooks open a client span and send W3C `traceparent` with it,
        servicekit.telemetry.client_trace_config; ``peer`` names the subgraph on that span)."""
        peer = {"peer": subgraph}
        if files:
            headers["X-WNWA-Request"] = "gateway"
            data: Any = _multipart(operation, files)
        else:
            headers["Content-Type"] = "application/json"
            data = body if body is not None else orjson.dumps(operation)
        request = self._session.post(
            url, data=data, headers=headers, timeout=self._timeout, trace_request_ctx=peer
        )
        async with request as response:
            return response.status, await response.read()


def _signature(variables: Mapping[str, Any], operation_name: str | None) -> bytes | None:
    try:
        return orjson.dumps([variables, operation_name], option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an upload
        return None


def _parse(subgraph: str, raw: bytes) -> SubgraphResponse:
    try:
        document = orjson.loads(raw)
    except ValueError:
        raise SubgraphUnavailable(subgraph, "answered with something unreadable") from None
    if not isinstance(document, dict):
        raise SubgraphUnavailable(subgraph, "answered with something unreadable")
    data, errors = document.get("data"), document.get("errors", [])
    if (data is not None and not isinstance(data, dict)) or not isinstance(errors, list):
        raise SubgraphUnavailable(subgraph, "answered with something unreadable")
    if data is None and not errors:
        raise SubgraphUnavailable(subgraph, "answered with something unreadable")
    return SubgraphResponse(data=data, errors=[e for e in errors if isinstance(e, dict)])


def _extract_files(value: Any, path: str, files: dict[str, tuple[list[str], UploadFile]]) -> Any:
    """``value`` with uploads replaced by null, each upload recorded under its path."""
    if isinstance(value, UploadFile):
        key = str(len(files))
        files[key] = ([path], value)
        return None
    if isinstance(value, dict):
        return {k: _extract_files(v, f"{path}.{k}", files) for k, v in value.items()}
    if isinstance(value, list):
        return [_extract_files(v, f"{path}.{i}", files) for i, v in enumerate(value)]
    return value


def _multipart(
    operation: dict[str, Any], files: dict[str, tuple[list[str], UploadFile]]
) -> aiohttp.FormData:
    """The GraphQL multipart request: ``operations``, ``map``, then each file, streamed."""
    form = aiohttp.FormData()
    form.add_field("operations", json.dumps(operation), content_type="application/json")
    form.add_field(
        "map",
        json.dumps({key: paths for key, (paths, _) in files.items()}),
        content_type="application/json",
    )
    for key, (_, upload) in files.items():
        upload.file.seek(0)
        form.add_field(
            key,
            upload.file,
            filename=upload.filename or key,
            content_type=upload.content_type or "application/octet-stream",
        )
    return form
