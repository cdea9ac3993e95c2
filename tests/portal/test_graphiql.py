"""GraphiQL on the gateway, on a phone: it opens on the example operations, runs one, keeps
nothing in the browser, has a favicon, and passes axe-core before and after."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.wait import WebDriverWait

from tests.portal.conftest import DESKTOP, PHONE, accessibility_violations
from tests.portal.test_portal import Browser, nothing_stored, sign_in, wait
from tests.portal.test_public import dark
from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def response_of(driver: WebDriver) -> str:
    return str(
        driver.execute_script(
            "const box = document.querySelector('.graphiql-response .CodeMirror');"
            "return box ? box.CodeMirror.getValue() : '';"
        )
    )


def test_graphiql_opens_on_the_examples_and_passes_axe_on_a_phone(
    stack: Stack, open_browser: Browser, screenshots: Path, axe_source: str
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/graphql")
    editor = wait(driver).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, ".graphiql-query-editor"))
    )
    wait(driver).until(lambda d: "query NetworkLists" in editor.text)
    assert "Welcome to GraphiQL" not in driver.page_source
    opened = driver.execute_script(
        "return document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    for name in ("SupportersNearby", "ProfessionalsByInsurance", "MyDepartment", "VettingQueue"):
        assert f"query {name}" in opened
    assert accessibility_violations(driver, axe_source) == []
    dark(driver, True)
    assert accessibility_violations(driver, axe_source) == []
    driver.set_window_size(*DESKTOP)
    assert accessibility_violations(driver, axe_source) == []
    dark(driver, False)
    assert accessibility_violations(driver, axe_source) == []
    driver.set_window_size(*PHONE)

    # the run button offers the examples by name; the public one needs no sign-in
    click(driver, (By.CSS_SELECTOR, ".graphiql-execute-button"))
    click(driver, (By.XPATH, "//*[@role='menuitem'][normalize-space()='NetworkLists']"))
    wait(driver).until(lambda d: '"minimumYearsWithOfficers": 1' in response_of(d))
    assert '"code": "es"' in response_of(driver)
    assert accessibility_violations(driver, axe_source) == []

    # the favicon is there (no failed request), and nothing the page ran was blocked
    favicon = driver.execute_script(
        "return fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)"
    )
    assert favicon == 200
    logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
    assert [entry["message"] for entry in logs if entry["level"] == "SEVERE"] == []
    nothing_stored(driver)
    driver.save_screenshot(str(screenshots / "graphiql-phone.png"))

    # signed in on the portal, GraphiQL sends the session cookie: an officer's example runs
    sign_in(driver, stack, "omar.lindqvist@westmere-village.pd.example")
    driver.get(f"{stack.gateway}/graphql")
    click(driver, (By.CSS_SELECTOR, ".graphiql-execute-button"))
    click(driver, (By.XPATH, "//*[@role='menuitem'][normalize-space()='SupportersNearby']"))
    wait(driver).until(lambda d: '"displayName"' in response_of(d))
    assert '"OFFICER"' in response_of(driver)
    assert "UNAUTHENTICATED" not in response_of(driver)


def click(driver: WebDriver, locator: tuple[str, str]) -> None:
    """Click an element GraphiQL may render again at any moment: found afresh until the
    click lands."""

    def clicked(d: WebDriver) -> bool:
        element = ready.element_to_be_clickable(locator)(d)
        if not element:
            return False
        element.click()
        return True

    WebDriverWait(driver, 20, ignored_exceptions=(StaleElementReferenceException,)).until(clicked)
