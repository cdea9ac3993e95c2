"""The same kind of mistake gets the same `extensions.code`, in membership as everywhere."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import ServiceUnderTest


def codes(answer: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in answer["errors"]]


async def test_an_argument_out_of_range_is_bad_user_input(membership: ServiceUnderTest) -> None:
    answer = await membership.graphql("{ annualFeeQuoteCents(swornOfficers: 0) }")
    assert codes(answer) == ["BAD_USER_INPUT"]
    assert "between 1 and 100000" in answer["errors"][0]["message"]


async def test_a_document_that_does_not_validate_says_so(membership: ServiceUnderTest) -> None:
    answer = await membership.graphql("{ membershipFigures { nope } }")
    assert codes(answer) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Cannot query field 'nope'" in answer["errors"][0]["message"]


async def test_a_document_that_does_not_parse_says_so(membership: ServiceUnderTest) -> None:
    answer = await membership.graphql("{ membershipFigures { ")
    assert codes(answer) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_variable_of_the_wrong_type_is_bad_user_input(
    membership: ServiceUnderTest,
) -> None:
    answer = await membership.graphql(
        "query ($n: Int!) { annualFeeQuoteCents(swornOfficers: $n) }", {"n": "many"}
    )
    assert codes(answer) == ["BAD_USER_INPUT"]


async def test_a_database_outage_is_named_and_not_logged_as_a_bug(
    membership: ServiceUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    pool = membership.http._transport._state["pool"]
    await pool.close()  # the database is gone
    caplog.set_level(logging.WARNING)
    answer = await membership.graphql("query Fees { feeTiers { annualFeeCents } }")
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "cannot reach its database" in error["message"]
    assert error["path"] == ["feeTiers"]
    assert "database unavailable" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
