"""The directory's controlled vocabularies: areas of support, and the categories and
audiences of well-being resources (languages and genders are the network's, in
`servicekit.vocabulary`).

Enum values are what the database stores; adding a term is a code change plus, for the
stored ones, nothing else (the columns are plain text checked here, not database enums).
"""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="What a peer supporter is ready to talk about.")
class AreaOfSupport(Enum):
    CRITICAL_INCIDENTS = "critical_incidents"
    GRIEF_AND_LOSS = "grief_and_loss"
    RELATIONSHIPS_AND_FAMILY = "relationships_and_family"
    SUBSTANCE_USE = "substance_use"
    TRAUMA_AND_PTSD = "trauma_and_ptsd"
    LINE_OF_DUTY_INJURY = "line_of_duty_injury"
    RETIREMENT_AND_TRANSITION = "retirement_and_transition"
    FINANCES = "finances"
    FAITH = "faith"
    MILITARY_AND_VETERANS = "military_and_veterans"
    WOMEN_IN_LAW_ENFORCEMENT = "women_in_law_enforcement"
    LGBTQ_OFFICERS = "lgbtq_officers"
    STRESS_AND_BURNOUT = "stress_and_burnout"
    DEPRESSION_AND_ANXIETY = "depression_and_anxiety"
    SUICIDE_LOSS = "suicide_loss"
    SLEEP_AND_SHIFT_WORK = "sleep_and_shift_work"
    INTERNAL_INVESTIGATIONS = "internal_investigations"
    NEW_OFFICERS = "new_officers"


@strawberry.enum(description="What kind of resource; crisis lines always come first.")
class ResourceCategory(Enum):
    CRISIS_LINE = "crisis_line"
    EMPLOYEE_ASSISTANCE = "employee_assistance"
    CHAPLAIN = "chaplain"
    PEER_SUPPORT_TEAM = "peer_support_team"
    NETWORK_PARTNER = "network_partner"
    ARTICLE = "article"
    TRAINING = "training"
    FAMILY_SUPPORT = "family_support"
    FINANCIAL_HELP = "financial_help"
    OTHER = "other"


@strawberry.enum(description="Whom a resource is written for.")
class ResourceAudience(Enum):
    EVERYONE = "everyone"
    OFFICERS = "officers"
    CIVILIAN_STAFF = "civilian_staff"
    FAMILIES = "families"
    SUPERVISORS = "supervisors"
    RETIREES = "retirees"
    PEER_SUPPORTERS = "peer_supporters"
