"""The portal in a real browser: officers, a peer supporter, an applicant and two vetters."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver import Chrome as WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.wait import WebDriverWait

from tests.portal.conftest import DESKTOP, PHONE, accessibility_violations
from tests.support.mail import Sink
from tests.support.stack import Stack

pytestmark = pytest.mark.slow
Browser = Callable[[], WebDriver]


def wait(driver: WebDriver, seconds: float = 20) -> WebDriverWait[WebDriver]:
    # while a page is being replaced (a redirect after sign-in), an element just found may
    # leave the document before its text is read: Chromium then answers "unknown error: Node
    # with given id does not belong to the document" rather than a stale element, so both
    # mean "look again" until the wait runs out
    return WebDriverWait(
        driver, seconds, ignored_exceptions=(StaleElementReferenceException, WebDriverException)
    )


def shoot(driver: WebDriver, folder: Path, name: str) -> None:
    """Save the whole page at phone and desktop widths; axe-core checks it at both."""
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        driver.set_window_size(width, height)
        assert accessibility_violations(driver) == [], (name, label)
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height, int(full) + 120), 6000))
        driver.save_screenshot(str(folder / f"{name}-{label}.png"))
    driver.set_window_size(*DESKTOP)


def sign_in(driver: WebDriver, stack: Stack, email: str) -> None:
    """Through the portal's sign-in page and the development IdP's account page."""
    driver.get(f"{stack.gateway}/sign-in")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.CSS_SELECTOR, "#email-form button[type=submit]").click()
    account = email.split("@")[0]
    wait(driver).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, f'button[name=account][value="{account}"]'))
    ).click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "welcome"), "Signed in"))


def no_policy_violations(driver: WebDriver) -> None:
    """Nothing the pages load or run is blocked by their Content-Security-Policy."""
    logs = driver.get_log("browser")  # type: ignore[no-untyped-call]
    problems = [
        entry["message"]
        for entry in logs
        if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"
    ]
    # without a session the renewal is refused (401): that is how a page learns it
    problems = [message for message in problems if "/auth/refresh" not in message]
    assert problems == []


def nothing_stored(driver: WebDriver) -> None:
    stored = driver.execute_script("return localStorage.length + sessionStorage.length")
    assert stored == 0
    assert "?" not in driver.current_url


def test_the_sign_in_page_says_what_is_recorded_before_sign_in(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    driver.get(f"{stack.gateway}/")
    driver.find_element(By.CSS_SELECTOR, "#main a[href='/sign-in']").click()
    wait(driver).until(ready.url_contains("/sign-in"))
    statement = driver.find_element(By.ID, "what-we-record")
    assert statement.is_displayed()
    assert "Never recorded" in statement.text
    assert driver.find_element(By.CSS_SELECTOR, "#crisis a[href='tel:988']").is_displayed()
    shoot(driver, screenshots, "sign-in")
    no_policy_violations(driver)


def test_an_officer_finds_supporters_elsewhere_and_a_professional(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "dana.whitlock@harlow-park.pd.example")
    shoot(driver, screenshots, "home-officer")

    driver.get(f"{stack.gateway}/supporters")
    # everyone by default (those on call first), not only who is on call now
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    results = driver.find_elements(By.CSS_SELECTOR, "#results .result")
    assert results
    for result in results:
        assert "Harlow Park" not in result.find_element(By.CSS_SELECTOR, ".meta").text
        call = result.find_element(By.LINK_TEXT, "Call")
        assert (call.get_attribute("href") or "").startswith("tel:+1")
    nothing_stored(driver)
    shoot(driver, screenshots, "supporters")

    driver.get(f"{stack.gateway}/professionals")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown"))
    first = driver.find_element(By.CSS_SELECTOR, "#results .result")
    name = first.find_element(By.TAG_NAME, "h3").text
    first.find_element(By.XPATH, ".//button[normalize-space()='Show listing']").click()
    listing = wait(driver).until(lambda d: first.find_element(By.CSS_SELECTOR, ".listing"))
    assert "Insurance" in listing.text
    assert (listing.find_element(By.LINK_TEXT, "Call").get_attribute("href") or "").startswith(
        "tel:"
    )
    assert name
    nothing_stored(driver)
    shoot(driver, screenshots, "professionals")

    driver.get(f"{stack.gateway}/resources")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#groups .result"))
    assert "988" in driver.find_element(By.ID, "groups").text
    shoot(driver, screenshots, "resources")
    no_policy_violations(driver)


def test_a_peer_supporter_creates_a_profile_and_flips_availability(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "marcus.oyelaran@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/my-profile")
    form = wait(driver).until(ready.visibility_of_element_located((By.ID, "profile")))
    if driver.find_element(By.ID, "profile-title").text == "Create your profile":
        # a bad ZIP code first: the API's message appears next to the field
        fill(driver, "displayName", "Marcus O.")
        fill(driver, "phone", "+13125550199")
        fill(driver, "zipCode", "999")
        driver.find_element(By.ID, "area-CRITICAL_INCIDENTS").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        error = wait(driver).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#zipCode + .field-error")
        )
        assert "ZIP" in error.text
        fill(driver, "zipCode", "60601")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(driver).until(ready.text_to_be_present_in_element((By.ID, "profile-status"), "saved"))
    switch = wait(driver).until(ready.element_to_be_clickable((By.ID, "available-now")))
    assert switch.get_attribute("aria-pressed") == "false"
    switch.click()
    wait(driver).until(lambda d: switch.get_attribute("aria-pressed") == "true")
    assert "available now" in driver.find_element(By.ID, "availability-state").text
    shoot(driver, screenshots, "my-profile")
    # the switch holds after a reload: it came from the API, not from the page
    driver.refresh()
    switch = wait(driver).until(ready.element_to_be_clickable((By.ID, "available-now")))
    wait(driver).until(lambda d: switch.get_attribute("aria-pressed") == "true")
    switch.click()
    wait(driver).until(lambda d: switch.get_attribute("aria-pressed") == "false")

    # the anonymous monthly report
    fill(driver, "report-count", "3")
    driver.find_element(By.CSS_SELECTOR, "#report button[type=submit]").click()
    wait(driver).until(
        lambda d: (
            "counted" in d.find_element(By.ID, "report-status").text
            or d.find_elements(By.CSS_SELECTOR, "#report .field-error")
        )
    )
    assert "counted" in driver.find_element(By.ID, "report-status").text
    no_policy_violations(driver)


def fill(driver: WebDriver, element_id: str, value: str) -> WebElement:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(value)
    return element


def set_value(driver: WebDriver, element: WebElement, value: str) -> None:
    """Date inputs take typed text in the browser's locale: set the value directly."""
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element,
        value,
    )


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_an_application_sent_through_the_form_is_approved_by_two_vetters(
    stack: Stack, open_browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    applicant = open_browser()
    applicant.get(f"{stack.gateway}/apply")
    shoot(applicant, screenshots, "apply")
    # first without documents or availability, and with no experience treating officers:
    # field errors beside the fields, the network's minimum named
    fill(applicant, "fullName", "Jordan Quill")
    fill(applicant, "leYears", "0")
    applicant.find_element(By.CSS_SELECTOR, "#application button[type=submit]").click()
    years = wait(applicant).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#leYears + .field-error")
    )
    assert "at least 1 year of experience treating" in years.text
    assert "correct" in applicant.find_element(By.ID, "status").text
    shoot(applicant, screenshots, "apply-errors")

    fill(applicant, "credentials", "PsyD")
    fill(applicant, "email", "jordan.quill@example.org")
    fill(applicant, "phone", "+13125550123")
    applicant.find_element(By.CSS_SELECTOR, "#licenses select[name=licenseType]").send_keys(
        "Psychologist"
    )
    licenses = applicant.find_element(By.ID, "licenses")
    licenses.find_element(By.NAME, "number").send_keys("071-009999")
    licenses.find_element(By.NAME, "state").send_keys("IL")
    expires = (datetime.date.today() + datetime.timedelta(days=700)).isoformat()
    set_value(applicant, licenses.find_element(By.NAME, "expiresOn"), expires)
    locations = applicant.find_element(By.ID, "locations")
    for name, value in (
        ("street", "200 W Adams St"),
        ("city", "Chicago"),
        ("state", "IL"),
        ("zipCode", "60606"),
    ):
        locations.find_element(By.NAME, name).send_keys(value)
    applicant.find_element(By.ID, "specialty-TRAUMA_AND_PTSD").click()
    association = wait(applicant).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#association option[value=APA]")
    )
    association.click()
    applicant.find_element(By.ID, "disciplinary-no").click()
    fill(applicant, "leYears", "6")
    fill(applicant, "leExperience", "Six years as a police department's contracted clinician.")
    applicant.find_element(By.ID, "selfPay").click()
    applicant.find_element(By.ID, "within24").click()
    for index, field in enumerate(("doc-license", "doc-cv", "doc-insurance")):
        document = tmp_path / f"document-{index}.pdf"
        document.write_bytes(PDF)
        applicant.find_element(By.ID, field).send_keys(str(document))
    applicant.find_element(By.CSS_SELECTOR, "#application button[type=submit]").click()
    wait(applicant, 30).until(lambda d: d.find_element(By.ID, "status").text != "Sending…")
    problems = [e.text for e in applicant.find_elements(By.CSS_SELECTOR, ".field-error, #status")]
    done = applicant.find_element(By.ID, "done")
    assert done.is_displayed(), problems
    reference = applicant.find_element(By.ID, "reference").text
    assert reference.startswith("PRO-")
    secret = applicant.find_element(By.ID, "status-secret").text
    assert len(secret) >= 20
    assert "your application is in" in done.text
    no_policy_violations(applicant)

    first = open_browser()
    sign_in(first, stack, "morgan.ellery@staff.wnwa.example")
    vote(first, stack, reference, screenshots)
    second = open_browser()
    sign_in(second, stack, "jordan.avery@staff.wnwa.example")
    vote(second, stack, reference, None)

    second.find_element(By.CSS_SELECTOR, "#decision button[type=submit]").click()
    try:
        wait(second).until(
            ready.text_to_be_present_in_element((By.ID, "details"), "Approved (round 1)")
        )
    except TimeoutException:
        refused = [
            e.text
            for e in second.find_elements(
                By.CSS_SELECTOR, "#decision .field-error, #decision .form-errors, #status, #history"
            )
        ]
        raise AssertionError(refused) from None
    history = second.find_element(By.ID, "history").text
    assert "2 of 2 approved" in history
    # each vote names its (pseudonymous) vetter: the other one by a short code, this one as "you"
    assert "you voted approve" in history
    assert re.search(r"vetter \S{6} voted approve", history), history
    shoot(second, screenshots, "vetting-decided")
    no_policy_violations(second)

    # the applicant sees the decision with the reference and the receipt's secret
    applicant.get(f"{stack.gateway}/application-status")
    fill(applicant, "s-reference", reference)
    fill(applicant, "s-secret", "not-the-secret")
    applicant.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()
    wait(applicant).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#s-secret + .field-error"))
    fill(applicant, "s-secret", secret)
    applicant.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()
    wait(applicant).until(ready.text_to_be_present_in_element((By.ID, "result"), "Approved"))
    nothing_stored(applicant)
    shoot(applicant, screenshots, "application-status")
    no_policy_violations(applicant)


