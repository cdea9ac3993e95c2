"""At 03:10 an officer in crisis opens the portal: whatever their filters, the first screen
shows someone to call — on call now elsewhere, with what was left out to find them, or on
call soonest at a time in the officer's own zone — and the lines that answer now. Never a
bare "nobody".

The directory runs on a fixed clock: one of its own, on a database of its own holding the
night's supporters, behind a gateway of its own; sign-in and every other service are the
shared stack's (the session cookie is the host's, whatever the port)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.select import Select

from gateway.app import create_app as create_gateway
from gateway.settings import load as load_gateway
from servicekit import geo
from servicekit.clock import FixedClock
from servicekit.demo import DEMO_DEPARTMENTS
from servicekit.graphql import InputErrors
from servicekit.migrations import apply_migrations
from servicekit.ports import SUBGRAPHS, peer_setting
from services.directory import settings as directory_settings
from services.directory import store
from services.directory.app import MIGRATIONS, create_app
from services.directory.availability import Weekday, check_schedule
from services.directory.rules import ProfileIn
from tests.portal.test_never_alone import both_schemes_pass_axe, in_first_screen
from tests.portal.test_portal import (
    Browser,
    fill,
    no_policy_violations,
    nothing_stored,
    shoot,
    sign_in,
    wait,
)
from tests.support.database import drop, recreate
from tests.support.servers import free_port, serving_in_thread
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

NIGHT = dt.datetime(2025, 1, 14, 9, 10, tzinfo=dt.UTC)  # Tuesday 03:10 in Chicago
NEXT_NIGHT = NIGHT + dt.timedelta(days=1)  # Wednesday 03:10: Monday night's shift is over
WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
# what the first screen must never be left saying on its own
BARE_NOBODY = re.compile(r"\b(nobody|no one|no supporters?)\b", re.IGNORECASE)


# (name, department, ZIP code, slots): Chicago's own are off call at night; one supporter in
# Denver works Monday night, entered as one slot that runs past midnight; New York's
# mornings start at 05:00 Chicago time
SUPPORTERS = (
    ("Sgt. Rosa Near", "Fenwood", "60601", [(day, "09:00", "17:00") for day in WEEKDAYS]),
    ("Cpl. Ann Nearby", "Ashgrove", "60540", [(day, "09:00", "17:00") for day in WEEKDAYS]),
    ("Det. Lee Denver", "Larkmoor", "80202", [(Weekday.MONDAY, "22:00", "06:00")]),
    ("Lt. Sam Early", "Quillan", "10001", [(day, "06:00", "14:00") for day in WEEKDAYS]),
)


async def night_database(server_url: str, name: str) -> str:
    url = await recreate(server_url, name)
    connection = await asyncpg.connect(url)
    try:
        await apply_migrations(connection, MIGRATIONS)
        for serial, (display_name, where, zip_code, slots) in enumerate(SUPPORTERS):
            place = geo.zip_place(zip_code)
            spans = check_schedule(slots, "slots", InputErrors())
            assert place is not None
            assert place.timezone is not None
            assert spans is not None
            await store.create_supporter(
                db=connection,
                owner_subject=f"night-supporter-{serial}",
                department_id=next(d.id for d in DEMO_DEPARTMENTS if d.name.startswith(where)),
                profile_in=ProfileIn(
                    display_name=display_name,
                    phone=f"+1312555017{serial}",
                    accepts_texts=True,
                    languages=["en"],
                    areas=["critical_incidents"],
                    years_of_service=12,
                    certifications=["ICISF Individual Crisis Intervention and Peer Support"],
                    bio="Invented for a test at night.",
                    gender=None,
                    zip_code=place.zip_code,
                    state=place.state,
                    county=place.county,
                    latitude=place.latitude,
                    longitude=place.longitude,
                    time_zone=place.timezone,
                    spans=spans,
                ),
            )
    finally:
        await connection.close()
    return url


@contextlib.contextmanager
def a_portal_at_night(stack: Stack, postgres_url: str) -> Iterator[tuple[str, FixedClock]]:
    """The portal's origin (``localhost``, a port of its own) whose directory's clock is the
    night's; yields the origin and the clock, which the test moves."""
    clock = FixedClock(NIGHT)
    name = f"test_directory_night_{os.getpid()}"
    database_url = asyncio.run(night_database(postgres_url, name))
    identity = f"http://127.0.0.1:{stack.ports['identity']}"
    tokens = {"WNWA_JWKS_URL": f"{identity}/.well-known/jwks.json", "WNWA_TOKEN_ISSUER": identity}
    settings = directory_settings.load(
        {"WNWA_ENV": "test", "WNWA_DIRECTORY_DATABASE_URL": database_url, **tokens}
    )
    try:
        with serving_in_thread(create_app(settings, clock=clock)) as (directory, _):
            port = free_port()
            peers = {
                peer_setting(
                    "gateway", subgraph
                ): f"http://127.0.0.1:{stack.ports[subgraph]}/graphql"
                for subgraph in SUBGRAPHS
            }
            peers[peer_setting("gateway", "directory")] = f"{directory}/graphql"
            gateway = load_gateway(
                {
                    "WNWA_ENV": "test",
                    "WNWA_PUBLIC_URL": f"http://localhost:{port}",
                    "WNWA_GATEWAY_IDENTITY_ORIGIN": identity,
                    **tokens,
                    **peers,
                }
            )
            with serving_in_thread(create_gateway(gateway), port=port):
                yield f"http://localhost:{port}", clock
    finally:
        asyncio.run(drop(postgres_url, name))


