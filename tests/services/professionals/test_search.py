"""Signed-in officers search vetted professionals anywhere; nothing about it is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from servicekit.vocabulary import LANGUAGES
from tests.conftest import ServiceUnderTest
from tests.services.professionals.conftest import (
    application_input,
    apply,
    approve_all,
    same_database_on,
    submit,
)
from tests.support.tokens import TokenIssuer

SEARCH = """
query ($search: ProfessionalSearch, $first: Int, $after: String) {
  professionals(search: $search, first: $first, after: $after) {
    nodes { id fullName distanceMiles serviceStates phone website
            availability { answersCallsAnyHour schedulesWithin24Hours }
            insurance { carrier { code } planTypes }
            locations { city state zipCode } }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}
"""


def licence(state: str, expires: str = "2028-06-30") -> dict[str, str]:
    return {"licenseType": "LCSW", "number": f"{state}-4471", "state": state, "expiresOn": expires}


def office(city: str, state: str, zip_code: str) -> dict[str, str]:
    return {"street": "10 Example Ave", "city": city, "state": state, "zipCode": zip_code}


async def seed_listing(service: ServiceUnderTest, db: asyncpg.Connection) -> None:
    await apply(
        service,
        fullName="Avery Lakeshore",
        locations=[office("Chicago", "IL", "60606")],
        insurance=[{"carrier": "bcbs", "planTypes": ["PPO", "HMO"]}],
    )
    await apply(
        service,
        fullName="Blake Evanston",
        locations=[office("Evanston", "IL", "60201")],
        insurance=[{"carrier": "aetna", "planTypes": ["PPO"]}],
        telehealth=False,
        telehealthStates=[],
        selfPay=False,
        answersCallsAnyHour=False,
        schedulesWithin24Hours=True,
        specialties=["SUBSTANCE_USE"],
    )
    await apply(
        service,
        fullName="Casey Portland",
        licenses=[licence("OR")],
        locations=[office("Portland", "OR", "97205")],
        telehealthStates=["OR", "WA"],
        insurance=[{"carrier": "bcbs", "planTypes": ["PPO"]}],
        languages=["en"],
        gender="WOMAN",
        modalities=["GROUP"],
        acceptingNewClients=False,
    )
    await apply(
        service,
        fullName="Dana Naperville",
        locations=[office("Naperville", "IL", "60540")],
        insurance=[{"carrier": "bcbs", "planTypes": ["HMO"]}],
        languages=["Spanish", "pl"],
        gender="NON_BINARY",
        modalities=["FAMILY", "INDIVIDUAL"],
    )
    await approve_all(db)
    # applied after the approvals: still under vetting, never listed
    await apply(service, fullName="Eli Pending", locations=[office("Chicago", "IL", "60601")])


async def search(service: ServiceUnderTest, token: str, **variables: Any) -> dict[str, Any]:
    answer = await service.graphql(SEARCH, variables, token=token)
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"]["professionals"]
    return found


def names(page: dict[str, Any]) -> list[str]:
    return [node["fullName"] for node in page["nodes"]]


async def test_nearest_first_with_insurance_and_commitment(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    await seed_listing(professionals, db)
    near = await search(
        professionals, officer_token, search={"nearZipCode": "60601", "withinMiles": 40}
    )
    assert names(near) == ["Avery Lakeshore", "Blake Evanston", "Dana Naperville"]
    distances = [node["distanceMiles"] for node in near["nodes"]]
    assert distances == sorted(distances)
    assert 0 <= distances[0] < 3
    assert 20 < distances[2] < 35

    typical = await search(
        professionals,
        officer_token,
        search={
            "nearZipCode": "60601",
            "withinMiles": 40,
            "insuranceCarrier": "Blue Cross Blue Shield",
            "planType": "PPO",
            "answersCallsAnyHour": True,
        },
    )
    assert names(typical) == ["Avery Lakeshore"]
    node = typical["nodes"][0]
    assert node["phone"] == "+13125550142"
    assert node["availability"] == {"answersCallsAnyHour": True, "schedulesWithin24Hours": False}
    assert node["locations"] == [{"city": "Chicago", "state": "IL", "zipCode": "60606"}]


async def test_every_filter_narrows_the_list(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    await seed_listing(professionals, db)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["Avery Lakeshore", "Blake Evanston", "Casey Portland", "Dana Naperville"]),
        ({"state": "wa"}, ["Casey Portland"]),  # served by telehealth only
        ({"state": "IL"}, ["Avery Lakeshore", "Blake Evanston", "Dana Naperville"]),
        ({"insuranceCarrier": "bcbs"}, ["Avery Lakeshore", "Casey Portland", "Dana Naperville"]),
        ({"insuranceCarrier": "bcbs", "planType": "HMO"}, ["Avery Lakeshore", "Dana Naperville"]),
        ({"planType": "PPO"}, ["Avery Lakeshore", "Blake Evanston", "Casey Portland"]),
        ({"selfPay": True}, ["Avery Lakeshore", "Casey Portland", "Dana Naperville"]),
        ({"specialty": "SUBSTANCE_USE"}, ["Blake Evanston"]),
        ({"language": "polish"}, ["Dana Naperville"]),
        ({"language": "pl"}, ["Dana Naperville"]),
        ({"language": "es"}, ["Avery Lakeshore", "Blake Evanston", "Dana Naperville"]),
        ({"language": "Spanish"}, ["Avery Lakeshore", "Blake Evanston", "Dana Naperville"]),
        ({"language": "EN"}, ["Avery Lakeshore", "Blake Evanston", "Casey Portland"]),
        ({"gender": "WOMAN"}, ["Casey Portland"]),
        ({"gender": "NON_BINARY", "nearZipCode": "60601"}, ["Dana Naperville"]),
        ({"modality": "COUPLES"}, ["Avery Lakeshore", "Blake Evanston"]),
        ({"modality": "FAMILY", "nearZipCode": "60601"}, ["Dana Naperville"]),
        ({"modality": "GROUP", "state": "WA"}, ["Casey Portland"]),
        (
            {"acceptingNewClients": True},
            ["Avery Lakeshore", "Blake Evanston", "Dana Naperville"],
        ),
        ({"acceptingNewClients": True, "nearZipCode": "97209"}, []),
        ({"telehealth": True}, ["Avery Lakeshore", "Casey Portland", "Dana Naperville"]),
        ({"schedulesWithin24Hours": True}, ["Blake Evanston"]),
        ({"answersCallsAnyHour": True}, ["Avery Lakeshore", "Casey Portland", "Dana Naperville"]),
        ({"nearZipCode": "97209", "withinMiles": 25}, ["Casey Portland"]),
    ]
    for filters, expected in cases:
        assert names(await search(professionals, officer_token, search=filters)) == expected, (
            filters
        )


async def test_one_language_list_for_professionals_and_supporters(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    await seed_listing(professionals, db)
    # public: the application form offers it before anyone signs in
    answer = await professionals.graphql("{ professionalLanguages { code name } }")
    listed = answer["data"]["professionalLanguages"]
    assert {"code": "es", "name": "Spanish"} in listed
    assert {(item["code"], item["name"]) for item in listed} == set(LANGUAGES.items())
    stored = await db.fetchval(
        "SELECT languages FROM professionals WHERE full_name = 'Dana Naperville'"
    )
    assert stored == ["es", "pl"]
    listing = """query ($search: ProfessionalSearch) { professionals(search: $search) {
        nodes { fullName languages gender modalities acceptingNewClients } } }"""
    found = await professionals.graphql(
        listing, {"search": {"language": "Polish"}}, token=officer_token
    )
    assert found["data"]["professionals"]["nodes"] == [
        {
            "fullName": "Dana Naperville",
            "languages": ["es", "pl"],
            "gender": "NON_BINARY",
            "modalities": ["FAMILY", "INDIVIDUAL"],
            "acceptingNewClients": True,
        }
    ]
    unknown = await submit(professionals, application_input(languages=["English", "Klingon"]))
    payload = unknown["data"]["submitProfessionalApplication"]
    assert [error["field"] for error in payload["errors"]] == ["input.languages.1"]
    assert "professionalLanguages" in payload["errors"][0]["message"]


async def test_cursor_paging_visits_each_listing_once(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    await seed_listing(professionals, db)
    for filters in ({}, {"nearZipCode": "60601", "withinMiles": 500}):
        seen: list[str] = []
        after = None
        while True:
            page = await search(professionals, officer_token, search=filters, first=1, after=after)
            seen += names(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen))
        assert len(seen) == (4 if not filters else 3)


async def test_bad_search_input_is_explained(
    professionals: ServiceUnderTest, officer_token: str
) -> None:
    # reported as directory reports a bad filter: field errors with paths, no matches
    for filters, field, words in (
        ({"nearZipCode": "00000"}, "search.nearZipCode", "know this ZIP code"),
        ({"nearZipCode": "6060"}, "search.nearZipCode", "is not a US ZIP code"),
        ({"insuranceCarrier": "Acme"}, "search.insuranceCarrier", "is not a carrier we list"),
        ({"state": "ZZ"}, "search.state", "is not a US state code"),
        ({"nearZipCode": "60601", "withinMiles": 5000}, "search.withinMiles", "1 and 500"),
        ({"language": "42 <b>"}, "search.language", "not in the network's list"),
        ({"language": "Klingon"}, "search.language", "a code such as es"),
    ):
        answer = await professionals.graphql(SEARCH, {"search": filters}, token=officer_token)
        assert "errors" not in answer, answer
        found = answer["data"]["professionals"]
        assert found["nodes"] == []
        [error] = found["errors"]
        assert error["field"] == field
        assert words in error["message"]
    both = await search(professionals, officer_token, search={"state": "ZZ", "nearZipCode": "1"})
    assert [error["field"] for error in both["errors"]] == ["search.state", "search.nearZipCode"]
    bad_cursor = await professionals.graphql(SEARCH, {"after": "nonsense"}, token=officer_token)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_searching_and_viewing_records_nothing(
    professionals: ServiceUnderTest,
    db: asyncpg.Connection,
    officer_token: str,
    issuer: TokenIssuer,
) -> None:
    await seed_listing(professionals, db)

    async def snapshot() -> list[tuple[str, int]]:
        tables = await db.fetch("SELECT relname FROM pg_stat_user_tables ORDER BY relname")
        return [
            (row["relname"], await db.fetchval(f'SELECT count(*) FROM "{row["relname"]}"'))
            for row in tables
        ]

    before = await snapshot()
    page = await search(professionals, officer_token, search={"nearZipCode": "60601"})
    one = page["nodes"][0]["id"]
    viewed = await professionals.graphql(
        "query ($id: ID!) { professional(id: $id) { fullName phone } }",
        {"id": one},
        token=issuer.token("civilian"),
    )
    assert viewed["data"]["professional"]["fullName"] == "Avery Lakeshore"
    assert await snapshot() == before


async def test_only_listed_professionals_resolve_as_entities(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    await seed_listing(professionals, db)
    listed = await db.fetchval("SELECT id FROM professionals WHERE full_name = 'Avery Lakeshore'")
    pending = await db.fetchval("SELECT id FROM professionals WHERE full_name = 'Eli Pending'")
    answer = await professionals.graphql(
        """query ($representations: [_Any!]!) { _entities(representations: $representations) {
             ... on Professional { fullName } } }""",
        {
            "representations": [
                {"__typename": "Professional", "id": str(listed)},
                {"__typename": "Professional", "id": str(pending)},
            ]
        },
        token=officer_token,
    )
    assert answer["data"]["_entities"] == [{"fullName": "Avery Lakeshore"}, None]
    anonymous = await professionals.graphql(
        """query ($representations: [_Any!]!) { _entities(representations: $representations) {
             ... on Professional { fullName } } }""",
        {"representations": [{"__typename": "Professional", "id": str(listed)}]},
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expiring_licences_are_flagged_and_expired_ones_unlist(
    professionals: ServiceUnderTest,
    db: asyncpg.Connection,
    officer_token: str,
    vetter_token: str,
    issuer: TokenIssuer,
) -> None:
    await apply(professionals, fullName="Frankie Soon", licenses=[licence("IL", "2027-04-15")])
    await apply(professionals, fullName="Gale Later", licenses=[licence("IL", "2029-01-31")])
    await approve_all(db)
    due = """{ applications(dueForReVetting: true) { nodes { fullName dueForReVetting
               licenses { id expiresOn expired dueForReVetting } } } }"""
    flagged = await professionals.graphql(due, token=vetter_token)
    nodes = flagged["data"]["applications"]["nodes"]
    assert [node["fullName"] for node in nodes] == ["Frankie Soon"]
    assert nodes[0]["licenses"][0]["dueForReVetting"] is True
    licence_id = nodes[0]["licenses"][0]["id"]

    async with same_database_on(professionals, issuer, dt.date(2027, 4, 16)) as later:
        listed = await search(later, officer_token)
        assert names(listed) == ["Gale Later"]
        expired = await later.graphql(due, token=vetter_token)
        assert expired["data"]["applications"]["nodes"][0]["licenses"][0]["expired"] is True

        renew = """mutation ($id: ID!, $on: Date!) {
            recordLicenseRenewal(licenseId: $id, expiresOn: $on) {
              application { licenses { expiresOn renewedBy } } errors { field message } } }"""
        too_early = await later.graphql(
            renew, {"id": licence_id, "on": "2027-04-01"}, token=vetter_token
        )
        assert too_early["data"]["recordLicenseRenewal"]["errors"][0]["field"] == "expiresOn"
        renewed = await later.graphql(
            renew, {"id": licence_id, "on": "2029-04-15"}, token=vetter_token
        )
        assert renewed["data"]["recordLicenseRenewal"]["application"]["licenses"] == [
            {"expiresOn": "2029-04-15", "renewedBy": "vetter-ayla"}
        ]
        assert names(await search(later, officer_token)) == ["Frankie Soon", "Gale Later"]
        denied = await later.graphql(
            renew, {"id": licence_id, "on": "2030-01-01"}, token=officer_token
        )
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
