"""The foreground: a product's BOM exploded into leaf lines, each linked to where its number
comes from.

A leaf line has an amount per unit of the product (in the unit of what it links to) and one
link:

- `BackgroundLink`: a background product (a snapshot matrix row);
- `SupplierProcess`: supplier primary data per unit: direct emissions by elementary flow
  (biosphere matrix row) plus inputs of background products;
- `DeclaredFootprint`: a supplier's declared values per indicator per unit;
- ``None``: not linked yet. Unlinked lines are reported, never counted as zero silently.

The foreground never feeds back into the background, so a product's footprint is a sum over
its leaves (see `lca.footprint`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lca import bom
from lca.errors import ForegroundError


@dataclass(frozen=True)
class BackgroundLink:
    """A background product, by its matrix row in the snapshot."""

    product_index: int


@dataclass(frozen=True)
class SupplierProcess:
    """Supplier primary data, per unit of its output.

    ``emissions``: biosphere matrix row -> amount per unit. ``inputs``: background product
    row -> amount per unit. ``location`` is where the direct emissions happen (defaults to
    the line's location).
    """

    process_id: str
    emissions: Mapping[int, float] = field(default_factory=dict)
    inputs: Mapping[int, float] = field(default_factory=dict)
    location: str | None = None


@dataclass(frozen=True)
class DeclaredFootprint:
    """A supplier's declared footprint: indicator id -> value per unit.

    Indicators the declaration does not cover are reported as missing for its lines.
    """

    declaration_id: str
    values: Mapping[str, float]


Link = BackgroundLink | SupplierProcess | DeclaredFootprint


@dataclass(frozen=True)
class Line:
    """One leaf of the exploded BOM: ``amount`` per unit of the product, in the link's unit."""

    line_id: str
    amount: float
    link: Link | None
    supplier: str | None = None
    stage: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class BomNode:
    """A node of a multi-level BOM: ``quantity`` per unit of its parent.

    A node with children is an assembly; a node without children is a leaf and carries the
    link. ``supplier``, ``stage`` and ``location`` are inherited by children that leave them
    unset.
    """

    node_id: str
    quantity: float = 1.0
    children: Sequence[BomNode] = ()
    link: Link | None = None
    supplier: str | None = None
    stage: str | None = None
    location: str | None = None


def explode(root: BomNode) -> list[Line]:
    """Leaf lines of a BOM tree, amounts multiplied along each path (per unit of ``root``).

    Line ids are the node ids joined by ``/`` from the root's children down. The walk itself
    is :func:`lca.bom.explode`, the one explosion the service uses too.
    """
    nodes: list[bom.BomNode] = []
    stack: list[tuple[BomNode, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node.link is not None and node.children:
            raise ForegroundError(f"{node.node_id}: an assembly has children, not a link")
        for child in node.children:  # siblings keep their order; lca.bom walks depth-first
            child_path = (*path, child.node_id)
            attributes = {"link": child.link, "supplier": child.supplier,
                          "stage": child.stage, "origin": child.location}
            nodes.append(bom.BomNode("/".join(child_path), "/".join(path) or None,
                                     child.quantity, "piece", attributes))
            stack.append((child, child_path))
    return [Line(line_id=leaf.line_id, amount=leaf.amount, link=leaf.attributes.get("link"),
                 supplier=leaf.attributes.get("supplier"), stage=leaf.attributes.get("stage"),
                 location=leaf.attributes.get("origin"))
            for leaf in bom.explode(nodes)]