def in_zone(driver: WebDriver, zone: str) -> None:
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})


def panel(driver: WebDriver) -> str:
    """The "who to call" panel's text, once its list or its help is filled in."""
    found = wait(driver).until(ready.visibility_of_element_located((By.ID, "who-to-call")))
    wait(driver).until(
        lambda d: "…" not in found.text and found.find_elements(By.CSS_SELECTOR, "a")
    )
    return str(found.text)


def never_bare_nobody(driver: WebDriver) -> None:
    text = driver.find_element(By.ID, "main").text
    assert not BARE_NOBODY.search(text), text


def test_at_3_am_with_nobody_near_on_call_the_first_screen_offers_someone_now(
    stack: Stack,
    postgres_url: str,
    open_browser: Browser,
    screenshots: Path,
    axe_source: str,
) -> None:
    driver = open_browser()
    driver.set_window_size(390, 844)
    in_zone(driver, "America/Chicago")
    sign_in(driver, stack, "dana.whitlock@harlow-park.pd.example")
    with a_portal_at_night(stack, postgres_url) as (origin, clock):
        # near home, within 25 miles: the two Chicago supporters, both off call at 03:10
        driver.get(f"{origin}/supporters")
        wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
        driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
        fill(driver, "zip", "60601")
        Select(driver.find_element(By.ID, "miles")).select_by_value("25")
        driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
        wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
        text = panel(driver)
        assert "On call now" in text
        assert "Det. Lee Denver" in text
        assert "distance" in text  # what was left out to find him, said
        assert "Sgt. Rosa Near" not in text
        calls = driver.find_elements(By.CSS_SELECTOR, "#who-list a.call")
        assert calls[0].get_attribute("href") == "tel:+13125550172"
        links = {
            a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#who-to-call a")
        }
        assert {"tel:988", "sms:988", "tel:+18002675463", "tel:+12064593020"} <= links
        assert f"{origin}/crisis" in links
        assert f"{origin}/professionals" in links
        never_bare_nobody(driver)
        driver.execute_script("window.scrollTo(0, 0)")
        for css in ("#who-list a.call", "#crisis a[href='tel:988']", "#crisis a[href='sms:988']"):
            assert in_first_screen(driver, css), css
        shoot(driver, screenshots, "night-on-call-elsewhere")
        both_schemes_pass_axe(driver, axe_source, "supporters at night, on call elsewhere")

        # a night later nobody anywhere is on call at 03:10: who comes on call soonest, and
        # when, by the officer's own clock (New York's 06:00 is 05:00 in Chicago)
        clock.at = NEXT_NIGHT
        driver.get(f"{origin}/supporters")
        text = panel(driver)
        assert "On call soonest" in text
        assert "Lt. Sam Early" in text
        assert "on call from 5:00 a.m." in text.lower()
        assert "(in 1 h 50 min)" in text
        assert (
            driver.find_element(By.CSS_SELECTOR, "#who-list a.call").get_attribute("href")
            == "tel:+13125550173"
        )
        never_bare_nobody(driver)
        driver.execute_script("window.scrollTo(0, 0)")
        for css in ("#who-to-call a[href='tel:988']", "#who-to-call a[href='/crisis']"):
            assert in_first_screen(driver, css), css
        shoot(driver, screenshots, "night-on-call-soonest")
        both_schemes_pass_axe(driver, axe_source, "supporters at night, on call soonest")

        # the same officer in Los Angeles: the same moment, said by the phone's own clock
        in_zone(driver, "America/Los_Angeles")
        driver.get(f"{origin}/supporters")
        assert "on call from 3:00 a.m." in panel(driver).lower()

        # the home page, opened first, says whom to call as well
        in_zone(driver, "America/Chicago")
        clock.at = NIGHT
        driver.get(f"{origin}/")
        text = panel(driver)
        assert "Det. Lee Denver" in text
        assert "On call now" in text
        never_bare_nobody(driver)
        shoot(driver, screenshots, "night-home")
        both_schemes_pass_axe(driver, axe_source, "home at night")
        nothing_stored(driver)
        no_policy_violations(driver)
