"""Sealed secrets: a sealed value opens only with its key and for what it was bound to."""

from __future__ import annotations

import pytest

from servicekit.pseudonyms import derive_key
from services.identity.sealing import SecretBox, Unsealable

KEY = derive_key("a configured secret of enough length", "client-secrets")


def test_a_sealed_value_opens_for_what_it_was_bound_to() -> None:
    box = SecretBox(KEY)
    sealed = box.seal(b"client secret", bound_to="client-secret:org-1")
    assert b"client secret" not in sealed
    assert box.open(sealed, bound_to="client-secret:org-1") == b"client secret"


def test_sealing_twice_gives_different_bytes() -> None:
    # a fresh nonce each time: two organisations with one secret are not seen to share it
    box = SecretBox(KEY)
    assert box.seal(b"same", bound_to="x") != box.seal(b"same", bound_to="x")


def test_a_sealed_value_moved_to_another_organisation_does_not_open() -> None:
    box = SecretBox(KEY)
    sealed = box.seal(b"client secret", bound_to="client-secret:org-1")
    with pytest.raises(Unsealable):
        box.open(sealed, bound_to="client-secret:org-2")


def test_a_changed_byte_or_another_key_does_not_open() -> None:
    box = SecretBox(KEY)
    sealed = box.seal(b"client secret", bound_to="b")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(Unsealable):
        box.open(tampered, bound_to="b")
    other = SecretBox(derive_key("another configured secret", "client-secrets"))
    with pytest.raises(Unsealable):
        other.open(sealed, bound_to="b")


@pytest.mark.parametrize("sealed", [b"", b"\x01" + b"\x00" * 27, b"\x02" + b"\x00" * 40])
def test_short_or_unknown_versions_are_refused_before_decrypting(sealed: bytes) -> None:
    with pytest.raises(Unsealable):
        SecretBox(KEY).open(sealed, bound_to="b")


def test_keys_differ_by_purpose_and_by_secret() -> None:
    assert len(KEY) == 32
    assert derive_key("s", "cookies") != derive_key("s", "client-secrets")
    assert derive_key("s", "cookies") != derive_key("t", "cookies")
    assert derive_key("s", "cookies") == derive_key("s", "cookies")


def test_cookie_text_round_trips_and_is_url_safe() -> None:
    box = SecretBox(KEY)
    text = box.seal_text("state=abc&nonce=é", bound_to="sign-in")
    assert all(char.isalnum() or char in "-_" for char in text)
    assert box.open_text(text, bound_to="sign-in") == "state=abc&nonce=é"
    with pytest.raises(Unsealable):
        box.open_text(text, bound_to="passkey")


@pytest.mark.parametrize("text", ["", "not base64 !", "a", "AQ"])
def test_cookie_text_that_is_not_sealed_is_refused(text: str) -> None:
    with pytest.raises(Unsealable):
        SecretBox(KEY).open_text(text, bound_to="sign-in")
