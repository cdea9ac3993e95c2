"""The public face in a real browser: what a visitor reads, the installed app offline, dark
mode, a refused sign-in, and the fixes officers asked for. axe-core checks every page."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import time
from pathlib import Path
from xml.etree import ElementTree

import aiohttp
import pytest
import uvicorn
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.select import Select

from gateway.app import create_app
from gateway.portal.visits import membership_sender
from gateway.settings import load
from servicekit.portal_frame import FOOTER_LINKS
from tests.portal.conftest import DESKTOP, PHONE, accessibility_violations
from tests.portal.test_portal import (
    Browser,
    fill,
    no_policy_violations,
    set_value,
    shoot,
    sign_in,
    wait,
)
from tests.support.servers import serving_in_thread
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

PUBLIC_PAGES = (
    "/",
    "/about",
    "/faq",
    "/training",
    "/crisis",
    "/self-check",
    "/privacy",
    "/terms",
    "/join",
)
MONTH = re.compile(r"\d{4}-\d{2}")


def dark(driver: WebDriver, on: bool) -> None:
    """The device's colour scheme, as the operating system would set it."""
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]},
    )


def background(driver: WebDriver) -> str:
    return str(
        driver.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
    )


def test_a_visitor_reads_what_the_network_is_at_every_width_and_in_the_dark(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    for path in PUBLIC_PAGES:
        driver.get(f"{stack.gateway}{path}")
        assert "/sign-in" not in driver.current_url  # no bare redirect for a visitor
        assert driver.find_element(By.CSS_SELECTOR, "#crisis a[href='tel:988']").is_displayed()
        footer = driver.find_element(By.CSS_SELECTOR, "footer.foot")
        for href, _ in FOOTER_LINKS:
            assert footer.find_element(By.CSS_SELECTOR, f"a[href='{href}']")
        if path == "/faq":
            wait(driver).until(ready.text_to_be_present_in_element((By.ID, "fee-tiers"), "a year"))
        for width, height in (PHONE, DESKTOP):
            driver.set_window_size(width, height)
            for scheme in (False, True):
                dark(driver, scheme)
                assert accessibility_violations(driver, axe_source) == [], (path, width, scheme)
        dark(driver, False)
        name = path.strip("/") or "welcome"
        shoot(driver, screenshots, f"public-{name}")
    driver.get(f"{stack.gateway}/")
    assert "confidential peer-support network" in driver.find_element(By.ID, "main").text
    no_policy_violations(driver)


def test_dark_mode_follows_the_device(stack: Stack, open_browser: Browser) -> None:
    driver = open_browser()
    driver.get(f"{stack.gateway}/crisis")
    light = background(driver)
    dark(driver, True)
    night = background(driver)
    assert light != night
    channels = [int(c) for c in re.findall(r"\d+", night)[:3]]
    assert max(channels) < 60  # a dark page, not a light one


def a_gateway_to_cut_off() -> contextlib.AbstractContextManager[tuple[str, uvicorn.Server]]:
    """A gateway of its own on loopback, so the test can take the network away for real."""
    return serving_in_thread(create_app(load({"WNWA_ENV": "test"})))


def test_the_installed_app_opens_the_crisis_lines_with_the_network_cut_off(
    open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    with a_gateway_to_cut_off() as (origin, server):
        driver.get(f"{origin}/")
        manifest = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(document.querySelector('link[rel=manifest]').href)"
            ".then(r => r.json()).then(m => done(m.display))"
        )
        assert manifest == "standalone"
        # the worker is installed, has kept the public pages, and controls the page
        cached = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "navigator.serviceWorker.ready.then(async () => {"
            "  const [name] = await caches.keys();"
            "  const keys = await (await caches.open(name)).keys();"
            "  done(keys.map(k => new URL(k.url).pathname)); });"
        )
        assert "/crisis" in cached
        assert not [url for url in cached if url.startswith(("/graphql", "/auth"))]
        server.should_exit = True
    # the gateway is gone: the crisis lines still open, and any page falls back to them
    time.sleep(0.5)
    driver.get(f"{origin}/crisis")
    wait(driver).until(ready.presence_of_element_located((By.CSS_SELECTOR, "a[href='tel:988,1']")))
    assert "Crisis lines" in driver.title
    shoot(driver, screenshots, "offline-crisis")
    driver.get(f"{origin}/supporters")
    wait(driver).until(ready.presence_of_element_located((By.ID, "crisis-lines")))
    assert "Crisis lines" in driver.title


