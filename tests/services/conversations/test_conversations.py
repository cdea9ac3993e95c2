"""An officer and a supporter talk through one conversations process over real HTTP; every
attack on a conversation is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import asyncpg
import pytest
from cryptography.exceptions import InvalidTag

from servicekit.digests import keyed_digest
from servicekit.ephemeral import mark_key
from services.conversations.settings import _DEVELOPMENT_VAPID_KEY
from tests.services.conversations.conftest import (
    Stack,
    make_officer,
    make_supporter,
    next_event,
)
from tests.support.sealing import Channel, KeyPair


async def test_an_officer_and_a_supporter_talk_and_the_supporter_ends_it(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    async with supporter.events(f"/conversations/{supporter.supporter_id}/inbox") as inbox:
        opened = await officer.open(supporter.supporter_id, supporter.device.public, "Rough night.")
        assert opened.status_code == 201, opened.text
        first = await next_event(inbox)
        assert first["type"] == "opened"
        # the supporter learns the officer's key for this conversation and nothing else
        assert set(first) == {
            "type",
            "conversation",
            "officerKey",
            "supporterKey",
            "from",
            "seq",
            "iv",
            "ciphertext",
        }
        assert officer.subject not in str(first)
        channel = supporter.channel(first)
        assert channel.open(first) == "Rough night."
        path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
        async with officer.events(f"{path}/stream") as stream:
            reply = await supporter.call("POST", f"{path}/messages", channel.seal("I'm here."))
            assert reply.status_code == 202, reply.text
            assert officer.channel is not None
            assert officer.channel.open(await next_event(stream)) == "I'm here."
            assert (await officer.say("Thanks.")).status_code == 202
            assert channel.open(await next_event(inbox)) == "Thanks."
            ended = await supporter.call("POST", f"{path}/end", {})
            assert ended.status_code == 200
            event = await next_event(stream)
            assert (event["type"], event["by"]) == ("ended", "supporter")
            assert (await next_event(stream))["type"] == "closed"
        assert (await officer.say("Hello?")).status_code == 404


async def test_an_officer_who_leaves_ends_it_for_the_supporter(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
    assert (await officer.call("POST", f"{path}/end", {})).status_code == 200
    # the supporter was not connected: what waited for them is the end, and only that
    async with supporter.events(f"/conversations/{supporter.supporter_id}/inbox") as inbox:
        event = await next_event(inbox)
        assert event["type"] == "ended"
        assert event["by"] == "officer"


async def test_another_officer_cannot_write_into_or_read_a_conversation(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer, intruder = make_officer(stack), make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
    forged = Channel(KeyPair(), supporter.device.public, "officer", KeyPair().public)
    for method, route, body in (
        ("POST", "/messages", forged.seal("I am the officer")),
        ("POST", "/end", {}),
        ("POST", "/block", {}),
        ("GET", "/stream", None),
    ):
        answer = await intruder.call(method, f"{path}{route}", body)
        assert answer.status_code == 404, (route, answer.text)
    # nor the supporter's inbox
    inbox = await intruder.call("GET", f"/conversations/{supporter.supporter_id}/inbox")
    assert inbox.status_code == 403


async def test_a_supporter_cannot_read_the_officers_stream_or_block_as_officer(
    stack: Stack,
) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
    assert (await supporter.call("GET", f"{path}/stream")).status_code == 403
    assert (await officer.call("POST", f"{path}/block", {})).status_code == 403
    assert (await officer.call("POST", f"{path}/report", {})).status_code == 403


async def test_a_replayed_or_out_of_order_message_is_refused(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    assert officer.channel is not None
    message = officer.channel.seal("second")
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}/messages"
    assert (await officer.call("POST", path, message)).status_code == 202
    replayed = await officer.call("POST", path, message)
    assert replayed.status_code == 409
    skipped = {**officer.channel.seal("x"), "seq": 7}
    assert (await officer.call("POST", path, skipped)).status_code == 409


async def test_a_message_the_relay_alters_or_reflects_does_not_open(stack: Stack) -> None:
    """What the relay could do to a message in flight is found out by the reader."""
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    async with supporter.events(f"/conversations/{supporter.supporter_id}/inbox") as inbox:
        assert (
            await officer.open(supporter.supporter_id, supporter.device.public, "hello")
        ).status_code == 201
        first = await next_event(inbox)
    channel = supporter.channel(first)
    altered = {**first, "ciphertext": first["ciphertext"][:-2] + "AA"}
    with pytest.raises(InvalidTag):
        channel.open(altered)
    reflected = {**first, "from": "supporter"}
    with pytest.raises(ValueError, match="reflected"):
        channel.open(reflected)
    assert channel.open(first) == "hello"


async def test_an_oversized_or_malformed_message_is_refused_with_a_reason(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    assert officer.channel is not None
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}/messages"
    big = await officer.call("POST", path, officer.channel.seal("x" * 20_000))
    assert big.status_code == 413
    assert "4,000 characters" in big.json()["error"]
    for body in (
        {"seq": 1, "iv": "short", "ciphertext": "AAAA"},
        {"seq": "1", "iv": "A" * 16, "ciphertext": "A" * 40},
        {"seq": 1, "iv": "A" * 16, "ciphertext": "!!"},
        {"seq": 1, "iv": "A" * 16, "ciphertext": "AAAA"},
    ):
        answer = await officer.call("POST", path, body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]
    not_json = await officer.http.post(
        f"{officer.base}{path}",
        content=b"{",
        headers={"Authorization": f"Bearer {officer.token}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    huge = await officer.http.post(
        f"{officer.base}{path}",
        content=b"[" + b" " * 70_000 + b"]",
        headers={"Authorization": f"Bearer {officer.token}", "Content-Type": "application/json"},
    )
    assert huge.status_code == 413


@pytest.fixture
def conversations_env() -> dict[str, str]:
    return {"OPENS_PER_HOUR": "3"}


async def test_an_officer_may_open_only_so_many_conversations_an_hour(stack: Stack) -> None:
    supporters = [await make_supporter(stack) for _ in range(4)]
    officer = make_officer(stack)
    answers = [
        (await officer.open(s.supporter_id, s.device.public)).status_code for s in supporters
    ]
    assert answers == [201, 201, 201, 429]
    # another officer is not held to the first one's count
    other = make_officer(stack)
    assert (
        await other.open(supporters[3].supporter_id, supporters[3].device.public)
    ).status_code == 201


async def test_a_block_ends_the_conversation_and_refuses_new_ones(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
    async with officer.events(f"{path}/stream") as stream:
        assert (await supporter.call("POST", f"{path}/block", {})).status_code == 200
        assert (await next_event(stream))["type"] == "ended"
    again = await officer.open(supporter.supporter_id, supporter.device.public)
    assert again.status_code == 403
    assert "not taking messages from you" in again.json()["error"]


async def test_reports_pause_an_officer_and_tell_nobody(stack: Stack) -> None:
    officer = make_officer(stack)
    for _ in range(3):
        supporter = await make_supporter(stack)
        assert (
            await officer.open(supporter.supporter_id, supporter.device.public)
        ).status_code == 201
        path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
        assert (await supporter.call("POST", f"{path}/report", {})).status_code == 200
    fresh = await make_supporter(stack)
    paused = await officer.open(fresh.supporter_id, fresh.device.public)
    assert paused.status_code == 429
    assert "for now" in paused.json()["error"]


async def test_a_supporter_cannot_publish_a_key_for_someone_elses_profile(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    impostor = make_officer(stack)
    answer = await impostor.call(
        "PUT", f"/conversations/{supporter.supporter_id}/device", {"publicKey": KeyPair().public}
    )
    assert answer.status_code == 403
    bad_key = await supporter.call(
        "PUT", f"/conversations/{supporter.supporter_id}/device", {"publicKey": "A" * 87}
    )
    assert bad_key.status_code == 400


async def test_a_new_device_ends_the_conversations_sealed_to_the_old_key(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201
    path = f"/conversations/{supporter.supporter_id}/{officer.conversation}"
    async with officer.events(f"{path}/stream") as stream:
        new = KeyPair()
        moved = await supporter.call(
            "PUT", f"/conversations/{supporter.supporter_id}/device", {"publicKey": new.public}
        )
        assert moved.json() == {"replaced": True}
        event = await next_event(stream)
        assert (event["type"], event["reason"]) == ("ended", "device-changed")
    stale = await officer.open(supporter.supporter_id, supporter.device.public)
    assert stale.status_code == 409


async def test_without_a_token_nothing_is_answered(stack: Stack) -> None:
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    officer.token = "not-a-token"
    answer = await officer.open(supporter.supporter_id, supporter.device.public)
    assert answer.status_code == 401
    await asyncio.sleep(0)


async def test_a_page_of_cards_learns_who_takes_messages_in_one_question(stack: Stack) -> None:
    taking = await make_supporter(stack)
    officer = make_officer(stack)
    nobody = "00000000-0000-4000-8000-000000000000"
    query = (
        "query SupporterKeys($ids: [ID!]!) {"
        " messagingKeys(supporterIds: $ids) { supporterId publicKey fingerprint } }"
    )
    answer = await officer.call(
        "POST", "/graphql", {"query": query, "variables": {"ids": [taking.supporter_id, nobody]}}
    )
    [key] = answer.json()["data"]["messagingKeys"]
    assert (key["supporterId"], key["publicKey"]) == (taking.supporter_id, taking.device.public)
    assert len(key["fingerprint"]) == 16
    too_many = await officer.call(
        "POST", "/graphql", {"query": query, "variables": {"ids": [nobody] * 101}}
    )
    [error] = too_many.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100" in error["message"]


async def test_the_database_cannot_tell_from_its_locks_which_officer_opened_a_conversation(
    stack: Stack,
) -> None:
    # the marks that count an officer's conversations are advisory locks, which every role
    # of the server sees in pg_locks; whoever knows an officer's pseudonym (another service's
    # database holds them) must not be able to compute them
    supporter = await make_supporter(stack)
    officer = make_officer(stack)
    opened_at = dt.datetime.now(dt.UTC)
    assert (await officer.open(supporter.supporter_id, supporter.device.public)).status_code == 201

    def lock_keys(person: bytes) -> set[int]:
        hours = {opened_at, opened_at + dt.timedelta(seconds=5)}
        return {
            mark_key("conversations-opened", person + hour.isoformat().encode() + bytes([slot]))
            for hour in (at.replace(minute=0, second=0, microsecond=0) for at in hours)
            for slot in range(6)
        }

    unkeyed = hashlib.sha256(b"wnwa.conversations\x00" + officer.subject.encode()).digest()
    person_key = keyed_digest(_DEVELOPMENT_VAPID_KEY.encode(), b"wnwa conversations person")
    keyed = keyed_digest(person_key, officer.subject.encode())
    db = await asyncpg.connect(stack.database_url)
    try:
        rows = await db.fetch(
            "SELECT classid::bigint, objid::bigint FROM pg_locks"
            " WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
        )
        held = set()
        for row in rows:
            unsigned = (row["classid"] << 32) | row["objid"]
            held.add(unsigned - 2**64 if unsigned >= 2**63 else unsigned)
        for key in lock_keys(unkeyed) | lock_keys(officer.subject.encode()):
            assert await db.fetchval("SELECT pg_try_advisory_lock_shared($1)", key)
            await db.execute("SELECT pg_advisory_unlock_shared($1)", key)
    finally:
        await db.close()
    assert not held & lock_keys(unkeyed)
    assert not held & lock_keys(officer.subject.encode())
    assert held & lock_keys(keyed)  # the control: the search reads the marks it looks for
