"""At phone width, light and dark: a coordinator reads when the department's twelve-month
figure appears, a supporter answers the quarter's survey, and /figures shows the survey."""

from __future__ import annotations

import pytest
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By

from tests.portal.conftest import PHONE, accessibility_violations
from tests.portal.test_portal import Browser, no_policy_violations, sign_in, wait
from tests.portal.test_public import dark
from tests.support.stack import Stack

pytestmark = pytest.mark.slow


def axe_in_both_schemes(driver: WebDriver, what: str) -> None:
    for scheme in (False, True):
        dark(driver, scheme)
        assert accessibility_violations(driver) == [], (what, scheme)
    dark(driver, False)


def test_the_survey_and_the_twelve_month_figure_at_phone_width(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "priya.castellanos@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/department")
    note = driver.find_element(By.ID, "reciprocity-note")
    wait(driver).until(lambda d: "twelve months" in note.text)
    assert "carries deliberate noise" in note.text
    axe_in_both_schemes(driver, "department")
    no_policy_violations(driver)

    driver.get(f"{stack.gateway}/figures")
    survey = driver.find_element(By.ID, "survey")
    assert survey.text == "What peer supporters say"
    assert "deliberate noise" in driver.find_element(By.ID, "main").text
    axe_in_both_schemes(driver, "figures")


def test_a_supporter_answers_the_survey_once_at_phone_width(
    stack: Stack, open_browser: Browser
) -> None:
    driver = open_browser()
    driver.set_window_size(*PHONE)
    sign_in(driver, stack, "marcus.oyelaran@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/my-profile")
    survey = wait(driver).until(
        lambda d: d.find_element(By.ID, "survey").is_displayed() and d.find_element(By.ID, "survey")
    )
    send = survey.find_element(By.CSS_SELECTOR, "button[type=submit]")
    # nothing chosen: each question says what is missing, nothing is sent
    send.click()
    errors = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#survey .field-error"))
    assert len(errors) == 3
    assert all("Choose one answer." in error.text for error in errors)
    axe_in_both_schemes(driver, "survey with errors")
    for fieldset in survey.find_elements(By.CSS_SELECTOR, "fieldset"):
        fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")[0].click()
    send.click()
    status = driver.find_element(By.ID, "survey-status")
    wait(driver).until(lambda d: "counted" in status.text)
    assert not driver.find_elements(By.CSS_SELECTOR, "#survey .field-error")
    # a second answer in the same quarter is refused, with the reason
    for fieldset in survey.find_elements(By.CSS_SELECTOR, "fieldset"):
        fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")[-1].click()
    send.click()
    refused = wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#survey .field-error"))
    assert any("already answered" in error.text for error in refused)
    no_policy_violations(driver)
