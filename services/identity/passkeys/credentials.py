"""Passkeys the network holds: one-time enrolment codes, WebAuthn ceremonies, user handles.

The WebAuthn checks themselves (client data, origin, RP id hash, flags, attestation and
assertion signatures, COSE keys) are the `webauthn` library's; this module decides what
to ask for and what to keep.

What a passkey keeps is its credential id, public key, organisation, roles, a keyed digest
of the coordinator's optional label (never the label, which names a person) and its last
valid day. The person's pseudonym is sealed inside the credential's
*user handle* (AES-GCM, bound to the organisation), which the authenticator keeps and
returns with every assertion; the table holds only a digest of the handle. So the
database alone, even with every key the operator holds, cannot say whose a credential is.
No signature counter is kept: keeping it would write a record of every use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_backup_flags,
)
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from servicekit import crockford
from servicekit.digests import keyed_digest
from servicekit.pseudonyms import derive_key

from ..sealing import SecretBox, Unsealable

# written in servicekit.crockford's alphabet: easy to read aloud and to type from paper
CODE_GROUPS = 5  # 5 groups of 4 characters: 20 x 5 = 100 bits of entropy
CEREMONY_SECONDS = 300
# WebAuthn caps credential ids at 1023 bytes; fewer than 16 cannot hold enough randomness
CREDENTIAL_ID_BYTES = range(16, 1024)
# a COSE public key is ~77 bytes (ES256) to ~550 (RSA-4096): more is not a key we can use
PUBLIC_KEY_BYTES = 2048
# what a library or key parser raises on an answer built to break it, besides its own errors
_UNREADABLE = (WebAuthnException, ValueError, KeyError, TypeError, IndexError, OverflowError)
# HKDF purpose of the key enrolment codes are hashed under (from the secrets-at-rest key)
ENROLLMENT_CODE_PURPOSE = "wnwa enrollment codes"
# HKDF purpose of the key coordinators' labels are digested under (from the same setting)
LABEL_PURPOSE = "wnwa passkey labels"


class PasskeyProblem(Exception):
    """Why a passkey ceremony was refused, in words for the person.

    ``status`` is the HTTP status when it is not the endpoint's usual refusal: 400 for an
    answer that is malformed rather than refused, 403 for a refusal of a signed-in person.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def malformed(message: str = "The browser's answer is incomplete or malformed.") -> PasskeyProblem:
    """An answer no honest browser sends: always a 400, whatever the endpoint refuses with."""
    return PasskeyProblem(message, status=400)


def code_key(secrets_key: str) -> bytes:
    """The key enrolment codes are hashed under, from the secrets-at-rest setting."""
    return derive_key(secrets_key, ENROLLMENT_CODE_PURPOSE)


def new_code() -> str:
    """A one-time enrollment code: 100 random bits, as XXXX-XXXX-XXXX-XXXX-XXXX."""
    return crockford.new_code(CODE_GROUPS)


def normalise_code(typed: str) -> str | None:
    """The code as typed (any case, spaces, dashes, I/L/O for 1/0); None if it cannot be one."""
    return crockford.normalise(typed, CODE_GROUPS)


def code_digest(key: bytes, code: str) -> bytes:
    """The keyed hash a code is kept as (of its normalised form)."""
    normalised = normalise_code(code)
    if normalised is None:
        raise ValueError("not an enrolment code")
    return hmac.new(key, normalised.encode(), hashlib.sha256).digest()


# labels ------------------------------------------------------------------------------------


def label_key(secrets_key: str) -> bytes:
    """The key coordinators' labels are digested under, from the secrets-at-rest setting."""
    return derive_key(secrets_key, LABEL_PURPOSE)


def normalise_label(label: str) -> str:
    """A label as compared: Unicode-normalised, case-folded, runs of spaces as one space, so
    "Badge  101" typed again as "badge 101" is the same label."""
    return " ".join(unicodedata.normalize("NFKC", label).casefold().split())


def label_digest(key: bytes, organisation_id: uuid.UUID, label: str) -> bytes:
    """What a code or passkey keeps of its label: HMAC of the organisation and the normalised
    label. Bound to the organisation, so one label in two departments gives two digests."""
    return keyed_digest(key, organisation_id.bytes, normalise_label(label).encode())


# user handles ------------------------------------------------------------------------------


def seal_handle(box: SecretBox, *, subject: str, organisation_id: str) -> bytes:
    """The user handle: the pseudonym sealed to its organisation (61 bytes; WebAuthn allows 64)."""
    raw = base64.urlsafe_b64decode(subject + "=" * (-len(subject) % 4))
    return box.seal(raw, bound_to=f"passkey-user:{organisation_id}")


def open_handle(box: SecretBox, handle: bytes, *, organisation_id: str) -> str:
    """The pseudonym inside a user handle; raises PasskeyProblem when it is not one of ours."""
    try:
        raw = box.open(handle, bound_to=f"passkey-user:{organisation_id}")
    except Unsealable:
        raise PasskeyProblem("This passkey does not belong to that department.") from None
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def handle_digest(handle: bytes) -> bytes:
    return hashlib.sha256(handle).digest()


