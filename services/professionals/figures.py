"""The professionals' count for the network figures (membership asks with a service token)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from servicekit.graphql import context_of

from . import rules


@strawberry.type(description="Professionals counts for the network figures (service tokens).")
class ProfessionalFigures:
    vetted_professionals: int = strawberry.field(
        description="Approved professionals whose licenses are all current today."
    )


@strawberry.type
class FigureQueries:
    @strawberry.field(description="Counts for the network figures: service tokens only.")
    async def professional_figures(self, info: Info[Any, Any]) -> ProfessionalFigures | None:
        rules.peer_service(info)
        today = context_of(info).clock.today()
        count = await context_of(info).pool.fetchval(
            "SELECT count(*) FROM professionals"
            " WHERE status = 'approved' AND licenses_valid_until >= $1",
            today,
        )
        return ProfessionalFigures(vetted_professionals=int(count))
