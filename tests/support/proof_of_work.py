"""Solving the forms' proof-of-work challenges as a browser does (tests and benches)."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, Protocol

import altcha
import httpx


def solve(challenge: str) -> str:
    """The solution to an ALTCHA v2 challenge (its JSON), as the payload a form sends."""
    parsed = altcha.Challenge.from_dict(json.loads(challenge))
    solution = altcha.solve_challenge(parsed, timeout=60)
    assert solution is not None, "the challenge was not solved in a minute"
    return altcha.Payload(parsed, solution).to_base64()


def unsolved(challenge: str) -> str:
    """A payload for ``challenge`` with a guess instead of its solution."""
    parsed = altcha.Challenge.from_dict(json.loads(challenge))
    return altcha.Payload(parsed, altcha.Solution(counter=0, derived_key="00" * 32)).to_base64()


class Asks(Protocol):
    """A GraphQL client: a service's or the gateway's."""

    def __call__(self, query: str, variables: dict[str, Any]) -> Awaitable[dict[str, Any]]: ...


CONTACT_CHALLENGE = """
query Challenge($form: ContactKind!) { contactFormChallenge(form: $form) { challenge } }
"""
APPLICATION_CHALLENGE = "query Challenge { applicationChallenge { challenge } }"


async def contact_form_proof(ask: Asks, form: str = "JOIN_INQUIRY") -> str:
    """A solved challenge for a joining inquiry (or ``DEMO_REQUEST``), asked of ``ask``."""
    answer = await ask(CONTACT_CHALLENGE, {"form": form})
    challenge: str = answer["data"]["contactFormChallenge"]["challenge"]
    return solve(challenge)


async def application_proof(ask: Asks) -> str:
    """A solved challenge for a professional's application, asked of ``ask``."""
    answer = await ask(APPLICATION_CHALLENGE, {})
    challenge: str = answer["data"]["applicationChallenge"]["challenge"]
    return solve(challenge)


async def code_try_proof(browser: httpx.AsyncClient) -> str:
    """A solved challenge for one try of an enrolment code (``/auth/enroll/challenge``)."""
    answer = await browser.get("/auth/enroll/challenge")
    assert answer.status_code == 200, answer.text
    challenge: str = answer.json()["challenge"]
    return solve(challenge)


def code_try_proof_now(browser: httpx.Client) -> str:
    """:func:`code_try_proof` for a synchronous client."""
    answer = browser.get("/auth/enroll/challenge")
    assert answer.status_code == 200, answer.text
    challenge: str = answer.json()["challenge"]
    return solve(challenge)