# ceremonies --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelyingPartyConfig:
    rp_id: str
    origins: tuple[str, ...]
    name: str = "WeNeverWalkAlone"


@dataclass(frozen=True, slots=True)
class NewCredential:
    credential_id: bytes
    public_key: bytes


@dataclass(frozen=True, slots=True)
class Assertion:
    credential_id: bytes
    user_handle: bytes
    parsed: AuthenticationCredential


def registration_options(
    rp: RelyingPartyConfig,
    *,
    challenge: bytes,
    user_handle: bytes,
    display_name: str,
    exclude: list[bytes] | None = None,
) -> dict[str, Any]:
    """Creation options: a discoverable credential, user verification required, no attestation."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=user_handle,
        # the browser shows this beside the passkey; it names the network, never the person
        user_name=display_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=CEREMONY_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in exclude or []],
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def authentication_options(rp: RelyingPartyConfig, *, challenge: bytes) -> dict[str, Any]:
    """Request options with no credential list: the authenticator offers its passkeys."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        timeout=CEREMONY_SECONDS * 1000,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


def verify_new_credential(
    rp: RelyingPartyConfig, credential: dict[str, Any], *, challenge: bytes
) -> NewCredential:
    """Check a registration response; only the credential id and public key are taken.

    Beyond the library's checks: the id's length, and a public key that can verify a
    signature at all (an EC2 point on its curve, a key type and size this service reads),
    so that nothing is stored that a later sign-in could not use.
    """
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
        )
    except InvalidRegistrationResponse as e:
        raise PasskeyProblem(_registration_reason(str(e))) from None
    except _UNREADABLE:
        raise malformed() from None
    _check_credential_id(verified.credential_id)
    if len(verified.credential_public_key) > PUBLIC_KEY_BYTES:
        raise malformed("Your device offered a public key too large to be one.")
    try:
        decoded_public_key_to_cryptography(
            decode_credential_public_key(verified.credential_public_key)
        )
    except _UNREADABLE:
        raise malformed("Your device offered a public key that cannot be used.") from None
    return NewCredential(verified.credential_id, verified.credential_public_key)


def parse_assertion(credential: dict[str, Any]) -> Assertion:
    """The credential id and user handle of an assertion, before it is verified.

    Every field is read here, by the library's own parser, so that a malformed answer is
    refused before anything is looked up.
    """
    try:
        parsed = parse_authentication_credential_json(credential)
        parse_backup_flags(parse_authenticator_data(parsed.response.authenticator_data).flags)
    except _UNREADABLE:
        raise malformed() from None
    if encode(parsed.raw_id) != parsed.id:
        raise malformed("The browser's answer names two different passkeys.")
    _check_credential_id(parsed.raw_id)
    if not parsed.response.user_handle:
        raise PasskeyProblem("This passkey was not made by the network. Enroll again.")
    return Assertion(parsed.raw_id, parsed.response.user_handle, parsed)


def verify_assertion(
    rp: RelyingPartyConfig, assertion: Assertion, *, challenge: bytes, public_key: bytes
) -> None:
    """Check an assertion's signature, origin, RP id, challenge and user verification.

    The signature counter is not kept (see the module's docstring), so 0 is passed as the
    stored count and clone detection is traded for keeping no record of use.
    """
    try:
        verify_authentication_response(
            credential=assertion.parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=list(rp.origins),
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except InvalidAuthenticationResponse as e:
        raise PasskeyProblem(_authentication_reason(str(e))) from None
    except _UNREADABLE:
        raise malformed() from None


def _check_credential_id(credential_id: bytes) -> None:
    if len(credential_id) not in CREDENTIAL_ID_BYTES:
        raise malformed("The browser's answer holds a passkey id of an impossible length.")


def encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def decode(value: str) -> bytes:
    """The bytes of an unpadded base64url value this service wrote itself."""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _registration_reason(detail: str) -> str:
    lowered = detail.lower()
    if "user verification" in lowered:
        return (
            "Your device did not confirm it is you (PIN, fingerprint or face). "
            "Use a passkey with a screen lock."
        )
    if "origin" in lowered or "rp id" in lowered:
        return "This passkey was made for another website."
    if "challenge" in lowered:
        return "This enrollment has expired. Start again."
    return "Your device's answer could not be checked. Please try again."


def _authentication_reason(detail: str) -> str:
    lowered = detail.lower()
    if "user verification" in lowered:
        return "Your device did not confirm it is you (PIN, fingerprint or face)."
    if "origin" in lowered or "rp id" in lowered:
        return "This passkey belongs to another website."
    if "challenge" in lowered:
        return "This sign-in has expired. Start again."
    return "Your passkey could not be checked. Please try again."
