"""An officer and a peer supporter of another department talk through the portal, each in
their own Chromium, end to end encrypted; then every database, the database server's data
folder (WAL included) and every log line of the stack is searched for the conversation:
its words, its ciphertext as it crossed the wire, and the officer's key. Nothing is found,
and the supporter's page never showed who the officer is."""

from __future__ import annotations

import asyncio
import base64
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready

from tests.portal.conftest import DESKTOP, PHONE, accessibility_violations
from tests.portal.test_portal import no_policy_violations, sign_in, wait
from tests.portal.test_public import dark
from tests.privacy.at_rest import raw_files
from tests.privacy.leaks import table_texts
from tests.privacy.test_audit import _fetch, stack_database_url
from tests.services.directory.conftest import ALL_DAY_EVERY_DAY, CREATE_PROFILE, profile_input
from tests.support.stack import PROJECT, Stack, running_stack
from tests.support.stack import sign_in as sign_in_over_http

pytestmark = pytest.mark.slow
Browser = Callable[[], WebDriver]

SUPPORTER = "theo.brandt@fenwood.pd.example"
OFFICER = "dana.whitlock@harlow-park.pd.example"
OFFICER_NAMES = ("Officer Dana Whitlock", "Dana Whitlock", "dana.whitlock", "Whitlock")
OFFICER_DEPARTMENT = "Harlow Park"

# every body the page sends, as it leaves: the ciphertext exactly as it crossed the wire
RECORD_BODIES = """
window.sentBodies = [];
const send = window.fetch;
window.fetch = (url, options = {}) => {
  if (typeof options.body === "string") window.sentBodies.push(options.body);
  return send(url, options);
};
"""


def checked(driver: WebDriver, name: str) -> None:
    """axe-core finds nothing at phone and desktop width, in light and dark."""
    for scheme in (False, True):
        dark(driver, scheme)
        for width, height in (PHONE, DESKTOP):
            driver.set_window_size(width, height)
            assert accessibility_violations(driver) == [], (name, scheme, width)
            if width == PHONE[0]:
                # nothing wider than the phone: no sideways scrolling
                wide = driver.execute_script(
                    "return document.documentElement.scrollWidth > window.innerWidth"
                )
                assert not wide, (name, "scrolls sideways at phone width")
    dark(driver, False)
    driver.set_window_size(*DESKTOP)


def page_text(driver: WebDriver) -> str:
    """Everything the page shows and holds: its text, its DOM, attributes included."""
    return str(
        driver.execute_script(
            "return document.body.innerText + '\\n' + document.documentElement.outerHTML"
        )
    )


def sent_messages(driver: WebDriver) -> list[dict[str, Any]]:
    """The sealed messages a page sent ({seq, iv, ciphertext}), from the bodies it posted."""
    bodies = [orjson.loads(body) for body in driver.execute_script("return window.sentBodies")]
    sealed = [body.get("message", body) for body in bodies if isinstance(body, dict)]
    return [message for message in sealed if "ciphertext" in message]


def officer_identifiers(stack: Stack) -> dict[str, str]:
    """What would say who the officer is: pseudonym, names, email, department (name and id)."""
    with stack.browser() as http:
        assert sign_in_over_http(http, OFFICER).status_code == 200
        me = http.post(
            "/graphql",
            json={"query": "query Me { me { pseudonymousId department { id name } } }"},
        ).json()["data"]["me"]
    found = {
        me["pseudonymousId"]: "the officer's pseudonym",
        OFFICER: "the officer's email",
        me["department"]["id"]: "the officer's department's id",
        me["department"]["name"]: "the officer's department",
        OFFICER_DEPARTMENT: "the officer's department",
    }
    found.update({name: "the officer's name" for name in OFFICER_NAMES})
    return found


def more_than(shown: int) -> Callable[[WebDriver], bool]:
    def grown(driver: WebDriver) -> bool:
        return len(driver.find_elements(By.CSS_SELECTOR, "#results .result")) > shown

    return grown


def the_card_button(officer: WebDriver, label: str) -> WebElement:
    """The supporter's message button, on whichever page of results their card falls (the
    order follows who is on call and the day's rotation)."""
    selector = f'button[aria-label="{label}"]'
    for _ in range(20):
        found = officer.find_elements(By.CSS_SELECTOR, selector)
        if found:
            return wait(officer).until(ready.element_to_be_clickable(found[0]))
        more = officer.find_element(By.ID, "more")
        assert more.is_displayed(), f"no card offers {label!r}"
        shown = len(officer.find_elements(By.CSS_SELECTOR, "#results .result"))
        more.click()
        wait(officer).until(more_than(shown))
    raise AssertionError(f"no card offers {label!r}")


