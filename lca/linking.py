"""Which background dataset a BOM leaf stands for.

A leaf is linked, in this order, by its own ``link_hint`` (``database:code``
or a bare code), or by the first matching rule the buyer keeps: part number
(exact), CN/HS code (longest matching prefix), material class (exact, any
case), description (shell-style pattern, any case); among rules of one kind a
lower ``priority`` number wins. No match means unlinked: reported, never zero.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lca.foreground import BackgroundLink, Line, Link
from lca.primary import PrimaryLink
from lca.snapshot import Snapshot
from lca.units import UnitError, conversion_factor

DatasetKey = tuple[str, str]

MATCH_ORDER = ("part_number", "cn_code", "material_class", "description")
PRIMARY_PREFIX = "primary:"
"""Link hints of this form name a primary-data record (supplier process or declaration)."""


@dataclass(frozen=True)
class LinkRule:
    """One mapping rule: leaves whose ``match_field`` matches ``pattern`` use ``target``."""

    match_field: str
    pattern: str
    target: DatasetKey
    priority: int = 100


@dataclass(frozen=True)
class LinkDecision:
    """Where a leaf was linked and why (shown in results)."""

    target: DatasetKey | None
    how: str


def _hint_target(hint: str, keys: Mapping[DatasetKey, Any],
                 codes: Mapping[str, list[DatasetKey]]) -> DatasetKey | None:
    database, sep, code = hint.partition(":")
    if sep and (database, code) in keys:
        return (database, code)
    matches = codes.get(hint, [])
    return matches[0] if len(matches) == 1 else None


def _rule_matches(rule: LinkRule, value: str) -> bool:
    if rule.match_field == "cn_code":
        return value.startswith(rule.pattern)
    if rule.match_field == "description":
        return fnmatch.fnmatch(value.casefold(), rule.pattern.casefold())
    if rule.match_field == "material_class":
        return value.casefold() == rule.pattern.casefold()
    return value == rule.pattern


def _sorted_rules(rules: Iterable[LinkRule], field: str) -> list[LinkRule]:
    chosen = [r for r in rules if r.match_field == field]
    if field == "cn_code":
        return sorted(chosen, key=lambda r: (-len(r.pattern), r.priority))
    return sorted(chosen, key=lambda r: r.priority)


class Linker:
    """Resolves leaves against the datasets of one snapshot."""

    def __init__(self, dataset_keys: Iterable[DatasetKey], rules: Sequence[LinkRule]) -> None:
        self.keys = dict.fromkeys(dataset_keys, True)
        self.codes: dict[str, list[DatasetKey]] = {}
        for key in self.keys:
            self.codes.setdefault(key[1], []).append(key)
        self.rules = {field: _sorted_rules(rules, field) for field in MATCH_ORDER}

    def link(self, leaf: Mapping[str, Any]) -> LinkDecision:
        """The dataset for one exploded leaf (its attributes as stored)."""
        hint = leaf.get("link_hint")
        if hint:
            target = _hint_target(str(hint), self.keys, self.codes)
            if target is not None:
                return LinkDecision(target, "link_hint")
            return LinkDecision(None, f"link_hint {hint!r} names no dataset of this snapshot")
        for field in MATCH_ORDER:
            value = leaf.get(field)
            if not value:
                continue
            for rule in self.rules[field]:
                if _rule_matches(rule, str(value)):
                    if rule.target in self.keys:
                        return LinkDecision(rule.target, f"rule {field}={rule.pattern!r}")
                    return LinkDecision(None, f"rule {field}={rule.pattern!r} names a dataset "
                                              "this snapshot lacks")
        return LinkDecision(None, "no link hint and no rule matches")


@dataclass(frozen=True)
class LinkedLeaves:
    """Exploded leaves turned into foreground lines, with how each was (or wasn't) linked."""

    lines: list[Line]
    how_by_line: dict[str, str]
    unlinked_reasons: dict[str, str]
    unit_by_line: dict[str, str]
    """The unit each linked line's amount is in (the dataset's or the declared unit)."""


def _amount_in_dataset_unit(leaf: Mapping[str, Any], unit: str | None) -> float | str:
    """The leaf's amount in the dataset's unit, or a reason why it cannot be converted."""
    if not unit:
        return "the dataset states no unit"
    try:
        return float(leaf["amount"]) * conversion_factor(leaf["unit"], unit)
    except UnitError:
        pass
    mass_kg = leaf.get("mass_kg")
    if leaf["unit"] == "piece" and mass_kg:
        try:
            return float(leaf["amount"]) * float(mass_kg) * conversion_factor("kg", unit)
        except UnitError:
            pass
    return f"the line is in {leaf['unit']}, the dataset in {unit}: no conversion"


def _primary_line(leaf: Mapping[str, Any], record_id: str,
                  primary: Mapping[str, PrimaryLink],
                  problems: Mapping[str, str]) -> tuple[float, Link] | str:
    if record_id not in primary:
        return problems.get(record_id, f"no primary data {record_id!r} for this tenant")
    converted = _amount_in_dataset_unit(leaf, primary[record_id].declared_unit)
    if isinstance(converted, str):
        return converted
    return converted, primary[record_id].link


def link_leaves(leaves: Sequence[Mapping[str, Any]], snapshot: Snapshot,
                rules: Sequence[LinkRule], *,
                primary: Mapping[str, PrimaryLink] | None = None,
                primary_problems: Mapping[str, str] | None = None) -> LinkedLeaves:
    """Link each exploded leaf to a background product of ``snapshot`` with unit conversion,
    or, for a ``primary:<id>`` hint, to that supplier process or declared footprint.

    Leaves are the dicts :func:`lca.bom.ExplodedLeaf.as_dict` gives. A leaf that cannot be
    linked becomes a line without link (reported by the footprint, never counted as zero).
    """
    index_by_key = snapshot.product_index_by_key
    linker = Linker(index_by_key, rules)
    lines: list[Line] = []
    how: dict[str, str] = {}
    unlinked: dict[str, str] = {}
    units: dict[str, str] = {}
    for leaf in leaves:
        line_id = str(leaf["line_id"])
        link: Link | None = None
        amount = float(leaf["amount"])
        hint = str(leaf.get("link_hint") or "")
        if hint.startswith(PRIMARY_PREFIX):
            outcome = _primary_line(leaf, hint.removeprefix(PRIMARY_PREFIX), primary or {},
                                    primary_problems or {})
            if isinstance(outcome, str):
                unlinked[line_id] = outcome
            else:
                (amount, link), how[line_id] = outcome, "primary data"
                units[line_id] = (primary or {})[hint.removeprefix(PRIMARY_PREFIX)].declared_unit
            lines.append(Line(line_id=line_id, amount=amount, link=link,
                              supplier=leaf.get("supplier"), stage=leaf.get("stage"),
                              location=leaf.get("origin")))
            continue
        decision = linker.link(leaf)
        if decision.target is None:
            unlinked[line_id] = decision.how
        else:
            index = index_by_key[decision.target]
            converted = _amount_in_dataset_unit(leaf, snapshot.activities[index].unit)
            if isinstance(converted, str):
                unlinked[line_id] = converted
            else:
                amount, link = converted, BackgroundLink(index)
                how[line_id] = decision.how
                units[line_id] = snapshot.activities[index].unit or ""
        lines.append(Line(line_id=line_id, amount=amount, link=link,
                          supplier=leaf.get("supplier"), stage=leaf.get("stage"),
                          location=leaf.get("origin")))
    return LinkedLeaves(lines, how, unlinked, units)
