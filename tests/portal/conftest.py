"""Headless Chromium (Debian's package) against the shared stack (tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".wnwa" / "screenshots"
PHONE = (360, 800)
DESKTOP = (1280, 900)


@pytest.fixture(scope="package")
def screenshots() -> Path:
    """Where this run saves its screenshots (git-ignored)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def open_browser(tmp_path: Path) -> Iterator[Callable[[], webdriver.Chrome]]:
    """Start fresh headless Chromiums (own profile folder, no cookies); quit them after."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("browser tests need Debian's chromium and chromium-driver (apt-get install)")
    drivers: list[webdriver.Chrome] = []

    def start() -> webdriver.Chrome:
        options = Options()
        options.binary_location = str(CHROMIUM)
        profile = tmp_path / f"profile-{len(drivers)}"
        for argument in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(
            executable_path=str(CHROMEDRIVER), env={**os.environ, "SE_AVOID_STATS": "true"}
        )
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


AXE = Path(__file__).resolve().parents[2] / ".wnwa" / "axe" / "node_modules" / "axe-core"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="package")
def axe_source() -> str:
    """axe-core from the npm registry, installed by `.ci/run` (never fetched by a page)."""
    script = AXE / "axe.min.js"
    if not script.exists():
        pytest.skip("accessibility checks need axe-core: npm install --prefix .wnwa/axe axe-core")
    return script.read_text(encoding="utf-8")


def accessibility_violations(driver: webdriver.Chrome, axe: str | None = None) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page as shown now, one line each."""
    if axe is None:
        script = AXE / "axe.min.js"
        if not script.exists():
            return []  # the dedicated accessibility tests say that axe-core is missing
        axe = script.read_text(encoding="utf-8")
    # injected through the driver, which the page's Content-Security-Policy does not govern
    driver.execute_script(axe)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' @ ' +"
        " v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))"
        ".catch(e => done(['axe failed: ' + e]));",
        WCAG_22_AA,
    )
    return list(result)
