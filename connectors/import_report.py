"""What an LCI import did: counts, shares, what was cut off or left unlinked, and why.

Every exchange that is not a production exchange ends in exactly one class:

- ``linked``: in the matrix (technosphere to a provider, biosphere to a flow);
- ``cut_off``: a technosphere input with no provider in the release (US LCI's
  "CUTOFF Flows", providers not published, unallocated by-products, a
  self-input that would make the matrix singular): dropped from the matrix,
  kept on the consuming activity;
- ``ambiguous``: several providers fit and the data do not say which: dropped,
  kept on the activity, never picked at random;
- ``no_counterpart``: an elementary flow the mapping table documents as
  having no target flow (with the reason): dropped, kept on the activity;
- ``unlinked``: everything else (a flow the mapping table does not know, a
  provider whose unit cannot be converted exactly). This is the share the
  import refuses above ``max_unlinked_share``.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "DataIssue",
    "FlowCount",
    "ImportReport",
    "LinkClass",
    "count_flows",
    "report_from_linked_data",
]

LinkClass = str  # "linked" | "cut_off" | "ambiguous" | "no_counterpart" | "unlinked"
LINK_CLASSES = ("linked", "cut_off", "ambiguous", "no_counterpart", "unlinked")


class FlowCount(BaseModel):
    """How often one flow (name, category, unit) ended in a class, and why."""

    name: str
    category: str
    unit: str
    kind: str
    reason: str
    count: int


class DataIssue(BaseModel):
    """A known or detected problem in a dataset, kept as published."""

    dataset: str
    issue: str
    detail: str


class ImportReport(BaseModel):
    """JSON-serialisable summary of one import (``report.model_dump_json()``)."""

    source: str
    database: str
    datasets: int = 0
    activities: int = 0
    written: bool = False
    duration_s: float = 0.0
    exchanges_by_kind: dict[str, int] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(LINK_CLASSES, 0))
    counts_by_kind: dict[str, dict[str, int]] = Field(default_factory=dict)
    unit_conversions: int = 0
    unlinked_flows: list[FlowCount] = Field(default_factory=list)
    no_counterpart_flows: list[FlowCount] = Field(default_factory=list)
    cut_off_flows: list[FlowCount] = Field(default_factory=list)
    ambiguous_flows: list[FlowCount] = Field(default_factory=list)
    multi_output: list[dict[str, Any]] = Field(default_factory=list)
    data_issues: list[DataIssue] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def exchanges_to_link(self) -> int:
        """All classified (non-production) exchanges."""
        return sum(self.counts.values())

    def share(self, link_class: LinkClass) -> float:
        """Share of non-production exchanges in one class (0 if there are none)."""
        total = self.exchanges_to_link
        return self.counts.get(link_class, 0) / total if total else 0.0

    @property
    def shares(self) -> dict[str, float]:
        """Share of each class among non-production exchanges."""
        return {c: round(self.share(c), 6) for c in LINK_CLASSES}

    def model_dump_with_shares(self) -> dict[str, Any]:
        """``model_dump()`` plus the computed shares."""
        return {**self.model_dump(), "shares": self.shares}


def count_flows(records: list[dict[str, Any]]) -> list[FlowCount]:
    """Group classified exchange records (name, category, unit, kind, reason) by flow."""
    counter: Counter[tuple[str, str, str, str, str]] = Counter(
        (r["name"], r.get("category", ""), r.get("unit", ""), r["kind"], r.get("reason", ""))
        for r in records
    )
    return [
        FlowCount(name=n, category=c, unit=u, kind=k, reason=why, count=count)
        for (n, c, u, k, why), count in counter.most_common()
    ]


def report_from_linked_data(
    data: list[dict[str, Any]], *, source: str, database: str, datasets: int | None = None
) -> ImportReport:
    """Build a report from bw2io importer data after its strategies ran.

    For importers whose linking is bw2io's own (tabular, ecoSpold2): every
    non-production exchange is ``linked`` if it has an ``input``, else
    ``unlinked`` (these formats have no cut-off convention).
    """
    report = ImportReport(source=source, database=database)
    report.datasets = len(data) if datasets is None else datasets
    report.activities = len(data)
    kinds: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    unlinked: list[dict[str, Any]] = []
    for activity in data:
        for exchange in activity.get("exchanges", []):
            kind = str(exchange.get("type", "unknown"))
            kinds[kind] += 1
            if kind == "production":
                continue
            link_class = "linked" if exchange.get("input") else "unlinked"
            report.counts[link_class] += 1
            by_kind.setdefault(kind, Counter())[link_class] += 1
            if link_class == "unlinked":
                categories = exchange.get("categories") or ()
                unlinked.append(
                    {
                        "name": str(exchange.get("name", "")),
                        "category": "/".join(categories)
                        if isinstance(categories, list | tuple)
                        else str(categories),
                        "unit": str(exchange.get("unit", "")),
                        "kind": kind,
                        "reason": "no match in the target database",
                    }
                )
    report.exchanges_by_kind = dict(kinds)
    report.counts_by_kind = {k: dict(v) for k, v in by_kind.items()}
    report.unlinked_flows = count_flows(unlinked)
    return report


def enforce_unlinked_limit(report: ImportReport, max_unlinked_share: float,
                           started: float) -> None:
    """The rule every importer applies before it writes anything: refuse the import, with
    its report, when more than ``max_unlinked_share`` of the exchanges are unlinked."""
    from connectors.errors import ImportFailed

    if report.share("unlinked") > max_unlinked_share:
        report.duration_s = round(time.perf_counter() - started, 3)
        raise ImportFailed(
            f"{report.counts['unlinked']} unlinked exchanges "
            f"({report.share('unlinked'):.2%} > {max_unlinked_share:.2%}); nothing written",
            report=report,
        )
