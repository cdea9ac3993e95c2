"""Subscription terms (three years, then one) and fees quoted from editable tiers."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from servicekit.clock import FixedClock
from tests.conftest import ServiceUnderTest
from tests.services.membership.conftest import (
    LEAP_DAY,
    STANDARD_TIERS,
    create_department,
    years_after,
)
from tests.support.tokens import TokenIssuer

SET_TIERS = """
mutation($tiers: [FeeTierInput!]!) {
  setFeeTiers(tiers: $tiers) {
    tiers { minSwornOfficers maxSwornOfficers annualFeeCents }
    errors { field message }
  }
}
"""

RECORD_TERM = """
mutation($id: ID!, $startsOn: Date) {
  recordSubscriptionTerm(departmentId: $id, startsOn: $startsOn) {
    term { kind startsOn endsOn annualFeeCents }
    department { isMember record { status joinedOn } }
    errors { field message }
  }
}
"""

RECORD = """
query($id: ID!) {
  department(id: $id) {
    record {
      annualFeeQuoteCents renewalDue
      currentTerm { kind startsOn endsOn }
      terms { kind startsOn endsOn annualFeeCents }
    }
  }
}
"""


async def set_standard_tiers(membership: ServiceUnderTest, admin_token: str) -> None:
    answer = await membership.graphql(SET_TIERS, {"tiers": STANDARD_TIERS}, token=admin_token)
    assert answer["data"]["setFeeTiers"]["errors"] == []


async def test_tiers_are_data_and_quote_fees(
    membership: ServiceUnderTest, admin_token: str
) -> None:
    await set_standard_tiers(membership, admin_token)
    answer = await membership.graphql(
        "{ small: annualFeeQuoteCents(swornOfficers: 15)"
        " mid: annualFeeQuoteCents(swornOfficers: 16)"
        " large: annualFeeQuoteCents(swornOfficers: 900) feeTiers { minSwornOfficers } }"
    )
    assert answer["data"] == {
        "small": 150000,
        "mid": 300000,
        "large": 500000,
        "feeTiers": [{"minSwornOfficers": 1}, {"minSwornOfficers": 16}, {"minSwornOfficers": 51}],
    }


@pytest.mark.parametrize(
    ("tiers", "field", "words"),
    [
        ([], "tiers", "at least one"),
        ([{"minSwornOfficers": 2, "annualFeeCents": 1}], "tiers.0.minSwornOfficers", "start at 1"),
        (
            [
                {"minSwornOfficers": 1, "maxSwornOfficers": 10, "annualFeeCents": 1},
                {"minSwornOfficers": 12, "annualFeeCents": 2},
            ],
            "tiers.1.minSwornOfficers",
            "start at 11",
        ),
        (
            [{"minSwornOfficers": 1, "maxSwornOfficers": 10, "annualFeeCents": 1}],
            "tiers.0.maxSwornOfficers",
            "every department size",
        ),
        ([{"minSwornOfficers": 1, "annualFeeCents": -5}], "tiers.0.annualFeeCents", "negative"),
    ],
)
async def test_fee_tiers_without_gaps_or_overlaps(
    membership: ServiceUnderTest,
    admin_token: str,
    db: asyncpg.Connection,
    tiers: list[dict[str, int]],
    field: str,
    words: str,
) -> None:
    await set_standard_tiers(membership, admin_token)
    answer = await membership.graphql(SET_TIERS, {"tiers": tiers}, token=admin_token)
    errors = answer["data"]["setFeeTiers"]["errors"]
    assert any(error["field"] == field and words in error["message"] for error in errors), errors
    assert await db.fetchval("SELECT count(*) FROM fee_tiers") == 3  # unchanged


async def test_only_admins_set_tiers(membership: ServiceUnderTest, issuer: TokenIssuer) -> None:
    answer = await membership.graphql(
        SET_TIERS, {"tiers": STANDARD_TIERS}, token=issuer.token("coordinator")
    )
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


ORDINARY_DAY = dt.datetime(2027, 6, 14, 15, 0, tzinfo=dt.UTC)
LEAP_DAY_PLUS_TEN = LEAP_DAY + dt.timedelta(days=10)  # the first term starts on 29 February


@pytest.mark.parametrize("now", [ORDINARY_DAY, LEAP_DAY, LEAP_DAY_PLUS_TEN])
async def test_first_term_lasts_three_years_and_makes_a_member(
    membership: ServiceUnderTest, admin_token: str, clock: FixedClock, now: dt.datetime
) -> None:
    clock.at = now
    await set_standard_tiers(membership, admin_token)
    department = await create_department(membership, admin_token)
    start = clock.today() - dt.timedelta(days=10)
    answer = await membership.graphql(
        RECORD_TERM, {"id": department["id"], "startsOn": start.isoformat()}, token=admin_token
    )
    payload = answer["data"]["recordSubscriptionTerm"]
    assert payload["errors"] == []
    assert payload["term"] == {
        "kind": "FIRST",
        "startsOn": start.isoformat(),
        "endsOn": years_after(start, 3).isoformat(),
        "annualFeeCents": 300000,
    }
    assert payload["department"] == {
        "isMember": True,
        "record": {"status": "ACTIVE", "joinedOn": start.isoformat()},
    }
    record = await membership.graphql(RECORD, {"id": department["id"]}, token=admin_token)
    details = record["data"]["department"]["record"]
    assert details["currentTerm"]["kind"] == "FIRST"
    assert details["renewalDue"] is False
    assert details["annualFeeQuoteCents"] == 300000


@pytest.mark.parametrize("now", [ORDINARY_DAY, LEAP_DAY])
async def test_renewals_follow_on_for_one_year_and_renewal_comes_due(
    membership: ServiceUnderTest,
    admin_token: str,
    db: asyncpg.Connection,
    clock: FixedClock,
    now: dt.datetime,
) -> None:
    clock.at = now
    await set_standard_tiers(membership, admin_token)
    department = await create_department(membership, admin_token)
    # a first term that ends in 30 days: renewal is due (notice period 90 days)
    start = years_after(clock.today() + dt.timedelta(days=30), -3)
    await membership.graphql(
        RECORD_TERM, {"id": department["id"], "startsOn": start.isoformat()}, token=admin_token
    )
    due = await membership.graphql(RECORD, {"id": department["id"]}, token=admin_token)
    assert due["data"]["department"]["record"]["renewalDue"] is True

    too_early = await membership.graphql(
        RECORD_TERM,
        {"id": department["id"], "startsOn": clock.today().isoformat()},
        token=admin_token,
    )
    assert too_early["data"]["recordSubscriptionTerm"]["errors"][0]["field"] == "startsOn"
    assert await db.fetchval("SELECT count(*) FROM subscription_terms") == 1

    renewal = await membership.graphql(RECORD_TERM, {"id": department["id"]}, token=admin_token)
    term = renewal["data"]["recordSubscriptionTerm"]["term"]
    first_end = years_after(start, 3)
    assert term == {
        "kind": "RENEWAL",
        "startsOn": first_end.isoformat(),
        "endsOn": years_after(first_end, 1).isoformat(),
        "annualFeeCents": 300000,
    }
    after = await membership.graphql(RECORD, {"id": department["id"]}, token=admin_token)
    assert after["data"]["department"]["record"]["renewalDue"] is False
    assert [t["kind"] for t in after["data"]["department"]["record"]["terms"]] == [
        "FIRST",
        "RENEWAL",
    ]


async def test_term_needs_a_known_department_and_a_fee(
    membership: ServiceUnderTest, admin_token: str, db: asyncpg.Connection
) -> None:
    unknown = await membership.graphql(
        RECORD_TERM, {"id": "7d1f6c1e-0000-4000-8000-000000000000"}, token=admin_token
    )
    assert unknown["data"]["recordSubscriptionTerm"]["errors"] == [
        {"field": "departmentId", "message": "There is no department with this id."}
    ]
    department = await create_department(membership, admin_token)
    no_tiers = await membership.graphql(RECORD_TERM, {"id": department["id"]}, token=admin_token)
    assert "fee tiers" in no_tiers["data"]["recordSubscriptionTerm"]["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM subscription_terms") == 0
    assert await db.fetchval("SELECT status::text FROM departments") == "prospect"
