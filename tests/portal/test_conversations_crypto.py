"""The browser's side of the conversations protocol (static/conversations-crypto.js), run by
Node.js's WebCrypto against the Python reference (tests/support/sealing.py): what one seals
the other opens, both ways, and a reflected or replayed message does not open."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from typing import Any

import pytest

from gateway.portal.routes import STATIC_FOLDER
from tests.support.sealing import Channel, KeyPair

CRYPTO = STATIC_FOLDER / "conversations-crypto.js"


def node(program: str, *arguments: str) -> Any:
    found = shutil.which("node")
    if found is None:
        pytest.skip("the page's protocol runs in Node.js here (it ships with the machine image)")
    prelude = f"import * as c from {json.dumps(CRYPTO.as_uri())};\n"
    result = subprocess.run(
        [found, "--input-type=module", "-e", prelude + program, *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_officers_page_seals_what_the_supporters_device_opens_and_back() -> None:
    supporter = KeyPair()
    # the officer's page: a key for this conversation, two messages, then the reply opened
    officer = node(
        """
        const supporterKey = process.argv[1];
        const pair = await c.newKeyPair();
        const ch = await c.channel(
          pair.privateKey, supporterKey, "officer", pair.public, supporterKey);
        const first = await ch.seal("Rough night. Can we talk?");
        const second = await ch.seal("Ünïcödé and emoji 🚓");
        console.log(JSON.stringify({ officerKey: pair.public, first, second,
          fingerprint: await c.fingerprint(supporterKey) }));
        """,
        supporter.public,
    )
    channel = Channel(supporter, officer["officerKey"], "supporter", officer["officerKey"])
    assert channel.open({"from": "officer", **officer["first"]}) == "Rough night. Can we talk?"
    assert channel.open({"from": "officer", **officer["second"]}) == "Ünïcödé and emoji 🚓"
    assert officer["fingerprint"] == hashlib.sha256(supporter.public_raw).hexdigest()[:16]

    # the supporter's device in the browser, the officer in Python
    officer_keys = KeyPair()
    device = node(
        """
        const officerKey = process.argv[1];
        const pair = await c.newKeyPair();
        const ch = await c.channel(
          pair.privateKey, officerKey, "supporter", officerKey, pair.public);
        console.log(JSON.stringify({ publicKey: pair.public, reply: await ch.seal("I'm here.") }));
        """,
        officer_keys.public,
    )
    speaker = Channel(officer_keys, device["publicKey"], "officer", officer_keys.public)
    assert speaker.open({"from": "supporter", **device["reply"]}) == "I'm here."


def test_the_page_refuses_a_reflected_replayed_altered_or_misaddressed_message() -> None:
    outcomes = node(
        """
        const officer = await c.newKeyPair();
        const device = await c.newKeyPair();
        const other = await c.newKeyPair();
        const speaker = await c.channel(
          officer.privateKey, device.public, "officer", officer.public, device.public);
        const reader = () => c.channel(
          device.privateKey, officer.public, "supporter", officer.public, device.public);
        const one = { from: "officer", ...(await speaker.seal("one")) };
        const two = { from: "officer", ...(await speaker.seal("two")) };
        const results = {};
        const attempt = async (name, ch, event) => {
          try { results[name] = await ch.open(event); } catch { results[name] = "refused"; }
        };
        const r = await reader();
        await attempt("reflected", r, { ...one, from: "supporter" });
        await attempt("out of order", r, two);
        await attempt("first", r, one);
        await attempt("replayed", r, one);
        const flipped = c.unb64url(two.ciphertext); flipped[0] ^= 1;
        await attempt("altered", r, { ...two, ciphertext: c.b64url(flipped) });
        await attempt("renumbered", await reader(), { ...two, seq: 0 });
        const elsewhere = await c.channel(
          other.privateKey, officer.public, "supporter", officer.public, other.public);
        await attempt("another device", elsewhere, one);
        await attempt("second", r, two);
        console.log(JSON.stringify(results));
        """
    )
    assert outcomes == {
        "reflected": "refused",
        "out of order": "refused",
        "first": "one",
        "replayed": "refused",
        "altered": "refused",
        "renumbered": "refused",
        "another device": "refused",
        "second": "two",
    }
