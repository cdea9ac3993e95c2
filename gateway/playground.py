"""The operations GraphiQL opens with on the gateway: one per kind of caller, each a working
example to change rather than a blank editor. A fast test validates every one against the
supergraph, so they change with the schema (tests/gateway/test_playground.py).

They open as one document in one tab (the run button asks which operation to run): GraphiQL
3's tab bar fails WCAG checks inside its own bundle (a button among the tabs of its tablist, a
close button inside each tab), which a page cannot repair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Example:
    """One operation (its comment says who may run it) and the variables it starts with."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)


_HEADER = """# WeNeverWalkAlone API: one example operation for each kind of caller.
# Press the run button (▶) and choose one; the schema is in the
# documentation explorer (the book icon). The variables below serve them all.
"""


_PUBLIC = Example(
    """# Anyone, without signing in: what the network asks of a professional who
# applies, its languages (one list for supporters and professionals), the
# insurance carriers it lists and its fees.
#
# Everything else needs a sign-in: open /sign-in in this browser first and
# GraphiQL sends the session cookie, or send a bearer token in the Headers
# tab below: {"Authorization": "Bearer <access token>"} (docs/api.md).
query NetworkLists {
  applicationRequirements {
    minimumYearsWithOfficers
    codesOfEthics { association name title }
  }
  professionalLanguages { code name }
  insuranceCarriers { code name }
  feeTiers { minSwornOfficers maxSwornOfficers annualFeeCents }
}
"""
)

_OFFICER_SUPPORTERS = Example(
    """# An officer (or civilian staff, a peer supporter, a coordinator): peer
# supporters in other departments who speak Spanish, nearest first from a ZIP
# code ("availableNow": true for those who pick up now). Nothing about a
# search is recorded. A bad filter comes back in `errors`, field by field.
query SupportersNearby($filter: PeerSupporterFilter, $after: String) {
  me { roles department { name } }
  searchPeerSupporters(filter: $filter, first: 10, after: $after) {
    matches {
      distanceMiles
      supporter {
        displayName availableNow telLink smsLink languages areasOfSupport
        department { name county state }
      }
    }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}
""",
    {
        "filter": {
            "near": {"zipCode": "60601", "withinMiles": 50},
            "language": "es",
            "availableNow": False,
            "includeOwnDepartment": False,
        }
    },
)

_OFFICER_PROFESSIONALS = Example(
    """# An officer: vetted professionals near a ZIP code who take Blue Cross Blue
# Shield PPO plans and new clients. For the next page, pass `after` the
# `endCursor` of this one. Languages are ISO 639 codes (`professionalLanguages`).
query ProfessionalsByInsurance($search: ProfessionalSearch, $after: String) {
  professionals(search: $search, first: 10, after: $after) {
    nodes {
      id fullName credentials distanceMiles phone website
      languages modalities acceptingNewClients
      insurance { carrier { name } planTypes }
      availability { answersCallsAnyHour schedulesWithin24Hours }
      locations { city state zipCode }
    }
    pageInfo { endCursor hasNextPage }
    errors { field message }
  }
}
""",
    {
        "search": {
            "nearZipCode": "60606",
            "withinMiles": 50,
            "insuranceCarrier": "bcbs",
            "planType": "PPO",
            "acceptingNewClients": True,
            "selfPay": False,
            "telehealth": False,
            "answersCallsAnyHour": False,
            "schedulesWithin24Hours": False,
        }
    },
)

_COORDINATOR = Example(
    """# A department's coordinator: the department's membership record and its
# peer supporters (a network admin passes `departmentId`).
query MyDepartment {
  me {
    roles
    department {
      id name county state
      record { status swornOfficers civiliansEnrolled renewalDue annualFeeQuoteCents }
    }
  }
  departmentPeerSupporters(first: 50) {
    nodes { id displayName availableNow languages }
    pageInfo { endCursor hasNextPage }
  }
}
"""
)

_VETTER = Example(
    """# A vetter (network staff): the applications waiting for a first look,
# oldest first, with what the vetters check them against.
query VettingQueue($status: VettingStatus, $after: String) {
  applications(status: $status, first: 20, after: $after) {
    nodes {
      id reference fullName credentials status submittedAt assessmentKind
      lawEnforcementExperienceYears
      codeOfEthics { title }
      disciplinaryAction
      licenses { state expiresOn dueForReVetting }
      assignments { vetter }
    }
    pageInfo { endCursor hasNextPage }
  }
}
""",
    {"status": "SUBMITTED"},
)

EXAMPLES: tuple[Example, ...] = (
    _PUBLIC,
    _OFFICER_SUPPORTERS,
    _OFFICER_PROFESSIONALS,
    _COORDINATOR,
    _VETTER,
)


def operations() -> str:
    """The examples as one GraphQL document, under a comment on how to run them."""
    return "\n".join([_HEADER, *(example.query for example in EXAMPLES)])


def variables() -> str:
    """The examples' variables as one JSON object (their names do not collide)."""
    merged: dict[str, Any] = {}
    for example in EXAMPLES:
        merged.update(example.variables)
    return json.dumps(merged, indent=2)
