"""Passkeys in a real browser with a virtual authenticator (the DevTools WebAuthn domain),
on the shared stack, served as `localhost`: browsers refuse an IP address as a passkey's
website."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as ready

from tests.portal.conftest import PHONE
from tests.portal.test_portal import no_policy_violations, nothing_stored, shoot, sign_in, wait
from tests.support.stack import Stack

pytestmark = pytest.mark.slow
Browser = Callable[[], WebDriver]


def with_passkeys(driver: WebDriver) -> WebDriver:
    """A platform authenticator that holds discoverable credentials and verifies its user."""
    options = VirtualAuthenticatorOptions()
    options.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
    options.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
    options.has_resident_key = True
    options.has_user_verification = True
    options.is_user_verified = True
    options.is_user_consenting = True
    driver.add_virtual_authenticator(options)
    return driver


def signed_in(driver: WebDriver) -> None:
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "welcome"), "Signed in"))


def passkey_sign_in(driver: WebDriver, stack: Stack) -> None:
    """The passkey button; or the browser's passkey autofill, which a virtual authenticator
    answers by itself as soon as the page asks (then the button is never needed)."""
    driver.get(f"{stack.gateway}/sign-in")
    clicked: list[bool] = []

    def done(d: WebDriver) -> bool:
        with contextlib.suppress(WebDriverException):
            welcome = d.find_elements(By.ID, "welcome")
            if welcome and "Signed in" in welcome[0].text:
                return True
            buttons = d.find_elements(By.ID, "passkey-button")
            if not clicked and buttons and buttons[0].is_enabled():
                buttons[0].click()
                clicked.append(True)
        return False

    wait(driver).until(done)


def test_an_officer_without_a_department_idp_enrolls_and_signs_in_on_a_phone(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = with_passkeys(open_browser())
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/enroll")
    assert driver.find_element(By.CSS_SELECTOR, "#crisis a[href='tel:988']").is_displayed()
    shoot(driver, screenshots, "enroll")
    driver.set_window_size(*PHONE)
    code = driver.find_element(By.ID, "code")
    code.send_keys("nonsense")
    driver.find_element(By.ID, "enroll-button").click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "enroll-status"), "20 letters"))
    code.clear()
    code.send_keys("dem0-kppd-0ffc-r000-0001")  # the README's demo code, typed loosely
    driver.find_element(By.ID, "enroll-button").click()
    signed_in(driver)
    nothing_stored(driver)

    driver.get(f"{stack.gateway}/passkeys")
    # the label is not kept: the page names the passkey by its handle
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "current"), "handle"))
    assert "Badge 101" not in driver.find_element(By.ID, "current").text
    shoot(driver, screenshots, "my-passkeys")
    driver.get(f"{stack.gateway}/auth/logout")
    passkey_sign_in(driver, stack)
    shoot(driver, screenshots, "sign-in-passkey")
    no_policy_violations(driver)


def test_an_sso_officer_adds_a_passkey_and_signs_in_with_it(
    stack: Stack, open_browser: Browser
) -> None:
    driver = with_passkeys(open_browser())
    sign_in(driver, stack, "ruth.kowalczyk@fenwood.pd.example")
    driver.get(f"{stack.gateway}/passkeys")
    add = wait(driver).until(ready.element_to_be_clickable((By.ID, "add-button")))
    assert "30 days" in driver.find_element(By.ID, "add-period").text
    add.click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "passkey is added"))
    driver.get(f"{stack.gateway}/auth/logout")
    passkey_sign_in(driver, stack)
    driver.get(f"{stack.gateway}/passkeys")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "current"), "Works until"))
    no_policy_violations(driver)


def test_a_coordinator_issues_codes_to_print_and_sees_them_waiting(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = with_passkeys(open_browser())
    driver.get(f"{stack.gateway}/enroll")
    driver.find_element(By.ID, "code").send_keys("DEM0-KPPD-C0RD-NATR-0001")
    driver.find_element(By.ID, "enroll-button").click()
    signed_in(driver)
    driver.get(f"{stack.gateway}/codes")
    # the role choices appear once the page knows who is signed in
    wait(driver).until(ready.element_to_be_clickable((By.ID, "role-PEER_SUPPORTER"))).click()
    driver.find_element(By.ID, "labels").send_keys("Badge 130\nBadge 131")
    driver.find_element(By.ID, "issue-button").click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "2 codes issued"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#issued-table tbody tr")
    assert len(rows) == 2
    assert all(len(row.find_element(By.CSS_SELECTOR, ".code").text) == 24 for row in rows)
    assert (driver.find_element(By.ID, "csv-link").get_attribute("href") or "").startswith("blob:")
    handles = [row.find_element(By.CSS_SELECTOR, ".handle").text for row in rows]
    waiting = driver.find_element(By.ID, "open-codes").text
    # labels are not kept: the codes waiting are named by the handles printed with them
    assert all(handle in waiting for handle in handles)
    assert "Badge 13" not in waiting
    assert "Badge 120" not in driver.find_element(By.ID, "passkeys").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#passkeys tbody tr")) >= 1  # one's own
    driver.find_element(By.ID, "revoke-label").send_keys("  badge 131 ")
    driver.find_element(By.ID, "revoke-label-button").click()
    wait(driver).until(
        ready.text_to_be_present_in_element((By.ID, "status"), "0 passkeys revoked, 1 code")
    )
    assert handles[1] not in driver.find_element(By.ID, "open-codes").text
    # a coordinator of a department without an IdP may propose its own
    assert driver.find_element(By.ID, "federation").is_displayed()
    assert driver.find_element(By.ID, "f-secret").get_attribute("type") == "password"
    shoot(driver, screenshots, "codes")
    no_policy_violations(driver)
