"""Demo data for the directory: invented peer supporters in each demo department, and
curated resources led by the real national crisis lines (988, the officers' own COPLINE and
Safe Call Now, and others).

All supporter names are invented and every phone number is in the 555-01xx range that is
reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from servicekit import geo
from servicekit.demo import DEMO_DEPARTMENTS
from servicekit.ports import PORTS
from servicekit.pseudonyms import (
    DEVELOPMENT_PSEUDONYM_KEY,
    PAIRWISE_PURPOSE,
    derive_key,
    pairwise_subject,
)
from servicekit.settings import ConfigurationError, Environment

from . import resource_store, store
from .availability import MINUTES_PER_DAY
from .rules import ProfileIn, ResourceIn

_FIRST = ("Dana", "Marcus", "Rosa", "Tomasz", "Keisha", "Evan", "Lupe", "Grant", "Mei", "Andre")
_LAST = ("Okafor", "Lindqvist", "Alvarado", "Brandt", "Whitcombe", "Nakamura", "Ferreira")
_RANKS = ("Officer", "Sgt.", "Det.", "Lt.", "Cpl.")
_AREA_SETS = (
    ["critical_incidents", "trauma_and_ptsd", "line_of_duty_injury"],
    ["grief_and_loss", "suicide_loss", "faith"],
    ["relationships_and_family", "finances", "stress_and_burnout"],
    ["substance_use", "depression_and_anxiety", "sleep_and_shift_work"],
    ["military_and_veterans", "retirement_and_transition", "new_officers"],
    ["women_in_law_enforcement", "lgbtq_officers", "internal_investigations"],
)
_LANGUAGE_SETS = (["en"], ["en", "es"], ["en", "pl"], ["en"], ["en", "ase"])
_GENDERS = (None, "woman", "man", None, "non_binary", "man", "woman")


def _shifts(pattern: int) -> list[tuple[int, int]]:
    """Weekly spans: days, evenings or nights, Monday to Friday or Thursday to Sunday.

    Every six supporters in a row take each shift on both sets of days, so the demo has
    someone on call at every hour of the week (a reviewer at night sees who is on call)."""
    start, end = ((8 * 60, 16 * 60), (16 * 60, 24 * 60), (0, 8 * 60))[pattern % 3]
    days = range(5) if pattern % 2 == 0 else range(3, 7)
    return [(day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end) for day in days]


@dataclass(frozen=True, slots=True)
class DemoSupporter:
    """A peer supporter the development IdP can sign in as, with a profile already made."""

    tenant: str  # the development IdP's organisation (its issuer's last segment)
    login: str
    department: str
    profile: dict[str, Any]


def _week(*slots: tuple[int, int, int]) -> list[tuple[int, int]]:
    """(day, first hour, hour after) as week spans; day 0 is Monday."""
    return [
        (day * MINUTES_PER_DAY + start * 60, day * MINUTES_PER_DAY + end * 60)
        for day, start, end in slots
    ]


DEMO_SIGN_IN_SUPPORTERS = (
    DemoSupporter(
        "harlow-park",
        "marcus.oyelaran",
        "Harlow Park Police Department",
        {
            "display_name": "Sgt. Marcus O.",
            "phone": "+13125550161",
            "accepts_texts": True,
            "languages": ["en", "fr"],
            "areas": sorted(["critical_incidents", "grief_and_loss", "sleep_and_shift_work"]),
            "years_of_service": 17,
            "certifications": [
                "ICISF Individual Crisis Intervention and Peer Support",
                "ICISF Group Crisis Intervention",
                "QPR Gatekeeper Training for Suicide Prevention",
            ],
            "bio": "Patrol sergeant on the midnight shift for twelve years, then a field "
            "training officer. I went through a line-of-duty death on my squad and know how "
            "long the weeks after can be. Call or text; I will listen first and talk shop "
            "only if you want to. Invented demo profile.",
            "gender": "man",
            # evenings on weekdays, a long Saturday: the hours a patrol sergeant keeps free
            "spans": _week(
                (0, 18, 23), (1, 18, 23), (2, 18, 23), (3, 18, 23), (4, 18, 23), (5, 10, 18)
            ),
        },
    ),
    DemoSupporter(
        "fenwood",
        "theo.brandt",
        "Fenwood Police Department",
        {
            "display_name": "Det. Theo B.",
            "phone": "+16305550162",
            "accepts_texts": True,
            "languages": ["en", "de"],
            "areas": sorted(["internal_investigations", "relationships_and_family", "finances"]),
            "years_of_service": 22,
            "certifications": [
                "ICISF Individual Crisis Intervention and Peer Support",
                "Mental Health First Aid for Public Safety",
            ],
            "bio": "Detective, twenty-two years on the job, most of them in investigations. "
            "I have sat on both sides of an internal investigation and been through a "
            "divorce on rotating shifts. Early mornings and Sundays are when I pick up. "
            "Invented demo profile.",
            "gender": "man",
            "spans": _week((1, 5, 9), (2, 5, 9), (3, 5, 9), (4, 5, 9), (5, 5, 9), (6, 9, 21)),
        },
    ),
)


def demo_account_subject(tenant: str, login: str, department_id: str) -> str | None:
    """The pseudonym identity gives a development-IdP account at sign-in under `wnwa up`
    (issuer ``http://127.0.0.1:<devidp port>/<tenant>``, identity's pseudonym key), so the
    demo's own supporters find their profiles made; None where identity's settings do not
    load (then the profile is not made)."""
    try:
        key = Environment("WNWA_IDENTITY").secret("PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY)
        port = Environment("WNWA_DEVIDP").integer("PORT", PORTS["devidp"])
    except ConfigurationError:
        return None
    return pairwise_subject(
        derive_key(key.value, PAIRWISE_PURPOSE),
        department_id=department_id,
        issuer=f"http://127.0.0.1:{port}/{tenant}",
        subject=f"{tenant}|{login}",
    )


def _zip_in(state: str, county: str) -> geo.ZipPlace:
    """The lowest standard ZIP code of the county (from the same offline table)."""
    for place in geo.places():
        if place.standard and (place.state, place.county) == (state, county):
            return place
    raise LookupError(f"no ZIP code known for {county} County, {state}")


DEMO_RESOURCES: tuple[dict[str, Any], ...] = (
    {
        "title": "988 Suicide & Crisis Lifeline",
        "description": "Free, confidential support 24/7 for anyone in distress. Call or text "
        "988, or chat at 988lifeline.org.",
        "url": "https://988lifeline.org",
        "phone": "988",
        "text_number": "988",
        "category": "crisis_line",
        "audience": "everyone",
        "position": 0,
    },
    {
        "title": "COPLINE",
        "description": "The 24-hour confidential line for serving and retired law-enforcement "
        "officers and their families, answered by retired officers: 1-800-COPLINE.",
        "url": "https://www.copline.org",
        "phone": "+18002675463",
        "text_number": None,
        "category": "crisis_line",
        "audience": "officers",
        "position": 1,
    },
    {
        "title": "Safe Call Now",
        "description": "A confidential 24-hour crisis line for public-safety staff — police, "
        "corrections, dispatch, fire and EMS — and their families.",
        "url": "https://www.safecallnow.org",
        "phone": "+12064593020",
        "text_number": None,
        "category": "crisis_line",
        "audience": "officers",
        "position": 2,
    },
    {
        "title": "Veterans Crisis Line",
        "description": "For veterans and those who serve: dial 988 then press 1, or text 838255.",
        "url": "https://www.veteranscrisisline.net",
        "phone": "988",
        "text_number": "838255",
        "then_dial": "1",
        "category": "crisis_line",
        "audience": "officers",
        "position": 10,
    },
    {
        "title": "Crisis Text Line",
        "description": "Text HOME to 741741 to reach a trained crisis counselor, any time.",
        "url": "https://www.crisistextline.org",
        "phone": None,
        "text_number": "741741",
        "text_keyword": "HOME",
        "category": "crisis_line",
        "audience": "everyone",
        "position": 20,
    },
    {
        "title": "Talking with your family after a critical incident",
        "description": "A short guide, written by peer supporters, for the first days at home "
        "after a hard call.",
        "url": "https://example.org/wnwa/articles/after-a-critical-incident",
        "phone": None,
        "text_number": None,
        "category": "family_support",
        "audience": "families",
        "position": 10,
    },
    {
        "title": "Peer support basics: a four-hour refresher",
        "description": "The network's own refresher for trained peer supporters: listening, "
        "confidentiality and when to refer.",
        "url": "https://example.org/wnwa/training/refresher",
        "phone": None,
        "text_number": None,
        "category": "training",
        "audience": "peer_supporters",
        "position": 10,
    },
    {
        "title": "Northbrook Wellness Partners (fictional network partner)",
        "description": "Clinicians who know police work; the network's partner for "
        "confidential counseling referrals.",
        "url": "https://example.org/wnwa/partners/northbrook",
        "phone": "+13125550100",
        "text_number": None,
        "category": "network_partner",
        "audience": "officers",
        "position": 10,
    },
    {
        "title": "Shift work and sleep",
        "description": "What the research says about sleep on rotating shifts, and what helps.",
        "url": "https://example.org/wnwa/articles/shift-work-and-sleep",
        "phone": None,
        "text_number": None,
        "category": "article",
        "audience": "everyone",
        "position": 20,
    },
)


async def seed(connection: asyncpg.Connection) -> bool:
    """Insert the demo data into an empty directory database; False when not empty."""
    if await connection.fetchval(
        "SELECT (SELECT count(*) FROM peer_supporters) + (SELECT count(*) FROM wellbeing_resources)"
    ):
        return False
    async with connection.transaction():
        serial = 0
        for department in DEMO_DEPARTMENTS:
            if department.status != "active":
                continue
            place = _zip_in(department.state, department.county)
            for _ in range(2):
                serial += 1
                name = (
                    f"{_RANKS[serial % len(_RANKS)]} {_FIRST[serial % len(_FIRST)]} "
                    f"{_LAST[(serial * 3) % len(_LAST)]}"
                )
                await store.create_supporter(
                    db=connection,
                    owner_subject=f"demo-supporter-{serial:03d}",
                    department_id=department.id,
                    profile_in=ProfileIn(
                        display_name=name,
                        phone=f"+1{_area_code(place)}5550{100 + serial % 100:03d}",
                        accepts_texts=serial % 3 != 0,
                        languages=_LANGUAGE_SETS[serial % len(_LANGUAGE_SETS)],
                        areas=sorted(_AREA_SETS[serial % len(_AREA_SETS)]),
                        years_of_service=4 + (serial * 7) % 26,
                        certifications=["ICISF Individual Crisis Intervention and Peer Support"],
                        bio="Invented demo profile: a peer supporter who has been there.",
                        gender=_GENDERS[serial % len(_GENDERS)],
                        zip_code=place.zip_code,
                        state=place.state,
                        county=place.county,
                        latitude=place.latitude,
                        longitude=place.longitude,
                        time_zone=place.timezone or "America/Chicago",
                        spans=_shifts(serial),
                    ),
                )
        for supporter in DEMO_SIGN_IN_SUPPORTERS:
            department = next(d for d in DEMO_DEPARTMENTS if d.name == supporter.department)
            owner = demo_account_subject(supporter.tenant, supporter.login, str(department.id))
            if owner is None:
                continue
            place = _zip_in(department.state, department.county)
            await store.create_supporter(
                db=connection,
                owner_subject=owner,
                department_id=department.id,
                profile_in=ProfileIn(
                    **supporter.profile,
                    zip_code=place.zip_code,
                    state=place.state,
                    county=place.county,
                    latitude=place.latitude,
                    longitude=place.longitude,
                    time_zone=place.timezone or "America/Chicago",
                ),
            )
        for resource in DEMO_RESOURCES:
            await resource_store.create_resource(db=connection, resource_in=ResourceIn(**resource))
    return True


def _area_code(place: geo.ZipPlace) -> str:
    return {"IL": "312", "WI": "262", "IN": "219", "MO": "314"}.get(place.state, "202")
