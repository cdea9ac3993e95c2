"""Prior experience treating officers is a vetting bar: the network's minimum is a setting,
published for the form, and an application below it is refused field by field."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from servicekit.settings import ConfigurationError
from services.professionals import settings
from tests.conftest import ServiceFactory, ServiceUnderTest
from tests.services.professionals.conftest import (
    EMPTY,
    TODAY,
    application_input,
    clock_on,
    submit,
    table_counts,
)

REQUIREMENTS = "{ applicationRequirements { minimumYearsWithOfficers } }"
FIELD = "input.lawEnforcementExperienceYears"


def refusal(answer: dict[str, Any]) -> dict[str, str]:
    payload = answer["data"]["submitProfessionalApplication"]
    assert payload["reference"] is None
    return {error["field"]: error["message"] for error in payload["errors"]}


async def test_an_application_without_experience_with_officers_is_refused(
    professionals: ServiceUnderTest, db: asyncpg.Connection
) -> None:
    published = await professionals.graphql(REQUIREMENTS)  # no sign-in: the form asks first
    assert published == {"data": {"applicationRequirements": {"minimumYearsWithOfficers": 1}}}
    errors = refusal(
        await submit(
            professionals,
            application_input(lawEnforcementExperienceYears=0, lawEnforcementExperience=None),
        )
    )
    assert errors == {
        FIELD: "The network lists professionals with at least 1 year of experience treating "
        "law-enforcement officers; apply again once you have it."
    }
    assert await table_counts(db) == EMPTY
    missing = application_input()
    del missing["lawEnforcementExperienceYears"]
    assert "years you have treated" in refusal(await submit(professionals, missing))[FIELD]


async def test_the_minimum_is_the_networks_setting(start_service: ServiceFactory) -> None:
    async with start_service(
        "professionals", clock=clock_on(TODAY), MIN_YEARS_WITH_OFFICERS="3"
    ) as stricter:
        published = await stricter.graphql(REQUIREMENTS)
        assert published["data"]["applicationRequirements"]["minimumYearsWithOfficers"] == 3
        short = refusal(await submit(stricter, application_input(lawEnforcementExperienceYears=2)))
        assert "at least 3 years" in short[FIELD]
        enough = await submit(stricter, application_input(lawEnforcementExperienceYears=3))
        assert enough["data"]["submitProfessionalApplication"]["errors"] == []
    async with start_service(
        "professionals", clock=clock_on(TODAY), MIN_YEARS_WITH_OFFICERS="0"
    ) as open_to_all:
        none_yet = await submit(
            open_to_all,
            application_input(lawEnforcementExperienceYears=0, lawEnforcementExperience=None),
        )
        assert none_yet["data"]["submitProfessionalApplication"]["errors"] == []


def test_a_minimum_outside_0_to_70_years_stops_the_service() -> None:
    assert settings.load({"WNWA_ENV": "test"}).min_years_with_officers == 1
    for value in ("-1", "71"):
        with pytest.raises(ConfigurationError, match="MIN_YEARS_WITH_OFFICERS"):
            settings.load({"WNWA_ENV": "test", "WNWA_PROFESSIONALS_MIN_YEARS_WITH_OFFICERS": value})
