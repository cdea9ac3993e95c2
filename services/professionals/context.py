"""What a professionals request reaches: its loaders, and the process's resources.

A module of its own because the listing's and the application's types read the loaders,
and the loaders load those types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

from servicekit.graphql import RequestContext
from servicekit.proof_of_work import FormProof

from .settings import ProfessionalsSettings


@dataclass(frozen=True, slots=True)
class ProfessionalsResources:
    """What a professionals process holds for as long as it runs, shared by every request."""

    settings: ProfessionalsSettings
    # the proof of work the public application form asks for (priced network-wide)
    applications: FormProof


if TYPE_CHECKING:
    # only for the type checker: the loaders' module imports the types that import this one
    from .loaders import ProfessionalsLoaders

    # a professionals request: its loaders, and the process's resources
    ProfessionalsContext = RequestContext[ProfessionalsLoaders, ProfessionalsResources]


def context(info: Info[Any, Any]) -> ProfessionalsContext:
    """The request's context: who asks, its loaders, and the process's resources."""
    typed: ProfessionalsContext = info.context
    return typed
