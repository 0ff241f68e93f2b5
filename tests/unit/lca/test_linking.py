"""Linking BOM leaves to datasets: hints first, then rules in a fixed order."""

from __future__ import annotations

from lca.linking import Linker, LinkRule

KEYS = [("uslci", "alu"), ("uslci", "steel"), ("uslci", "grid"), ("tiangong", "grid")]
RULES = [
    LinkRule("material_class", "Aluminium", ("uslci", "alu")),
    LinkRule("cn_code", "72", ("uslci", "steel")),
    LinkRule("cn_code", "7208", ("uslci", "alu"), priority=500),
    LinkRule("description", "*electricity*", ("uslci", "grid")),
    LinkRule("part_number", "X-1", ("nowhere", "x")),
]


def test_hint_then_rules_in_order() -> None:
    linker = Linker(KEYS, RULES)
    assert linker.link({"link_hint": "uslci:steel"}).target == ("uslci", "steel")
    assert linker.link({"link_hint": "alu"}).target == ("uslci", "alu")
    assert linker.link({"link_hint": "grid"}).target is None  # ambiguous bare code
    assert linker.link({"material_class": "aluminium"}).target == ("uslci", "alu")
    assert linker.link({"cn_code": "720851"}).target == ("uslci", "alu")  # longest prefix
    assert linker.link({"cn_code": "7210"}).target == ("uslci", "steel")
    assert linker.link({"description": "Assembly Electricity"}).target == ("uslci", "grid")
    decision = linker.link({"part_number": "X-1", "description": "electricity"})
    assert decision.target is None
    assert "lacks" in decision.how
    assert linker.link({"description": "gold"}).target is None