def vote(driver: WebDriver, stack: Stack, reference: str, screenshots: Path | None) -> None:
    """Open the application from the queue, assign oneself, schedule if needed, approve."""
    driver.get(f"{stack.gateway}/vetting")
    wait(driver).until(ready.element_to_be_clickable((By.LINK_TEXT, reference))).click()
    details = wait(driver).until(ready.visibility_of_element_located((By.ID, "details")))
    documents = driver.find_elements(By.CSS_SELECTOR, "#documents a")
    assert len(documents) == 3
    assert all((a.get_attribute("href") or "").split("/")[-2] == "documents" for a in documents)
    # the document comes through the portal's own origin with the vetter's session
    start = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(t => done(t.slice(0, 5)));",
        documents[0].get_attribute("href"),
    )
    assert start == "%PDF-"
    driver.find_element(By.ID, "assign").click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "Saved"))
    if "Under review" in details.text:
        at = datetime.datetime.now() + datetime.timedelta(days=3)
        set_value(driver, driver.find_element(By.ID, "schedule-at"), at.strftime("%Y-%m-%dT10:00"))
        driver.find_element(By.CSS_SELECTOR, "#schedule button").click()
        wait(driver).until(
            ready.text_to_be_present_in_element((By.ID, "details"), "Assessment scheduled")
        )
    assert "Ethical Principles of Psychologists" in details.text  # the code to check against
    for box in (
        "licenseVerified",
        "insuranceVerified",
        "responsive",
        "confidentiality",
        "hipaa",
        "codeOfEthics",
    ):
        driver.find_element(By.ID, box).click()
    driver.find_element(By.ID, "vote-approve").click()
    driver.find_element(By.CSS_SELECTOR, "#assessment button[type=submit]").click()
    try:
        wait(driver).until(
            ready.text_to_be_present_in_element((By.ID, "history"), "you voted approve")
        )
    except TimeoutException:
        refused = [
            e.text
            for e in driver.find_elements(
                By.CSS_SELECTOR, "#assessment .field-error, #assessment .form-errors, #status"
            )
        ]
        raise AssertionError(refused) from None
    assert "Deliberation" in details.text
    if screenshots is not None:
        shoot(driver, screenshots, "vetting")


