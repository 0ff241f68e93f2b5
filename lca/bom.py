"""BOM trees and their explosion to leaf amounts per one unit of product.

A line's quantity is per one unit of its parent (in the parent's unit), or per
one unit of the product for a top-level line. Exploding multiplies quantities
down each path, in canonical units (:mod:`lca.units`), so a leaf's amount is
what one unit of the product needs of it. Attributes named in ``INHERITED``
(supplier, origin, life-cycle stage) pass from a parent to children that do not
state their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lca.units import to_canonical

INHERITED = ("supplier", "origin", "stage")


class BomTreeError(ValueError):
    """The lines do not form a tree (cycle, missing parent, duplicate id)."""


@dataclass(frozen=True)
class BomNode:
    """One BOM line as the explosion needs it."""

    line_id: str
    parent_line_id: str | None
    quantity: float
    unit: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExplodedLeaf:
    """A leaf line with its amount per one unit of the product."""

    line_id: str
    path: tuple[str, ...]
    amount: float
    unit: str
    attributes: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the revision)."""
        return {"line_id": self.line_id, "path": list(self.path), "amount": self.amount,
                "unit": self.unit, **dict(self.attributes)}


def _children_by_parent(nodes: Sequence[BomNode]) -> dict[str | None, list[BomNode]]:
    ids = [n.line_id for n in nodes]
    if len(set(ids)) != len(ids):
        raise BomTreeError("duplicate line ids")
    known = set(ids)
    children: dict[str | None, list[BomNode]] = {}
    for node in nodes:
        if node.parent_line_id is not None and node.parent_line_id not in known:
            raise BomTreeError(f"line {node.line_id!r} names a missing parent")
        children.setdefault(node.parent_line_id, []).append(node)
    return children


def explode(nodes: Sequence[BomNode]) -> list[ExplodedLeaf]:
    """Leaf amounts per one unit of product, in canonical units, in input order."""
    children = _children_by_parent(nodes)
    leaves: list[ExplodedLeaf] = []
    visited: set[str] = set()
    # Iterative depth-first walk: (node, multiplier, path, inherited attributes)
    stack: list[tuple[BomNode, float, tuple[str, ...], dict[str, Any]]] = [
        (n, 1.0, (), {}) for n in reversed(children.get(None, []))
    ]
    while stack:
        node, multiplier, path, inherited = stack.pop()
        visited.add(node.line_id)
        amount, unit = to_canonical(node.quantity, node.unit)
        amount *= multiplier
        attributes = {**inherited, **{k: v for k, v in node.attributes.items() if v is not None}}
        here = (*path, node.line_id)
        kids = children.get(node.line_id, [])
        if not kids:
            leaves.append(ExplodedLeaf(node.line_id, here, amount, unit, attributes))
            continue
        passed_on = {k: attributes[k] for k in INHERITED if attributes.get(k) is not None}
        stack.extend((kid, amount, here, passed_on) for kid in reversed(kids))
    if len(visited) != len(nodes):
        raise BomTreeError("some lines are not reachable from a top-level line (cycle)")
    return leaves
