"""An officer in distress always reaches someone, in a real browser at phone width: nobody on
call is never a dead end, the officers' own crisis lines sit beside 988, self-checks never
leave the phone, coordinators see the week's coverage and add their department's own lines,
and the crisis lines open from the app's copy when the network accepts and never answers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.select import Select

from tests.portal.conftest import DESKTOP, PHONE, accessibility_violations
from tests.portal.lie_fi import lie_fi
from tests.portal.test_portal import (
    Browser,
    fill,
    no_policy_violations,
    nothing_stored,
    shoot,
    sign_in,
    wait,
)
from tests.portal.test_public import a_gateway_to_cut_off, dark
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

OFFICERS_LINES = ("tel:+18002675463", "tel:+12064593020")


def in_first_screen(driver: WebDriver, css: str) -> bool:
    """The element is laid out within the first screen, without scrolling."""
    element = driver.find_element(By.CSS_SELECTOR, css)
    bottom = driver.execute_script("return arguments[0].getBoundingClientRect().bottom", element)
    return bool(0 < bottom <= driver.execute_script("return window.innerHeight"))


def both_schemes_pass_axe(driver: WebDriver, axe: str, what: str) -> None:
    for width, height in (PHONE, DESKTOP):
        driver.set_window_size(width, height)
        for scheme in (False, True):
            dark(driver, scheme)
            assert accessibility_violations(driver, axe) == [], (what, width, scheme)
    dark(driver, False)
    driver.set_window_size(*PHONE)


def graphql(driver: WebDriver, query: str, variables: dict[str, Any]) -> Any:
    """One operation from the page, with its session, as its own scripts send them."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/graphql', {method: 'POST', credentials: 'same-origin',"
        " headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({query: arguments[0], variables: arguments[1]})})"
        ".then(r => r.json()).then(done, e => done({errors: [String(e)]}));",
        query,
        variables,
    )


SUPPORTERS = """query($filter: PeerSupporterFilter) { searchPeerSupporters(filter: $filter,
  first: 100) { matches { supporter { zipCode availableNow } } } }"""


def a_place_where_nobody_is_on_call(driver: WebDriver) -> str | None:
    """A ZIP code whose supporters within 25 miles are all off call now (the demo runs on the
    real clock: its shifts leave some county off call at any hour)."""
    answer = graphql(driver, SUPPORTERS, {"filter": {}})
    matches = answer["data"]["searchPeerSupporters"]["matches"]
    for zip_code in sorted({m["supporter"]["zipCode"] for m in matches}):
        near = {"near": {"zipCode": zip_code, "withinMiles": 25}}
        around = graphql(driver, SUPPORTERS, {"filter": near})
        found = around["data"]["searchPeerSupporters"]["matches"]
        if found and not any(m["supporter"]["availableNow"] for m in found):
            return str(zip_code)
    return None


def test_with_nobody_near_on_call_the_first_screen_offers_someone_on_call_elsewhere(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "dana.whitlock@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/supporters")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    # everyone by default, on call first: "only those on call" is not ticked
    assert driver.find_element(By.ID, "availableNow").is_selected() is False
    flags = [
        "badge now" in (badge.get_attribute("class") or "")
        for badge in driver.find_elements(By.CSS_SELECTOR, "#results .result h3 .badge")
    ]
    assert flags == sorted(flags, reverse=True)  # on call first
    zip_code = a_place_where_nobody_is_on_call(driver)
    if zip_code is None:
        pytest.skip("every place in the demo has someone on call at this hour")

    driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    fill(driver, "zip", zip_code)
    Select(driver.find_element(By.ID, "miles")).select_by_value("25")
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "off call"))
    who = wait(driver).until(ready.visibility_of_element_located((By.ID, "who-to-call")))
    # the demo has someone on call at every hour: the distance is left out, and said
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "who-title"), "On call now"))
    assert "leaving out the distance" in who.text
    assert "Nobody" not in who.text
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#any-hour li a.call"))
    links = [a.get_attribute("href") for a in who.find_elements(By.CSS_SELECTOR, "a")]
    assert {"tel:988", "sms:988", *OFFICERS_LINES} <= set(links)
    # someone to call, on the first screen of a phone, under the banner's lines
    driver.execute_script("window.scrollTo(0, 0)")
    for css in (
        "#who-list li:first-child a.call",
        "#crisis a[href='tel:988']",
        "#crisis a[href='sms:988']",
        "#crisis a[href='tel:+18002675463']",
        "#crisis a[href='tel:+12064593020']",
    ):
        assert in_first_screen(driver, css), css
    shoot(driver, screenshots, "supporters-nobody-near-on-call")
    driver.set_window_size(*PHONE)
    both_schemes_pass_axe(driver, axe_source, "supporters, nobody near on call")

    # one tap: everyone, the filters cleared
    shown = len(driver.find_elements(By.CSS_SELECTOR, "#results .result"))
    everyone = driver.find_element(By.ID, "see-everyone")
    assert everyone.text == "See everyone"
    everyone.click()
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .result")) > shown)
    assert driver.find_element(By.ID, "zip").get_attribute("value") == ""
    nothing_stored(driver)
    no_policy_violations(driver)


