"""The privacy audit for passkeys: officers of a department without an IdP enrol passkeys from
one-time codes, then sign in with them again and again through the gateway. Passkey sign-ins
must change no row of any database, and no span, metric or log line may hold a pseudonym, a
credential id, a user handle, a code or a token."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.identity.demo import DEMO_ENROLLMENT_CODES
from tests.privacy.leaks import Forbidden, find_leaks, jwt_subject, table_texts
from tests.privacy.test_audit import stack_database_url, telemetry_lines
from tests.support.authenticator import SoftAuthenticator, b64url
from tests.support.proof_of_work import code_try_proof_now
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.slow
DATABASES = ("identity", "directory", "membership", "professionals")
ME = "query Me { me { pseudonymousId roles department { id name } } }"


def snapshot(server: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in DATABASES:
        url = server.replace("/postgres?", f"/wnwa_{name}?")
        rows += asyncio.run(table_texts(url, f"wnwa_{name}"))
    return sorted(rows)


def passkey_sign_in(browser: httpx.Client, device: SoftAuthenticator) -> httpx.Response:
    options = browser.post("/auth/passkey/options", json={})
    assert options.status_code == 200, options.text
    return browser.post("/auth/passkey", json={"credential": device.get(options.json())})


def me(browser: httpx.Client) -> dict[str, Any]:
    answer = browser.post("/graphql", json={"query": ME}).json()
    assert "errors" not in answer, answer
    result: dict[str, Any] = answer["data"]["me"]
    return result


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("passkey-audit-stack")
    telemetry_dir = tmp_path_factory.mktemp("passkey-audit-telemetry")
    with running_stack(data_dir, WNWA_TELEMETRY_EXPORTER=f"file:{telemetry_dir}") as stack:
        devices, codes, pseudonyms, tokens = enrol(stack)
        server = stack_database_url(data_dir)
        before = snapshot(server)
        for _ in range(3):
            for device in devices:
                with stack.browser() as browser:
                    assert passkey_sign_in(browser, device).status_code == 200
                    assert browser.post("/auth/refresh", json={}).status_code == 200
                    person = me(browser)
                    assert person["pseudonymousId"] in pseudonyms
                    tokens.append(browser.cookies["wnwa_access"])
                    browser.get("/auth/logout")
        after = snapshot(server)
    return {
        "before": before,
        "after": after,
        "devices": devices,
        "codes": codes,
        "pseudonyms": pseudonyms,
        "tokens": tokens,
        "logs": list(stack.output),
        "telemetry_dir": telemetry_dir,
    }


def enrol(stack: Stack) -> tuple[list[SoftAuthenticator], list[str], set[str], list[str]]:
    port = stack.ports["gateway"]
    devices, codes, pseudonyms, tokens = [], [], set(), []
    for code, _roles, _label in DEMO_ENROLLMENT_CODES[:3]:
        device = SoftAuthenticator(origin=f"http://localhost:{port}")
        with stack.browser() as browser:
            proof = code_try_proof_now(browser)
            options = browser.post(
                "/auth/enroll/options", json={"code": code, "proofOfWork": proof}
            )
            assert options.status_code == 200, options.text
            made = browser.post("/auth/enroll", json={"credential": device.create(options.json())})
            assert made.status_code == 200, made.text
            token = browser.cookies["wnwa_access"]
            pseudonyms.add(jwt_subject(token))
            tokens.append(token)
        devices.append(device)
        codes.append(code)
    return devices, codes, pseudonyms, tokens


def test_passkey_sign_ins_change_no_row_anywhere(traced: dict[str, Any]) -> None:
    assert len(traced["pseudonyms"]) == 3
    assert traced["after"] == traced["before"]
    identity_tables = {where.split("#")[0] for where, _ in traced["before"]}
    assert "wnwa_identity.passkeys" in identity_tables


def test_no_span_metric_or_log_line_holds_a_passkey_user(traced: dict[str, Any]) -> None:
    forbidden = Forbidden()
    for pseudonym in traced["pseudonyms"]:
        forbidden.add(pseudonym, "a pseudonym")
    for device in traced["devices"]:
        for credential in device.credentials:
            forbidden.add(b64url(credential.credential_id), "a credential id")
            forbidden.add(b64url(credential.user_handle), "a user handle")
    for code in traced["codes"]:
        forbidden.add(code, "an enrolment code")
        forbidden.add(code.replace("-", ""), "an enrolment code")
    for token in traced["tokens"]:
        forbidden.add(token, "a token")
    lines = telemetry_lines(Path(traced["telemetry_dir"]))
    assert lines  # telemetry was exported (production defaults: metrics)
    logs = [(f"log:{n}", line) for n, line in enumerate(traced["logs"])]
    assert find_leaks(lines + logs, forbidden) == []


def test_the_database_holds_no_pseudonym_of_a_passkey_user(traced: dict[str, Any]) -> None:
    forbidden = Forbidden()
    for pseudonym in traced["pseudonyms"]:
        forbidden.add(pseudonym, "a pseudonym")
    for device in traced["devices"]:
        for credential in device.credentials:
            forbidden.add(b64url(credential.user_handle), "a user handle")
    for _code, _roles, label in DEMO_ENROLLMENT_CODES:
        forbidden.add(label, "a coordinator's label, kept only as a digest")
    assert find_leaks(traced["after"], forbidden) == []
    # a passkey row holds id, key, organisation, roles, label digest, end and a handle digest
    passkey_rows = [json.loads(text) for where, text in traced["after"] if ".passkeys#" in where]
    assert len(passkey_rows) == 3
    assert {tuple(sorted(row)) for row in passkey_rows} == {
        (
            "credential_id",
            "handle_digest",
            "label_digest",
            "organisation_id",
            "public_key",
            "roles",
            "valid_until",
        )
    }
