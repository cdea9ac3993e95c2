"""The public application form is rate limited without noting who applied."""

from __future__ import annotations

import asyncpg

from tests.conftest import ServiceFactory
from tests.services.professionals.conftest import (
    TODAY,
    application_input,
    apply,
    clock_on,
    submit,
    table_counts,
)


async def test_a_flood_of_applications_is_refused_and_nothing_of_it_is_kept(
    start_service: ServiceFactory,
) -> None:
    async with start_service(
        "professionals",
        clock=clock_on(TODAY),
        APPLICATIONS_BURST="2",
        APPLICATIONS_PER_HOUR="1",
    ) as professionals:
        first = application_input()
        await apply(professionals, **first)
        await apply(professionals)
        # sending the same application again (a retry) is not a new one
        again = await submit(professionals, first)
        assert again["data"]["submitProfessionalApplication"]["errors"] == []

        refused = await submit(professionals, application_input())
        [error] = refused["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED"}
        assert "send yours again in about 60 minutes" in error["message"]
        connection = await asyncpg.connect(professionals.database_url)
        try:
            counts = await table_counts(connection)
        finally:
            await connection.close()
    assert counts["professionals"] == 2
