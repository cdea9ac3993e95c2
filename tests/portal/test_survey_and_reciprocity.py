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
