"""A GraphQL call from one service to a peer service: one query, one answer, one error.

The caller sends its service token; a call that takes longer than its timeout, fails on
the way, answers with another status than 200, with anything but a JSON object, or with
GraphQL errors, raises :class:`PeerError`. The error names the peer and what went wrong
in general terms only: never the variables, the token or the answer (they may hold
identifiers). The gateway, which speaks to the subgraphs on behalf of callers, has its
own client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp


class PeerError(Exception):
    """A peer service gave no usable answer. ``reached`` is False when it could not be
    reached at all (or did not answer in time), True when it answered with a failure."""

    def __init__(self, peer: str, problem: str, *, reached: bool) -> None:
        super().__init__(f"{peer}: {problem}")
        self.peer = peer
        self.reached = reached


class PeerClient:
    """Queries one peer's ``/graphql`` over the service's shared HTTP session."""

    def __init__(
        self, http: aiohttp.ClientSession, url: str, *, peer: str, timeout: float = 5.0
    ) -> None:
        self.http = http
        self.url = url
        self.peer = peer
        self.timeout = timeout

    async def query(
        self, document: str, variables: Mapping[str, Any] | None = None, *, token: str
    ) -> dict[str, Any]:
        """The answer's ``data`` object; :class:`PeerError` when there is none to use."""
        body: dict[str, Any] = {"query": document}
        if variables is not None:
            body["variables"] = dict(variables)
        try:
            async with (
                asyncio.timeout(self.timeout),
                self.http.post(
                    self.url,
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    trace_request_ctx={"peer": self.peer},
                ) as response,
            ):
                status = response.status
                answer = await response.json(content_type=None)
        except TimeoutError:
            raise PeerError(self.peer, "no answer in time", reached=False) from None
        except (aiohttp.ClientError, ValueError) as failure:
            problem = f"unreachable ({type(failure).__name__})"
            raise PeerError(self.peer, problem, reached=False) from None
        if status != 200:
            raise PeerError(self.peer, f"answered HTTP {status}", reached=True)
        if not isinstance(answer, dict):
            raise PeerError(self.peer, "answered something other than a JSON object", reached=True)
        if answer.get("errors"):
            raise PeerError(self.peer, "answered with GraphQL errors", reached=True)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise PeerError(self.peer, "answered without data", reached=True)
        return data
