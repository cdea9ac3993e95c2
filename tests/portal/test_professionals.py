"""On a phone: officers filter professionals by language, gender, sessions and new clients,
and an applicant reads the network's minimum and the codes of ethics before applying."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select

from tests.portal.conftest import PHONE, accessibility_violations
from tests.portal.test_portal import (
    Browser,
    no_policy_violations,
    nothing_stored,
    shoot,
    sign_in,
    wait,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def test_an_officer_finds_spanish_speaking_professionals_on_a_phone(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "ruth.kowalczyk@fenwood.pd.example")
    driver.get(f"{stack.gateway}/professionals")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    everyone = len(driver.find_elements(By.CSS_SELECTOR, "#results .result"))
    driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    # the network's one list of languages, by name
    language = Select(driver.find_element(By.ID, "language"))
    wait(driver).until(lambda d: len(language.options) > 40)
    language.select_by_visible_text("Spanish")
    driver.find_element(By.ID, "accepting").click()
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    results = driver.find_elements(By.CSS_SELECTOR, "#results .result")
    assert 0 < len(results) < everyone
    first = results[0]
    first.find_element(By.XPATH, ".//button[normalize-space()='Show listing']").click()
    listing = wait(driver).until(lambda d: first.find_element(By.CSS_SELECTOR, ".listing"))
    facts = listing.text
    assert "Spanish" in facts
    assert "New clients\nAccepting" in facts
    assert "Sessions" in facts
    assert accessibility_violations(driver) == []
    nothing_stored(driver)

    # a gender and a kind of session narrow it further; none may match, and that is said
    if driver.find_element(By.ID, "filters").get_attribute("open") is None:
        driver.find_element(By.CSS_SELECTOR, "#filters > summary").click()
    Select(driver.find_element(By.ID, "gender")).select_by_visible_text("Non binary")
    Select(driver.find_element(By.ID, "modality")).select_by_visible_text("Group")
    driver.find_element(By.CSS_SELECTOR, "#search button[type=submit]").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text not in ("", "Searching…"))
    assert accessibility_violations(driver) == []
    shoot(driver, screenshots, "professionals-filters")
    no_policy_violations(driver)


def test_the_application_names_the_minimum_and_the_codes_of_ethics_on_a_phone(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    driver.get(f"{stack.gateway}/apply")
    # read from the API: the network's setting, not a number written into the page
    wait(driver).until(
        ready.text_to_be_present_in_element(
            (By.ID, "years-hint"), "at least 1 year of experience treating officers"
        )
    )
    assert driver.find_element(By.ID, "leYears").get_attribute("min") == "1"
    association = Select(driver.find_element(By.ID, "association"))
    names = [option.text for option in association.options]
    for name in (
        "American Psychological Association (APA)",
        "American Counseling Association (ACA)",
        "National Association of Social Workers (NASW)",
        "American Association for Marriage and Family Therapy (AAMFT)",
        "Other",
    ):
        assert name in names
    association.select_by_visible_text("National Association of Social Workers (NASW)")
    assert "NASW Code of Ethics" in driver.find_element(By.ID, "code-title").text
    other = driver.find_element(By.ID, "association-other-box")
    assert not other.is_displayed()
    association.select_by_visible_text("Other")
    assert other.is_displayed()
    # the explanation is asked for only after a yes
    explanation = driver.find_element(By.ID, "disciplinary-box")
    assert not explanation.is_displayed()
    driver.find_element(By.ID, "disciplinary-yes").click()
    assert explanation.is_displayed()
    languages = driver.find_elements(By.CSS_SELECTOR, "#languages input[name=language]")
    assert len(languages) > 40
    assert [box.get_attribute("value") for box in languages if box.is_selected()] == ["en"]
    assert accessibility_violations(driver) == []
    shoot(driver, screenshots, "apply-ethics")
    no_policy_violations(driver)