@pytest.mark.parametrize(
    ("email", "next_step"),
    [
        ("casey.morrow@westmere-village.pd.example", "coordinator can switch it on"),
        ("lee.ashdown@wrenfield.pd.example", "no coordinator here to ask"),
    ],
)
def test_a_refused_sign_in_shows_the_crisis_lines_a_next_step_and_a_clean_address(
    stack: Stack, open_browser: Browser, screenshots: Path, email: str, next_step: str
) -> None:
    driver = open_browser()
    driver.get(f"{stack.gateway}/sign-in")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.CSS_SELECTOR, "#email-form button[type=submit]").click()
    account = email.split("@")[0]
    wait(driver).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, f'button[name=account][value="{account}"]'))
    ).click()
    wait(driver).until(ready.text_to_be_present_in_element((By.TAG_NAME, "h1"), "could not sign"))
    assert next_step in driver.find_element(By.ID, "main").text
    assert driver.find_element(By.CSS_SELECTOR, "#crisis a[href='tel:988']").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "link[href='/portal/static/portal.css']")
    wait(driver).until(lambda d: "?" not in d.current_url)  # no code or state left behind
    assert driver.current_url.endswith("/auth/callback")
    for width, height in (PHONE, DESKTOP):
        driver.set_window_size(width, height)
        assert accessibility_violations(driver) == []
    shoot(driver, screenshots, f"refused-{account}")
    # the refusal itself is answered 400; anything else logged would be a fault
    logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
    severe = [e["message"] for e in logs if e["level"] == "SEVERE" or "Security" in e["message"]]
    assert [message for message in severe if "/auth/callback" not in message] == []


def test_on_a_phone_results_come_first_with_the_number_written_out(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "dana.whitlock@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/supporters")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    assert driver.find_element(By.ID, "filters").get_attribute("open") is None
    # a Call in view: the first result's, or while none of them is on call, the first of
    # whom the panel offers (tests/portal/test_never_alone.py checks that state's first screen)
    if driver.find_element(By.ID, "who-to-call").is_displayed():
        call = wait(driver).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#who-list li:first-child a.call")
        )
    else:
        call = driver.find_element(By.CSS_SELECTOR, "#results .result a.call")
    top = driver.execute_script("return arguments[0].getBoundingClientRect().bottom", call)
    assert top <= driver.execute_script("return window.innerHeight")
    number = driver.find_element(By.CSS_SELECTOR, "#results .result .phone").text
    assert re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", number), number
    assert accessibility_violations(driver) == []
    # the filters unfold with one tap
    driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    assert driver.find_element(By.ID, "zip").is_displayed()
    fill(driver, "zip", "00000")
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    error = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#zip + .field-error"))
    assert "don't know this ZIP code" in error.text
    driver.set_window_size(*DESKTOP)
    shoot(driver, screenshots, "supporters-phone")
    no_policy_violations(driver)


def test_a_schedule_error_no_longer_stops_the_profile_saving(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "marcus.oyelaran@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/my-profile")
    form = wait(driver).until(ready.visibility_of_element_located((By.ID, "profile")))
    if driver.find_element(By.ID, "profile-title").text == "Create your profile":
        fill(driver, "displayName", "Marcus O.")
        fill(driver, "phone", "+13125550199")
        fill(driver, "zipCode", "60601")
        driver.find_element(By.ID, "area-CRITICAL_INCIDENTS").click()
    slots_before = len(driver.find_elements(By.CSS_SELECTOR, "#slots .slot"))
    driver.find_element(By.ID, "add-slot").click()
    row = driver.find_elements(By.CSS_SELECTOR, "#slots .slot")[-1]
    # Sunday: a day the demo's Marcus keeps free, so the new hours overlap none of his
    Select(row.find_element(By.CSS_SELECTOR, "select")).select_by_value("SUNDAY")
    start, end = row.find_elements(By.CSS_SELECTOR, "input[type=time]")
    set_value(driver, start, "22:00")
    set_value(driver, end, "22:00")  # a night shift may end the next morning; not when it starts
    save = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    save.click()
    error = wait(driver).until(lambda d: row.find_element(By.CSS_SELECTOR, ".field-error"))
    assert "end at another time than it starts" in error.text
    # corrected, the same form saves: the error note is not read as a slot
    set_value(driver, end, "23:30")
    save.click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "profile-status"), "saved"))
    no_policy_violations(driver)  # and no script error on the way
    driver.refresh()
    wait(driver).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#slots .slot")) > slots_before
    )
    values = [
        slot.get_attribute("value")
        for slot in driver.find_elements(By.CSS_SELECTOR, "#slots .slot input[type=time]")
    ]
    assert "22:00" in values
    assert "23:30" in values