def test_a_coordinator_hides_and_shows_a_supporter_of_their_department(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "priya.castellanos@harlow-park.pd.example")
    driver.get(f"{stack.gateway}/department")
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "department-name"), "Harlow"))
    first = wait(driver).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, "#supporters tbody tr button"))
    )
    assert "Peer supporters" in driver.find_element(By.ID, "figures").text
    shoot(driver, screenshots, "department")
    name = first.text.removeprefix("Deactivate ")
    first.click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "hidden from search"))
    again = driver.find_element(By.XPATH, f"//button[normalize-space()='Reactivate {name}']")
    again.click()
    wait(driver).until(ready.text_to_be_present_in_element((By.ID, "status"), "shown in search"))
    no_policy_violations(driver)


def test_a_network_admin_sees_departments_providers_resources_and_inquiries(
    stack: Stack, open_browser: Browser, screenshots: Path
) -> None:
    driver = open_browser()
    sign_in(driver, stack, "alex.tarrant@staff.wnwa.example")
    driver.get(f"{stack.gateway}/admin")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#departments tbody tr"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#providers .result"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#resources .result"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#inquiries li"))
    # a wrong ORI: the API's words appear beside the field
    form = driver.find_element(By.ID, "new-department")
    fill(driver, "nd-name", "Portal Test Police Department")
    fill(driver, "nd-ori", "XX")
    fill(driver, "nd-county", "Cook")
    fill(driver, "nd-state", "IL")
    fill(driver, "nd-sworn", "40")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#nd-ori + .field-error"))
    shoot(driver, screenshots, "admin")
    no_policy_violations(driver)