def test_a_search_that_finds_nobody_still_offers_someone(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "dana.whitlock@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/supporters")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    driver.find_element(By.ID, "availableNow").click()
    Select(driver.find_element(By.ID, "language")).select_by_value("yi")  # nobody speaks it
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    who = wait(driver).until(ready.visibility_of_element_located((By.ID, "who-to-call")))
    wait(driver).until(
        ready.text_to_be_present_in_element((By.ID, "who-why"), "leaving out the language")
    )
    assert driver.find_elements(By.CSS_SELECTOR, "#who-list li a.call")
    assert "On call now" in who.text
    assert "Nobody" not in who.text
    assert driver.find_element(By.ID, "see-everyone").is_displayed()
    both_schemes_pass_axe(driver, axe_source, "supporters, nothing found")

    # professionals: nothing found is never the end either
    driver.get(f"{stack.gateway}/professionals")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    fill(driver, "zip", "99501")  # Anchorage: no demo professional within 10 miles
    Select(driver.find_element(By.ID, "miles")).select_by_value("10")
    driver.find_element(By.ID, "anyHour").click()
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    nothing = wait(driver).until(ready.visibility_of_element_located((By.ID, "nothing")))
    assert {"tel:988", *OFFICERS_LINES} <= {
        a.get_attribute("href") for a in nothing.find_elements(By.CSS_SELECTOR, "a")
    }
    assert nothing.find_element(By.CSS_SELECTOR, "a[href='/supporters']")
    assert not driver.find_element(By.ID, "any-hour").is_displayed()  # asked for already
    both_schemes_pass_axe(driver, axe_source, "professionals, nothing found")
    shoot(driver, screenshots, "professionals-nothing-found")
    driver.find_element(By.ID, "clear").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .result"))
    assert not driver.find_element(By.ID, "nothing").is_displayed()

    # the resources: the officers' own lines right after 988
    driver.get(f"{stack.gateway}/resources")
    crisis = wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#groups section:first-child .result")
    )
    calls = [r.find_element(By.CSS_SELECTOR, "a.call").get_attribute("href") for r in crisis[:3]]
    assert calls == ["tel:988", *OFFICERS_LINES]
    nothing_stored(driver)
    no_policy_violations(driver)


