"""Answers built to break a ceremony: each malformed registration or assertion, sent to
`/auth/enroll`, `/auth/passkeys/add` and `/auth/passkey`, is a 400 with a sentence for the
person, writes nothing and logs no error. The software authenticator builds real
attestations and assertions, and the case changes one thing in them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.services.identity.conftest import Stack, sign_in
from tests.services.identity.test_admission import _snapshot
from tests.services.identity.test_passkeys import admin_codes, authenticator, enroll
from tests.support.authenticator import BS, SoftAuthenticator, b64url, es256_cose
from tests.support.proof_of_work import code_try_proof

pytestmark = pytest.mark.slow  # identity, membership and two providers as servers

Credential = dict[str, Any]


def _without(*path: str) -> Callable[[Credential], Credential]:
    def edit(credential: Credential) -> Credential:
        *parents, last = path
        held = credential
        for name in parents:
            held = held[name]
        del held[last]
        return credential

    return edit


def _with(name: str, value: Any) -> Callable[[Credential], Credential]:
    def edit(credential: Credential) -> Credential:
        credential[name] = value
        return credential

    return edit


def _id_of(length: int) -> Callable[[Credential], Credential]:
    def edit(credential: Credential) -> Credential:
        credential["id"] = credential["rawId"] = b64url(os.urandom(length))
        return credential

    return edit


def _key() -> ec.EllipticCurvePublicKey:
    return ec.generate_private_key(ec.SECP256R1()).public_key()


@dataclass(frozen=True)
class Forgery:
    """One thing wrong with an answer: an edit of its JSON, or what the device is made to do."""

    name: str
    edit: Callable[[Credential], Any] = lambda credential: credential
    create: Callable[[], dict[str, Any]] = dict  # SoftAuthenticator.create's arguments
    device: dict[str, Any] = field(default_factory=dict)  # SoftAuthenticator's


BOTH = [
    Forgery("an empty credential", edit=lambda credential: {}),
    Forgery("a response that is a list", edit=_with("response", [])),
    Forgery("no id", edit=_without("id")),
    Forgery("no rawId", edit=_without("rawId")),
    Forgery("no response", edit=_without("response")),
    Forgery("no clientDataJSON", edit=_without("response", "clientDataJSON")),
    Forgery("an evil type", edit=_with("type", "evil")),
    Forgery("an attachment in space", edit=_with("authenticatorAttachment", "space")),
    Forgery("backed up but not backup-eligible", device={"extra_flags": BS}),
]
REGISTRATIONS = [
    *BOTH,
    Forgery("no attestationObject", edit=_without("response", "attestationObject")),
    Forgery("an 8-byte credential id", create=lambda: {"credential_id": os.urandom(8)}),
    Forgery("a 1,100-byte credential id", create=lambda: {"credential_id": os.urandom(1100)}),
    Forgery(
        "a COSE key of type 99", create=lambda: {"public_key_cose": es256_cose(_key(), {1: 99})}
    ),
    Forgery(
        "a 3,000-byte COSE key",
        create=lambda: {"public_key_cose": es256_cose(_key(), {-70: os.urandom(2900)})},
    ),
    Forgery(
        "an EC2 point off P-256",
        create=lambda: {
            "public_key_cose": es256_cose(
                _key(), {-2: (1).to_bytes(32, "big"), -3: (1).to_bytes(32, "big")}
            )
        },
    ),
]
ASSERTIONS = [
    *BOTH,
    Forgery("no signature", edit=_without("response", "signature")),
    Forgery("no authenticatorData", edit=_without("response", "authenticatorData")),
    Forgery("an 8-byte credential id", edit=_id_of(8)),
    Forgery("a 1,100-byte credential id", edit=_id_of(1100)),
]


def _names(forgeries: list[Forgery]) -> list[str]:
    return [forgery.name for forgery in forgeries]


@pytest.fixture(scope="module")
async def code(stack: Stack) -> str:
    """One code for every enrolment case: a refused answer must leave it unspent."""
    (issued,) = await admin_codes(stack, "Badge 500")
    return issued


@pytest.fixture(scope="module")
async def enrolled(stack: Stack) -> SoftAuthenticator:
    (issued,) = await admin_codes(stack, "Badge 501")
    device = authenticator(stack)
    async with stack.browser() as browser:
        assert (await enroll(browser, device, issued)).status_code == 200
    return device


async def _refused_cleanly(
    stack: Stack, caplog: pytest.LogCaptureFixture, send: Callable[[], Any]
) -> None:
    caplog.set_level(logging.INFO)
    before = await _snapshot(stack.identity_database)
    answer: httpx.Response = await send()
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]
    assert isinstance(message, str)
    assert message.endswith("."), message
    assert "wnwa_access" not in answer.cookies
    assert await _snapshot(stack.identity_database) == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _forged_creation(stack: Stack, forgery: Forgery, options: dict[str, Any]) -> dict[str, Any]:
    device = authenticator(stack, **forgery.device)
    return {"credential": forgery.edit(device.create(options, **forgery.create()))}


@pytest.mark.parametrize("forgery", REGISTRATIONS, ids=_names(REGISTRATIONS))
async def test_a_forged_enrolment_is_a_400_and_writes_nothing(
    stack: Stack, code: str, forgery: Forgery, caplog: pytest.LogCaptureFixture
) -> None:
    async with stack.browser() as browser:
        options = await browser.post(
            "/auth/enroll/options",
            json={"code": code, "proofOfWork": await code_try_proof(browser)},
        )
        assert options.status_code == 200, options.text
        body = _forged_creation(stack, forgery, options.json())
        await _refused_cleanly(stack, caplog, lambda: browser.post("/auth/enroll", json=body))


@pytest.mark.parametrize("forgery", REGISTRATIONS, ids=_names(REGISTRATIONS))
async def test_a_forged_added_passkey_is_a_400_and_writes_nothing(
    stack: Stack, forgery: Forgery, caplog: pytest.LogCaptureFixture
) -> None:
    async with stack.browser() as browser:
        await sign_in(stack, browser, "dana.whitlock@harlow-park.pd.example")
        options = await browser.post("/auth/passkeys/add/options", json={})
        assert options.status_code == 200, options.text
        body = _forged_creation(stack, forgery, options.json())
        await _refused_cleanly(stack, caplog, lambda: browser.post("/auth/passkeys/add", json=body))


@pytest.mark.parametrize("forgery", ASSERTIONS, ids=_names(ASSERTIONS))
async def test_a_forged_assertion_is_a_400_and_signs_no_one_in(
    stack: Stack,
    enrolled: SoftAuthenticator,
    forgery: Forgery,
    caplog: pytest.LogCaptureFixture,
) -> None:
    device = SoftAuthenticator(enrolled.origin, credentials=enrolled.credentials, **forgery.device)
    async with stack.browser() as browser:
        options = await browser.post("/auth/passkey/options", json={})
        body = {"credential": forgery.edit(device.get(options.json()))}
        await _refused_cleanly(stack, caplog, lambda: browser.post("/auth/passkey", json=body))


async def test_the_code_and_the_passkey_still_work_after_every_forgery(
    stack: Stack, code: str, enrolled: SoftAuthenticator
) -> None:
    from tests.services.identity.test_passkeys import passkey_sign_in

    async with stack.browser() as browser:
        assert (await passkey_sign_in(browser, enrolled)).status_code == 200
    async with stack.browser() as browser:
        assert (await enroll(browser, authenticator(stack), code)).status_code == 200
