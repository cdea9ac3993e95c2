"""The per-request loaders of the professionals service, and the date it goes by."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from servicekit.clock import Clock

from . import application_store, listing_store, vetting_store
from .application import (
    Application,
    Assessment,
    Document,
    License,
    VetterAssignment,
    VettingDecision,
)
from .listing import PracticeLocation, Professional


class _OfProfessional(Protocol):
    professional_id: UUID


RowT = TypeVar("RowT", bound=_OfProfessional)


class ProfessionalsLoaders:
    """DataLoaders of one request, and the date the service goes by."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.today = clock.today()
        self.application_rows = DataLoader[UUID, Application | None](self._applications)
        self.listed = DataLoader[UUID, Professional | None](self._listed)
        self.licenses = DataLoader[UUID, list[License]](
            self._grouped(application_store.list_licenses)
        )
        self.locations = DataLoader[UUID, list[PracticeLocation]](
            self._grouped(listing_store.list_locations)
        )
        self.documents = DataLoader[UUID, list[Document]](
            self._grouped(application_store.list_documents)
        )
        self.assignments = DataLoader[UUID, list[VetterAssignment]](
            self._grouped(vetting_store.list_assignments)
        )
        self.assessments = DataLoader[UUID, list[Assessment]](
            self._grouped(vetting_store.list_assessments)
        )
        self.decisions = DataLoader[UUID, list[VettingDecision]](
            self._grouped(vetting_store.list_decisions)
        )

    async def _applications(self, ids: list[UUID]) -> list[Application | None]:
        found = await application_store.get_applications(db=self.pool, ids=ids)
        return [found.get(one) for one in ids]

    async def _listed(self, ids: list[UUID]) -> list[Professional | None]:
        found = await listing_store.get_listed(db=self.pool, ids=ids, today=self.today)
        return [found.get(one) for one in ids]

    def _grouped(
        self, fetch: Callable[..., Awaitable[Sequence[RowT]]]
    ) -> Callable[[list[UUID]], Awaitable[list[list[RowT]]]]:
        async def load(ids: list[UUID]) -> list[list[RowT]]:
            rows = await fetch(db=self.pool, professional_ids=ids)
            groups: dict[UUID, list[RowT]] = {one: [] for one in ids}
            for row in rows:
                groups[row.professional_id].append(row)
            return [groups[one] for one in ids]

        return load