def test_the_crisis_page_and_banner_carry_the_officers_own_lines(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/crisis")
    for href in OFFICERS_LINES:
        assert driver.find_element(By.CSS_SELECTOR, f"#crisis a[href='{href}']").is_displayed()
        assert driver.find_element(By.CSS_SELECTOR, f"#crisis-lines a[href='{href}']")
    assert "1-800-COPLINE" in driver.find_element(By.ID, "crisis-lines").text


ANSWER_SET = [2, 2, 2, 1, 1, 1, 1, 0, 0]  # PHQ-9: 10, moderate, item 9 "not at all"

RECORD_REQUESTS = """
window.__sent = [];
const original = window.fetch;
window.fetch = (input, init) => {
  window.__sent.push(String(input) + ' ' + ((init && init.body) || ''));
  return original(input, init);
};
const beacon = navigator.sendBeacon.bind(navigator);
navigator.sendBeacon = (url, data) => {
  window.__sent.push(String(url) + ' ' + String(data));
  return beacon(url, data);
};
"""


def requests_made(driver: WebDriver) -> list[str]:
    """Every request the page has made (resource timing: fetch, XHR, beacons, files)."""
    names = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return list(names)


def answer(driver: WebDriver, instrument: str, answers: list[int]) -> None:
    for item, points in enumerate(answers):
        box = driver.find_element(By.ID, f"{instrument}-{item}-{points}")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()


def test_a_self_check_is_scored_on_the_phone_and_sends_nothing(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/self-check")
    assert "never leave this device" in driver.find_element(By.ID, "private").text
    sources = driver.find_element(By.ID, "sources").text
    for origin in ("Kroenke", "Spitzer", "National Center for PTSD", "Bush", "public domain"):
        assert origin in sources
    assert "31\N{EN DASH}33" in sources  # the PCL-5's cut-point
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.ready.then(() => done(true));"
    )
    driver.execute_script(RECORD_REQUESTS)
    before = requests_made(driver)

    driver.find_element(By.CSS_SELECTOR, "#check-phq9 > summary").click()
    answer(driver, "phq9", ANSWER_SET[:8])
    urgent = driver.find_element(By.CSS_SELECTOR, "#check-phq9 .urgent")
    assert not urgent.is_displayed()
    # item 9 answered "several days": the crisis lines at once, before any score
    driver.find_element(By.ID, "phq9-8-1").click()
    assert urgent.is_displayed()
    assert {"tel:988", *OFFICERS_LINES} <= {
        a.get_attribute("href") for a in urgent.find_elements(By.CSS_SELECTOR, "a")
    }
    both_schemes_pass_axe(driver, axe_source, "self-check, item 9")
    driver.find_element(By.ID, "phq9-8-0").click()
    assert not urgent.is_displayed()
    form = driver.find_element(By.CSS_SELECTOR, "#check-phq9 form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    outcome = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#check-phq9 .outcome h2")
    )
    assert outcome.text == "PHQ-9: 10 of 27"
    result = driver.find_element(By.CSS_SELECTOR, "#check-phq9 .outcome").text
    assert "Moderate (10\N{EN DASH}14)" in result
    assert "Find a peer supporter" in result
    assert "Show professionals for depression" in result
    # an unanswered questionnaire says which answers are missing, beside them
    driver.find_element(By.CSS_SELECTOR, "#check-gad7 > summary").click()
    gad = driver.find_element(By.CSS_SELECTOR, "#check-gad7 form")
    answer(driver, "gad7", [3, 3, 3])
    gad.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    missing = gad.find_elements(By.CSS_SELECTOR, "fieldset[aria-invalid=true] .field-error")
    assert len(missing) == 4
    both_schemes_pass_axe(driver, axe_source, "self-check, scored")
    shoot(driver, screenshots, "self-check")

    # nothing left the page, nothing was kept: no request, no storage, no cookie, no address
    assert driver.execute_script("return window.__sent") == []
    assert requests_made(driver) == before
    assert driver.execute_script("return document.cookie") == ""
    nothing_stored(driver)
    databases = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "indexedDB.databases().then(d => done(d.length), () => done(-1));"
    )
    assert databases == 0
    kept = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "caches.keys().then(async names => { const urls = [];"
        " for (const n of names)"
        "  for (const k of await (await caches.open(n)).keys()) urls.push(k.url);"
        " done(urls); });"
    )
    assert not [url for url in kept if "?" in url or "graphql" in url]

    # asking for professionals is a separate act: it sends the specialty, never an answer
    driver.find_element(
        By.XPATH, "//button[normalize-space()='Show professionals for depression']"
    ).click()
    wait(driver).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#check-phq9 .outcome"), "Sign in")
    )
    sent = driver.execute_script("return window.__sent")
    searches = [json.loads(line.split(" ", 1)[1]) for line in sent if line.startswith("/graphql")]
    assert searches
    for body in searches:
        assert body["variables"] == {"search": {"specialty": "DEPRESSION"}}
    # the one other: renewing a session, an empty JSON body (this visitor has none)
    assert [line for line in sent if not line.startswith("/graphql")] in ([], ["/auth/refresh {}"])
    no_policy_violations(driver)