def test_a_coordinator_switches_civilian_access_and_reads_months_by_name(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "priya.castellanos@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/department")
    switch = wait(driver).until(ready.element_to_be_clickable((By.ID, "civilian-access")))
    facts = (By.CSS_SELECTOR, "#membership dl.facts")
    before = wait(driver).until(ready.presence_of_element_located(facts)).text
    for _ in range(2):  # switch, then back, leaving the demo as it was
        label = switch.text
        switch.click()
        wait(driver).until(
            ready.invisibility_of_element_located((By.XPATH, f"//button[.='{label}']"))
        )
        note = (By.CSS_SELECTOR, "#membership .status")
        wait(driver).until(ready.text_to_be_present_in_element(note, "Civilian"))
        switch = driver.find_element(By.ID, "civilian-access")
        after = driver.find_element(*facts).text
        assert after != before  # "Civilian staff may sign in" changed between Yes and No
        before = after
    figures = driver.find_element(By.ID, "figures").text
    assert MONTH.search(figures) is None
    assert accessibility_violations(driver) == []
    shoot(driver, screenshots, "department-civilians")
    no_policy_violations(driver)


def test_an_admin_publishes_news_that_visitors_read_and_feeds_carry(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    admin = open_browser()
    sign_in(admin, stack, "alex.tarrant@staff.wnwa.example")
    admin.get(f"{stack.gateway}/admin")
    form = wait(admin).until(ready.visibility_of_element_located((By.ID, "news-post")))
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#news li"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#n-title + .field-error"))
    fill(admin, "n-title", "Peer-support course in Peoria")
    fill(
        admin,
        "n-body",
        "A **two-day** course for new peer supporters.\n\n"
        "- Day one: listening\n- Day two: critical incidents\n\n"
        "Ask your coordinator. <script>alert('x')</script>",
    )
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    status = (By.CSS_SELECTOR, "#news-post .status")
    wait(admin).until(ready.text_to_be_present_in_element(status, "/news/peer-support-course"))
    assert accessibility_violations(admin) == []
    no_policy_violations(admin)

    visitor = open_browser()
    visitor.get(f"{stack.gateway}/news")
    link = visitor.find_element(By.LINK_TEXT, "Peer-support course in Peoria")
    assert accessibility_violations(visitor) == []
    link.click()
    wait(visitor).until(ready.title_contains("Peer-support course"))
    article = visitor.find_element(By.CSS_SELECTOR, ".article")
    assert article.find_element(By.TAG_NAME, "strong").text == "two-day"
    assert len(article.find_elements(By.CSS_SELECTOR, "ul li")) == 2
    assert "<script>alert('x')</script>" in article.text  # shown as text, never run
    assert not visitor.find_elements(By.CSS_SELECTOR, "main script")
    for width, height in (PHONE, DESKTOP):
        visitor.set_window_size(width, height)
        assert accessibility_violations(visitor) == []
    shoot(visitor, screenshots, "news-post")
    visitor.get(f"{stack.gateway}/figures")
    figures = visitor.find_element(By.ID, "network-figures").text
    assert "Member departments" in figures
    assert "Vetted professionals" in figures
    assert accessibility_violations(visitor) == []
    shoot(visitor, screenshots, "figures")
    no_policy_violations(visitor)

    with stack.browser() as reader:
        feed = reader.get("/news.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(feed.text)  # noqa: S314 (our own feed, in a test)
    titles = [entry.findtext(f"{atom}title") for entry in root.iter(f"{atom}entry")]
    assert "Peer-support course in Peoria" in titles
    assert "&lt;script&gt;" in feed.text  # the HTML content is itself escaped in the XML


def test_a_days_visit_totals_reach_the_figures_page(stack: Stack) -> None:
    """The gateway's sender, for real: a service token from identity, then membership.

    The gateway runs the mutation inside its own process (the public edge refuses service
    tokens), so the test hands it to membership's own endpoint the same way."""
    yesterday = dt.date.today() - dt.timedelta(days=1)

    async def hand_over() -> bool:
        async with aiohttp.ClientSession() as session:

            async def run(
                query: str, variables: dict[str, object], name: str, token: str
            ) -> dict[str, object]:
                async with session.post(
                    f"http://127.0.0.1:{stack.ports['membership']}/graphql",
                    json={"query": query, "variables": variables, "operationName": name},
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    answer: dict[str, object] = await response.json()
                    return answer

            send = membership_sender(
                session,
                f"http://127.0.0.1:{stack.ports['identity']}",
                "dev-service-secret-gateway",
                run,
            )
            return await send(yesterday, 5, 2)

    assert asyncio.run(hand_over())
    with stack.browser() as reader:
        page = reader.get("/figures").text
    assert f"{yesterday:%B} {yesterday.day}, {yesterday.year}" in page
    assert "App installs, last 30 days" in page