def a_supporter_profile(stack: Stack) -> str:
    """The supporter's directory profile (the demo's, or one made as their own page would)."""
    with stack.browser() as http:
        assert sign_in_over_http(http, SUPPORTER).status_code == 200
        mine = http.post(
            "/graphql", json={"query": "query Mine { myPeerSupporterProfile { displayName } }"}
        ).json()["data"]["myPeerSupporterProfile"]
        if mine is not None:
            return str(mine["displayName"])
        answer = http.post(
            "/graphql",
            json={
                "query": CREATE_PROFILE,
                "variables": {
                    "input": profile_input(
                        displayName="Det. Theo B.",
                        phone="(312) 555-0177",
                        weeklySchedule=ALL_DAY_EVERY_DAY,
                    )
                },
            },
        ).json()
    created = answer["data"]["createMyPeerSupporterProfile"]
    assert created["errors"] == [], created
    return str(created["supporter"]["displayName"])


def test_an_officer_and_a_supporter_talk_and_nothing_of_it_is_kept_anywhere(
    open_browser: Browser,
) -> None:
    # a stack of this test's own, in the project's folder (as the privacy audit does), so
    # that every line it printed can be read once it stops
    (PROJECT / ".wnwa").mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="conversations-", dir=PROJECT / ".wnwa"))
    try:
        with running_stack(data_dir, host="localhost") as stack:
            traces, wire = talk_then_search_the_data(stack, data_dir, open_browser)
        # every line the stack printed, and the database server's own log
        logs = [
            (f"log line {n}", line) for n, line in enumerate("".join(stack.output).splitlines())
        ]
        logs.append(
            ("the database server's log", (data_dir / "pgdata" / "log").read_text(errors="replace"))
        )
        assert len(logs) > 10
        found = [
            f"{what} in {where}"
            for where, text in logs
            for value, what in traces.items()
            if value in text
        ]
        found += [
            f"{what} in {where}"
            for where, text in logs
            for value, what in wire.items()
            if value.decode("latin-1") in text
        ]
        assert found == []
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def talk_then_search_the_data(
    stack: Stack, data_dir: Path, open_browser: Browser
) -> tuple[dict[str, str], dict[bytes, str]]:
    """The conversation in two browsers; then every table and file is searched for it.
    Answers what to look for in the logs."""
    supporter_name = a_supporter_profile(stack)
    officer_is = officer_identifiers(stack)
    marker = uuid.uuid4().hex[:12]
    words = {
        "first": f"first-{marker} Rough night on patrol, can we talk?",
        "reply": f"reply-{marker} I'm here. Take your time.",
        "second": f"second-{marker} Thanks. It helps to say it.",
    }

    # the supporter opens their inbox: this browser makes the device key and publishes it
    supporter = open_browser()
    sign_in(supporter, stack, SUPPORTER)
    supporter.get(f"{stack.gateway}/messages")
    wait(supporter).until(
        ready.text_to_be_present_in_element((By.ID, "device-state"), "Messages come to this device")
    )
    assert "keeps them nowhere" in supporter.find_element(By.ID, "kept").text
    assert "restarts" in supporter.find_element(By.ID, "kept").text
    supporter.execute_script(RECORD_BODIES)

    # the officer finds the supporter's card and writes without sharing a number
    officer = open_browser()
    sign_in(officer, stack, OFFICER)
    officer.get(f"{stack.gateway}/supporters")
    wait(officer).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    label = f"Message without sharing my number: {supporter_name}"
    button = the_card_button(officer, label)
    # only cards of supporters whose device published a key offer it: here, one
    assert len(officer.find_elements(By.CSS_SELECTOR, ".talk-button")) == 1
    checked(officer, "supporters with a message button")
    officer.execute_script(RECORD_BODIES)
    button.click()
    talk = wait(officer).until(ready.visibility_of_element_located((By.ID, "talk")))
    assert "keeps them nowhere" in talk.find_element(By.ID, "talk-kept").text
    assert "restarts" in talk.find_element(By.ID, "talk-kept").text
    officer.find_element(By.ID, "talk-text").send_keys(words["first"])
    officer.find_element(By.CSS_SELECTOR, "#talk-form button[type=submit]").click()
    wait(officer).until(ready.text_to_be_present_in_element((By.ID, "talk-status"), "Sent"))

    # it shows on the supporter's page at once, through the stream
    wait(supporter).until(
        ready.text_to_be_present_in_element((By.ID, "conversations"), words["first"])
    )
    reply = supporter.find_element(By.CSS_SELECTOR, "#conversations textarea")
    reply.send_keys(words["reply"])
    supporter.find_element(By.CSS_SELECTOR, "#conversations form button").click()
    wait(officer).until(ready.text_to_be_present_in_element((By.ID, "talk-log"), words["reply"]))
    officer.find_element(By.ID, "talk-text").send_keys(words["second"])
    officer.find_element(By.CSS_SELECTOR, "#talk-form button[type=submit]").click()
    wait(supporter).until(
        ready.text_to_be_present_in_element((By.ID, "conversations"), words["second"])
    )
    checked(supporter, "inbox with a conversation")
    checked(officer, "officer's conversation")

    # the supporter ends it; the officer is told
    supporter.find_element(By.CSS_SELECTOR, "#conversations button[aria-label^='End']").click()
    wait(officer).until(ready.text_to_be_present_in_element((By.ID, "talk-log"), "ended"))
    wait(supporter).until(
        ready.text_to_be_present_in_element((By.ID, "conversations"), "You ended")
    )

    # the supporter's page never showed who the officer is, in its text or its DOM
    shown = page_text(supporter).lower()
    for value, what in officer_is.items():
        assert value.lower() not in shown, what
    # the device key is the only thing the page keeps, and it cannot be read out
    extractable = supporter.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const open = indexedDB.open('wnwa-messaging');"
        "open.onsuccess = () => { const get = open.result.transaction('device')"
        ".objectStore('device').get('keys');"
        "get.onsuccess = () => done(get.result.pair.privateKey.extractable); };"
    )
    assert extractable is False
    no_policy_violations(supporter)
    no_policy_violations(officer)

    # what crossed the wire, both ways: ciphertext (as sent and as bytes), IVs, keys
    sealed = sent_messages(officer) + sent_messages(supporter)
    assert len(sealed) == 3
    officer_key = next(
        orjson.loads(body)["officerKey"]
        for body in officer.execute_script("return window.sentBodies")
        if "officerKey" in body
    )
    traces = {text: f"the words {name!r}" for name, text in words.items()}
    traces[marker] = "the conversation's marker"
    traces[officer_key] = "the officer's key for the conversation"
    wire: dict[bytes, str] = {}
    for number, message in enumerate(sealed):
        ciphertext = str(message["ciphertext"])
        traces[ciphertext] = f"ciphertext {number} as sent"
        traces[ciphertext[:32]] = f"the start of ciphertext {number}"
        raw = base64.urlsafe_b64decode(ciphertext + "=" * (-len(ciphertext) % 4))
        wire[raw[:24]] = f"ciphertext {number} as bytes"
    wire[base64.urlsafe_b64decode(officer_key + "=")] = "the officer's key as bytes"

    # every table of every database, then the whole data folder after a checkpoint
    server = stack_database_url(data_dir)
    databases = [
        row["datname"]
        for row in asyncio.run(
            _fetch(server, "SELECT datname FROM pg_database WHERE datname LIKE 'wnwa_%'")
        )
    ]
    assert "wnwa_conversations" in databases
    rows: list[tuple[str, str]] = []
    for name in databases:
        rows += asyncio.run(table_texts(server.replace("/postgres?", f"/{name}?"), name))
    assert any(where.startswith("wnwa_conversations.messaging_devices") for where, _ in rows)
    asyncio.run(_fetch(server, "CHECKPOINT"))
    asyncio.run(_fetch(server, "SELECT pg_switch_wal()"))
    files = list(raw_files(data_dir))
    assert any("pg_wal" in where for where, _ in files)
    found = [
        f"{what} in {where}"
        for where, text in rows + files
        for value, what in traces.items()
        if value in text
    ]
    found += [
        f"{what} in {where}"
        for where, text in files
        for value, what in wire.items()
        if value.decode("latin-1") in text
    ]
    assert found == []
    # the search reads what is on disk: the device's public key, which is kept, is found
    opened = next(
        orjson.loads(body)
        for body in officer.execute_script("return window.sentBodies")
        if "officerKey" in body
    )
    device_key = base64.urlsafe_b64decode(opened["supporterKey"] + "=").decode("latin-1")
    assert any(device_key in text for where, text in files if "pg_wal" in where)
    # the officer's pseudonym is nowhere in the conversations database either
    conversations_rows = [text for where, text in rows if where.startswith("wnwa_conversations")]
    for value, what in officer_is.items():
        assert all(value not in text for text in conversations_rows), what
    return traces, wire