def test_a_department_asks_about_joining(
    stack: Stack, open_browser: Browser, screenshots: Path, mailbox: Sink
) -> None:
    driver = open_browser()
    driver.get(f"{stack.gateway}/join")
    form = driver.find_element(By.ID, "inquiry")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#inquiry .field-error"))
    shoot(driver, screenshots, "join")
    fill(driver, "i-agency", "Marlow Township Police Department")
    fill(driver, "i-name", "Sam Ortiz")
    fill(driver, "i-role", "Chief")
    fill(driver, "i-email", "chief@marlow-township.example")
    fill(driver, "i-message", "How does joining work for a department of 30 officers?")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    receipt = (By.CSS_SELECTOR, "#inquiry .status")
    wait(driver).until(ready.text_to_be_present_in_element(receipt, "reference"))
    assert not driver.find_elements(By.CSS_SELECTOR, "#inquiry .field-error")
    no_policy_violations(driver)
    # the staff hear of it, and the chief gets a receipt, through the development SMTP sink
    expected = {("staff@wnwa.example", True), ("chief@marlow-township.example", False)}
    wait(driver, 30).until(
        lambda d: (
            expected
            <= {(str(m["To"]), "Marlow Township" in str(m["Subject"])) for m in mailbox.messages}
        )
    )


GRAPHQL_FROM_THE_PAGE = (
    "const done = arguments[arguments.length - 1];"
    "fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'},"
    " body: JSON.stringify({query: arguments[0], variables: arguments[1]})})"
    ".then(r => r.json()).then(done);"
)


