"""What a reviewer meets first, in a real browser at phone width: an unknown address inside
the portal, old addresses that lead on, a home page that logs nothing, the demo's supporters
with full profiles and someone on call, buttons that say what they dial, the admin's demo
times, and no form a coordinator cannot use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

from tests.portal.conftest import PHONE, accessibility_violations
from tests.portal.test_portal import (
    Browser,
    fill,
    no_policy_violations,
    set_value,
    shoot,
    sign_in,
    wait,
)
from tests.portal.test_public import dark
from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def both_schemes_pass_axe(driver: WebDriver, axe: str, where: str) -> None:
    for scheme in (False, True):
        dark(driver, scheme)
        assert accessibility_violations(driver, axe) == [], (where, scheme)
    dark(driver, False)


def severe_console_entries(driver: WebDriver) -> list[str]:
    logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [entry["message"] for entry in logs if entry["level"] == "SEVERE"]


def test_an_unknown_address_is_a_page_of_the_portal_and_old_ones_lead_on(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/peer-support-for-my-team")
    assert driver.find_element(By.TAG_NAME, "h1").text == "This page does not exist"
    assert driver.find_element(By.CSS_SELECTOR, "#crisis a[href='tel:988']").is_displayed()
    main = driver.find_element(By.ID, "main")
    for href in ("/crisis", "/faq", "/join", "/apply", "/sign-in"):
        assert main.find_element(By.CSS_SELECTOR, f"a[href='{href}']").is_displayed()
    both_schemes_pass_axe(driver, axe_source, "not found")
    shoot(driver, screenshots, "not-found")
    # the browser is told it is a 404, not a page that exists
    status = driver.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus"
    )
    assert status == 404
    for old, new in (
        ("/mental-health-professional-sign-up", "/apply"),
        ("/contact", "/join"),
        ("/members", "/sign-in"),
    ):
        driver.get(f"{stack.gateway}{old}")
        wait(driver).until(ready.url_to_be(f"{stack.gateway}{new}"))


def test_the_public_home_page_asks_nothing_and_logs_nothing(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/")
    asked = "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    wait(driver).until(lambda d: "/auth/renewable" in d.execute_script(asked))
    assert "/auth/refresh" not in driver.execute_script(asked)
    assert severe_console_entries(driver) == []
    # every public page describes itself to search engines and link previews
    description = driver.find_element(By.CSS_SELECTOR, "meta[name=description]")
    assert len(description.get_attribute("content") or "") > 40


def test_the_demos_supporter_finds_a_full_profile_and_someone_is_always_on_call(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "theo.brandt@fenwood.pd.example")
    driver.get(f"{stack.gateway}/my-profile")
    wait(driver).until(ready.visibility_of_element_located((By.ID, "profile")))
    wait(driver).until(
        lambda d: d.find_element(By.ID, "displayName").get_attribute("value") == "Det. Theo B."
    )
    assert driver.find_element(By.ID, "profile-title").text != "Create your profile"
    assert "internal investigation" in (
        driver.find_element(By.ID, "bio").get_attribute("value") or ""
    )
    assert len(driver.find_elements(By.CSS_SELECTOR, "#slots .slot")) >= 5
    both_schemes_pass_axe(driver, axe_source, "my profile, demo supporter")
    shoot(driver, screenshots, "demo-supporter-profile")

    # whatever the hour, the demo has someone on call, and those off call say when they are on
    driver.get(f"{stack.gateway}/supporters")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    assert driver.find_elements(By.CSS_SELECTOR, "#results .result .badge.now")
    assert not driver.find_element(By.ID, "who-to-call").is_displayed()
    later = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#results .result")]
    assert any("On call " in text for text in later)
    no_policy_violations(driver)


def test_the_veterans_crisis_line_button_says_what_it_dials(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "ruth.kowalczyk@fenwood.pd.example")
    driver.get(f"{stack.gateway}/resources")
    button = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#groups a.call[href='tel:988,1']")
    )
    assert button.text == "Call 988, then 1"
    driver.get(f"{stack.gateway}/crisis")
    assert driver.find_element(By.CSS_SELECTOR, "a[href='tel:988,1']").text == "Call 988, then 1"


def test_an_admin_offers_and_withdraws_a_demo_time(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    admin = open_browser()
    admin.set_window_size(*PHONE)
    sign_in(admin, stack, "alex.tarrant@staff.wnwa.example")
    admin.get(f"{stack.gateway}/admin")
    sections = admin.find_element(By.CSS_SELECTOR, "nav[aria-label=Sections]").text
    assert "News and updates" in sections
    assert "Demo times" in sections
    form = wait(admin).until(ready.visibility_of_element_located((By.ID, "demo-slot")))
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#demo-slots li"))
    # a department without a term says so, never "None"
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#departments tr td"))
    cells = [cell.text for cell in admin.find_elements(By.CSS_SELECTOR, "#departments td")]
    assert "None" not in cells
    assert "No term recorded yet" in cells
    # the time is missing: said beside the field; in person without a place: the API says so
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ds-start + .field-error"))
    when = (dt.datetime.now() + dt.timedelta(days=40)).replace(hour=14, minute=30)
    set_value(admin, admin.find_element(By.ID, "ds-start"), when.strftime("%Y-%m-%dT%H:%M"))
    admin.find_element(By.ID, "ds-in-person").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(admin).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ds-place + .field-error"))
    fill(admin, "ds-place", "Harlow Park PD, 100 Main Street, roll-call room")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(admin).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#demo-slot .status"), "Offered")
    )
    offered = wait(admin).until(
        lambda d: d.find_element(
            By.XPATH, "//ul[@id='demo-slots']/li[contains(., 'roll-call room')]"
        )
    )
    assert "Free" in offered.text
    both_schemes_pass_axe(admin, axe_source, "admin, demo times")
    shoot(admin, screenshots, "admin-demo-times")

    visitor = open_browser()
    visitor.set_window_size(*PHONE)
    visitor.get(f"{stack.gateway}/join")
    wait(visitor).until(lambda d: "roll-call room" in d.find_element(By.ID, "main").text)

    offered.find_element(By.XPATH, ".//button[.='Withdraw this time']").click()
    wait(admin).until(
        lambda d: (
            not d.find_elements(
                By.XPATH, "//ul[@id='demo-slots']/li[contains(., 'roll-call room')]"
            )
        )
    )
    visitor.refresh()
    wait(visitor).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#main fieldset"))
    assert "roll-call room" not in visitor.find_element(By.ID, "main").text
    no_policy_violations(admin)


def test_a_coordinator_whose_sign_in_the_operators_set_gets_no_form_to_fill_in_vain(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    # Harlow Park's sign-in comes from the operators' providers file (`wnwa up` writes it)
    sign_in(driver, stack, "priya.castellanos@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/codes")
    note = wait(driver).until(ready.visibility_of_element_located((By.ID, "federation-set")))
    assert "set up by the network's operators" in note.text
    assert not driver.find_element(By.ID, "proposal-form").is_displayed()
    both_schemes_pass_axe(driver, axe_source, "codes, sign-in set by operators")

    # a password field looks like the other fields (the providers form on /admin)
    admin = open_browser()
    admin.set_window_size(*PHONE)
    sign_in(admin, stack, "alex.tarrant@staff.wnwa.example")
    admin.get(f"{stack.gateway}/admin")
    wait(admin).until(ready.visibility_of_element_located((By.ID, "p-secret")))
    style = (
        "const s = getComputedStyle(arguments[0]);"
        "return [s.borderTopWidth, s.borderRadius, s.minHeight, s.paddingLeft, s.fontSize];"
    )
    secret = admin.execute_script(style, admin.find_element(By.ID, "p-secret"))
    client = admin.execute_script(style, admin.find_element(By.ID, "p-client"))
    assert secret == client


def test_the_faq_says_what_a_department_sees_of_a_passkey_at_phone_width(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/faq#department-sees")
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=department-sees]")
    assert "does not ask your department's system" in section.text
    driver.get(f"{stack.gateway}/privacy")
    assert "never the label itself" in driver.find_element(By.ID, "main").text
    driver.get(f"{stack.gateway}/training#who")
    assert (
        "civilian staff where the department has switched civilian"
        in driver.find_element(By.ID, "main").text
    )
