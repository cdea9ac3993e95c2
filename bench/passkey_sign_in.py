"""identity: the cost of a passkey sign-in's own work (no database or membership round trip).

Assertion parsing, the user-handle check, signature verification (ES256, the `webauthn`
library), opening the sealed pseudonym, then the platform token (ES256) and the sealed
session cookie, as `/auth/passkey` does them. Registration is measured the same way.

Run: .venv/bin/python bench/passkey_sign_in.py
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from joserfc.jwk import ECKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.identity import cookies
from services.identity.issuing import TokenIssuer
from services.identity.keys import KeyRing
from services.identity.passkeys import credentials as passkeys
from services.identity.sealing import SecretBox, derive_key
from tests.support.authenticator import SoftAuthenticator

N = 1000
ORIGIN = "https://wnwa.example"
RP = passkeys.RelyingPartyConfig(rp_id="wnwa.example", origins=(ORIGIN,))
DEPARTMENT = "6498ca12-c3b5-5fd7-bd4f-23a692ff8244"


def timed(label: str, runs: list[Callable[[], object]]) -> None:
    """Run each prepared call once; print the median and p95 per call."""
    samples = []
    for run in runs:
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95)]
    print(
        f"{label:<52} median {statistics.median(samples) * 1e6:7.0f} µs   p95 {p95 * 1e6:7.0f} µs"
    )


def main() -> None:
    handles = SecretBox(derive_key("h" * 32, "handles"))
    cookie_box = SecretBox(derive_key("c" * 32, "cookies"))
    signer = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    ring = KeyRing(
        cookie_box, token_lifetime=dt.timedelta(minutes=10), key_age=dt.timedelta(days=30)
    )
    ring._signer, ring._published = signer, [signer.as_dict(private=False)]
    tokens = TokenIssuer(ring, issuer="https://wnwa.example", audience="wnwa", lifetime_seconds=600)
    subject = passkeys.encode(secrets.token_bytes(32))
    device = SoftAuthenticator(origin=ORIGIN)

    def registration() -> Callable[[], object]:
        challenge = secrets.token_bytes(32)
        handle = passkeys.seal_handle(handles, subject=subject, organisation_id=DEPARTMENT)
        options = passkeys.registration_options(
            RP, challenge=challenge, user_handle=handle, display_name="WeNeverWalkAlone member"
        )
        answer = device.create({"publicKey": options})
        return lambda: passkeys.verify_new_credential(RP, answer, challenge=challenge)

    timed("registration: verify the new passkey", [registration() for _ in range(N // 4)])
    challenge = secrets.token_bytes(32)
    handle = passkeys.seal_handle(handles, subject=subject, organisation_id=DEPARTMENT)
    options = passkeys.registration_options(
        RP, challenge=challenge, user_handle=handle, display_name="WeNeverWalkAlone member"
    )
    made = passkeys.verify_new_credential(
        RP, device.create({"publicKey": options}), challenge=challenge
    )
    stored_digest = passkeys.handle_digest(device.credentials[-1].user_handle)

    def sign_in() -> Callable[[], object]:
        challenge = secrets.token_bytes(32)
        options = passkeys.authentication_options(RP, challenge=challenge)
        answer = device.get({"publicKey": options})

        def run() -> object:
            assertion = passkeys.parse_assertion(answer)
            assert passkeys.handle_digest(assertion.user_handle) == stored_digest
            passkeys.verify_assertion(
                RP, assertion, challenge=challenge, public_key=made.public_key
            )
            person = passkeys.open_handle(
                handles, assertion.user_handle, organisation_id=DEPARTMENT
            )
            issued = tokens.access_token(subject=person, department=DEPARTMENT, roles=["officer"])
            session = cookies.Session(person, DEPARTMENT, ["officer"], time.time() + 3600, "x")
            return issued, cookies.seal_session(cookie_box, session)

        return run

    timed("sign-in: assertion check + token + session cookie", [sign_in() for _ in range(N)])

    def verify_only() -> Callable[[], object]:
        challenge = secrets.token_bytes(32)
        answer = device.get({"publicKey": passkeys.authentication_options(RP, challenge=challenge)})
        assertion = passkeys.parse_assertion(answer)
        return lambda: passkeys.verify_assertion(
            RP, assertion, challenge=challenge, public_key=made.public_key
        )

    timed("  of which the assertion's signature check", [verify_only() for _ in range(N)])
    timed(
        "  of which the platform token (ES256)",
        [lambda: tokens.access_token(subject=subject, department=DEPARTMENT, roles=["officer"])]
        * N,
    )


if __name__ == "__main__":
    main()