def test_a_department_books_a_demo_and_moves_it_from_its_link(
    stack: Stack, open_browser: Browser, mailbox: Sink
) -> None:
    """Booking and moving each solve the demo form's puzzle in the browser; both are mailed."""
    admin = open_browser()
    sign_in(admin, stack, "alex.tarrant@staff.wnwa.example")
    publish = (
        "mutation PublishDemoSlot($input: DemoSlotInput!) {"
        " publishDemoSlot(input: $input) { slot { id } errors { field message } } }"
    )
    first_day = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    slots = []
    for days in (40, 41):
        starts_at = (first_day + datetime.timedelta(days=days)).isoformat()
        answer = admin.execute_async_script(
            GRAPHQL_FROM_THE_PAGE, publish, {"input": {"startsAt": starts_at, "format": "VIRTUAL"}}
        )
        slots.append(answer["data"]["publishDemoSlot"]["slot"]["id"])
    email = "scheduler@portal-demo.example"

    visitor = open_browser()
    visitor.get(f"{stack.gateway}/join")
    wait(visitor).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, f'#b-slots input[value="{slots[0]}"]'))
    ).click()
    fill(visitor, "b-agency", "Portal Demo Police Department")
    fill(visitor, "b-name", "Robin Vale")
    fill(visitor, "b-role", "Chief")
    fill(visitor, "b-email", email)
    visitor.find_element(By.CSS_SELECTOR, "#booking button[type=submit]").click()
    wait(visitor, 60).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "#booking .status"), "Booked")
    )

    def mailed(subject: str) -> str:
        def text() -> str | None:
            for message in mailbox.messages:
                if str(message["To"]) == email and subject in str(message["Subject"]):
                    body = message.get_body(preferencelist=("plain",))
                    assert body is not None
                    content: str = body.get_content()
                    return content
            return None

        wait(visitor, 30).until(lambda d: text() is not None)
        return text() or ""

    link = re.search(r"\S+/join#booking=\S+", mailed("is booked"))
    assert link is not None
    visitor = open_browser()  # opened from the mail, as a new page
    visitor.get(link.group(0))
    wait(visitor).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, f'#manage-slots input[value="{slots[1]}"]'))
    ).click()
    visitor.find_element(By.ID, "manage-move").click()
    wait(visitor, 60).until(ready.text_to_be_present_in_element((By.ID, "manage-status"), "Done"))
    assert "moved" in mailed("is moved")
    no_policy_violations(visitor)

    # what the demo holds is put back: the booking canceled, the times withdrawn
    visitor.find_element(By.ID, "manage-cancel").click()
    wait(visitor).until(ready.text_to_be_present_in_element((By.ID, "manage-when"), "canceled"))
    withdraw = (
        "mutation WithdrawDemoSlot($id: ID!) {"
        " withdrawDemoSlot(id: $id) { slot { id } errors { field message } } }"
    )
    for slot in slots:
        answer = admin.execute_async_script(GRAPHQL_FROM_THE_PAGE, withdraw, {"id": slot})
        assert answer["data"]["withdrawDemoSlot"]["errors"] == [], answer


def test_the_department_type_ahead_leads_to_that_departments_sign_in(
    stack: Stack, open_browser: Browser
) -> None:
    # before anyone signs in: the picker lists the departments whose sign-in is configured
    driver = open_browser()
    driver.get(f"{stack.gateway}/sign-in")
    field = wait(driver).until(ready.visibility_of_element_located((By.ID, "department-name")))
    field.send_keys("fenw")
    wait(driver).until(ready.visibility_of_element_located((By.ID, "department-options")))
    assert field.get_attribute("aria-expanded") == "true"
    field.send_keys(Keys.ARROW_DOWN)
    assert field.get_attribute("aria-activedescendant") == "department-option-0"
    field.send_keys(Keys.ENTER)
    assert "Fenwood" in (field.get_attribute("value") or "")
    driver.find_element(By.CSS_SELECTOR, "#department-form button[type=submit]").click()
    wait(driver).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, 'button[value="ruth.kowalczyk"]'))
    )
