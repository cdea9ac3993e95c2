"""What the network asks of an applicant, published for the form and for API clients: the
minimum experience treating officers (a setting) and the codes of ethics vetters check
against."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from .context import context
from .vocabulary import ASSOCIATIONS, ProfessionalAssociation


@strawberry.type(description="A professional association's code of ethics.")
class CodeOfEthics:
    association: ProfessionalAssociation
    name: str = strawberry.field(description="The association's name.")
    title: str = strawberry.field(description="The code vetters check an applicant against.")


def code_of_ethics(association: str, other_name: str | None) -> CodeOfEthics:
    """The code of ``association`` (a stored value); an `other` one is known by its name."""
    chosen = ProfessionalAssociation(association)
    if chosen is ProfessionalAssociation.OTHER:
        name = other_name or "another association"
        return CodeOfEthics(association=chosen, name=name, title=f"The code of ethics of {name}")
    name, title = ASSOCIATIONS[chosen]
    return CodeOfEthics(association=chosen, name=name, title=title)


@strawberry.type(description="What an application needs beyond its fields' own checks.")
class ApplicationRequirements:
    minimum_years_with_officers: int = strawberry.field(
        description="Years of experience treating law-enforcement officers an application "
        "needs (`lawEnforcementExperienceYears`); a network setting."
    )
    codes_of_ethics: list[CodeOfEthics] = strawberry.field(
        description="The associations an applicant may choose, and their codes; besides "
        "these, `OTHER` with the association's name."
    )


@strawberry.type
class RequirementQueries:
    @strawberry.field(description="What the network asks of an applicant. Public.")
    def application_requirements(self, info: Info[Any, Any]) -> ApplicationRequirements | None:
        return ApplicationRequirements(
            minimum_years_with_officers=context(info).resources.settings.min_years_with_officers,
            codes_of_ethics=[
                code_of_ethics(str(association.value), None) for association in ASSOCIATIONS
            ],
        )