def test_a_coordinator_sees_the_weeks_gaps_and_adds_the_departments_own_line(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    # the coordinator's hours are named in the phone's zone: the network's home, here
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/Chicago"})
    sign_in(driver, stack, "priya.castellanos@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/department")
    section = wait(driver).until(ready.visibility_of_element_located((By.ID, "coverage-section")))
    wait(driver).until(lambda d: section.find_elements(By.CSS_SELECTOR, ".coverage h3"))
    assert section.find_element(By.ID, "cv-state").get_attribute("value") == "IL"
    text = section.find_element(By.CSS_SELECTOR, ".coverage").text
    assert "Nobody on call anywhere in the network" in text
    assert "Nobody on call in IL" in text
    assert "Hours only your supporters cover in IL" in text
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None  # "The week of Dec 7, 2026"
    # the demo has someone on call at every hour of the week (services/directory/demo.py)
    gaps = section.find_element(By.CSS_SELECTOR, "#gaps-network").find_element(
        By.XPATH, "following-sibling::*[1]"
    )
    assert "every hour has someone on call" in gaps.text
    section.find_element(By.CSS_SELECTOR, "details > summary").click()
    rows = section.find_elements(By.CSS_SELECTOR, "table.hours tbody tr")
    assert len(rows) == 7
    assert not section.find_elements(By.CSS_SELECTOR, "table.hours td.gap")
    both_schemes_pass_axe(driver, axe_source, "department, coverage")

    # the department's own line: a wrong number first, then the chaplain
    lines = driver.find_element(By.ID, "lines-section")
    fill(driver, "l-title", "Chaplain Ruth Adeyemi")
    fill(driver, "l-description", "Our chaplain, any faith or none; she keeps what you say.")
    Select(driver.find_element(By.ID, "l-category")).select_by_value("CHAPLAIN")
    fill(driver, "l-phone", "call me")
    lines.find_element(By.CSS_SELECTOR, "#line button[type=submit]").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#l-phone + .field-error"))
    fill(driver, "l-phone", "+13125550177")
    lines.find_element(By.CSS_SELECTOR, "#line button[type=submit]").click()
    wait(driver).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#lines-section .status"), "Added")
    )
    both_schemes_pass_axe(driver, axe_source, "department, own lines")
    shoot(driver, screenshots, "department-coverage-and-lines")

    # Harlow Park's officer sees it, marked; Fenwood's does not
    officer = open_browser()
    officer.set_window_size(*PHONE)
    sign_in(officer, stack, "dana.whitlock@harlow-park.pd.example")
    officer.get(f"{stack.gateway}/resources")
    own = wait(officer).until(
        lambda d: d.find_element(By.XPATH, "//li[h3[contains(., 'Chaplain Ruth Adeyemi')]]")
    )
    assert "Your department" in own.find_element(By.CSS_SELECTOR, ".mark").text
    assert own.find_element(By.CSS_SELECTOR, "a.call").get_attribute("href") == "tel:+13125550177"
    both_schemes_pass_axe(officer, axe_source, "resources, own department")
    other = open_browser()
    sign_in(other, stack, "ruth.kowalczyk@fenwood.pd.example")
    other.get(f"{stack.gateway}/resources")
    wait(other).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#groups .result"))
    assert "Chaplain Ruth Adeyemi" not in other.find_element(By.ID, "groups").text

    # retired again, so the demo is as it was for its officers
    retire = ".//button[contains(., 'Retire \N{LEFT DOUBLE QUOTATION MARK}Chaplain Ruth')]"
    lines.find_element(By.XPATH, retire).click()
    wait(driver).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#lines-section .status"), "retired")
    )
    no_policy_violations(driver)

    admin = open_browser()
    sign_in(admin, stack, "alex.tarrant@staff.wnwa.example")
    admin.get(f"{stack.gateway}/admin")
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#coverage-section .coverage h3"))
    wait(admin).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#cv-department option")) > 1)
    assert "Hours only" not in admin.find_element(By.ID, "coverage-section").text
    no_policy_violations(admin)


def test_on_lie_fi_the_crisis_lines_open_from_the_apps_copy(
    open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.set_page_load_timeout(20)
    with a_gateway_to_cut_off() as (origin, _), lie_fi(int(origin.rsplit(":", 1)[1])) as relay:
        app = f"http://localhost:{relay.port}"
        driver.get(f"{app}/")
        kept = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.serviceWorker.ready.then(async () => {"
            "  const names = await caches.keys();"
            "  const urls = [];"
            "  for (const n of names) for (const k of await (await caches.open(n)).keys())"
            "    urls.push(new URL(k.url).pathname);"
            "  done({names, urls}); });"
        )
        assert [name.startswith("wnwa-public-") for name in kept["names"]] == [True]
        assert "/crisis" in kept["urls"]
        assert "/self-check" in kept["urls"]
        relay.hang()  # connections are still accepted and read; nothing is ever answered

        started = time.monotonic()
        driver.get(f"{app}/crisis")
        opened = time.monotonic() - started
        assert driver.find_element(By.CSS_SELECTOR, "#crisis-lines a[href='tel:+18002675463']")
        assert "Crisis lines" in driver.title
        assert not driver.find_elements(By.ID, "offline")  # the page itself, as kept
        print(f"/crisis on lie-fi: shown in {opened:.2f} s")
        shoot(driver, screenshots, "lie-fi-crisis")

        # a signed-in page the app does not keep: the crisis lines, saying the phone is offline
        started = time.monotonic()
        driver.get(f"{app}/supporters")
        fallback = time.monotonic() - started
        note = driver.find_element(By.ID, "offline")
        assert "offline" in note.text
        assert note.find_element(By.LINK_TEXT, "Try again").get_attribute("href") == (
            f"{app}/supporters"
        )
        assert driver.find_element(By.CSS_SELECTOR, "#crisis-lines a[href='tel:988']")
        print(f"/supporters on lie-fi: crisis lines in {fallback:.2f} s")
        assert accessibility_violations(driver) == []
        # the public pages it keeps: their copy, with the same note
        driver.get(f"{app}/self-check")
        assert driver.find_element(By.ID, "offline")
        wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#check-phq9"))
        assert relay.swallowed > 0  # the requests did reach the relay, and went unanswered
