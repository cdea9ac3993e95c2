"""Limits on what one operation may cost: depth, aliases and selected fields.

Counted after fragments are expanded (a fragment used twice counts twice), so a small
document cannot fan out into a huge one. Run after standard validation, which has already
refused fragment cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.settings import OperationLimits


@dataclass(slots=True)
class _Cost:
    depth: int = 0
    aliases: int = 0
    fields: int = 0


def check_limits(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: OperationLimits,
) -> list[GraphQLError]:
    """Errors for every limit the operation exceeds (empty when within limits)."""
    cost = _Cost()
    budget = limits.max_fields * 4  # stop walking absurd documents early

    def walk(selection_set: SelectionSetNode | None, depth: int) -> None:
        if selection_set is None or cost.fields > budget:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost.fields += 1
                if selection.alias is not None:
                    cost.aliases += 1
                cost.depth = max(cost.depth, depth)
                # introspection (development only: production refuses it) follows GraphiQL's
                # deep, fragment-heavy query; its insides are not charged
                if selection.name.value not in ("__schema", "__type"):
                    walk(selection.selection_set, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, depth)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, depth)

    walk(operation.selection_set, 1)
    errors = []
    if cost.depth > limits.max_depth:
        errors.append(
            f"The operation nests {cost.depth} levels deep; the limit is {limits.max_depth}."
        )
    if cost.aliases > limits.max_aliases:
        errors.append(
            f"The operation uses {cost.aliases} aliases; the limit is {limits.max_aliases}."
        )
    if cost.fields > limits.max_fields:
        shown = f"more than {cost.fields}" if cost.fields > budget else str(cost.fields)
        errors.append(f"The operation selects {shown} fields; the limit is {limits.max_fields}.")
    return [
        GraphQLError(message, extensions={"code": "OPERATION_TOO_COSTLY"}) for message in errors
    ]
