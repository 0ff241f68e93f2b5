"""Partnerships, requests and answers: the rules between router and SQL.

Answers are validated whole (422 listing each problem, nothing stored), then checked for
plausibility against the buyer's current footprint of the part: a supplier value over 10x or
under 1/10 of the background value is *flagged* on the answer, never refused. Accepting an
answer shares the records with the buyer's footprints, makes new BOM revisions whose lines
link to them (revisions are immutable) and queues a footprint job for each.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from celery import Celery
from pydantic import ValidationError

from connectors import supplier_template
from connectors.bom import validate_rows
from lca.footprint import footprint
from lca.linking import link_leaves
from lca.primary import resolve_records
from lca.units import UnitError, conversion_factor
from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store as bom_store
from service.config import Settings
from service.errors import Conflict, InvalidInput, NotFound
from service.footprints.schemas import FootprintRequest
from service.jobs import dispatch
from service.jobs import store as job_store
from service.primary import store as primary_store
from service.primary.schemas import PrimaryDataCreate
from service.requests import store, webhooks
from service.requests.schemas import (
    AnswerCreate,
    AnswerItemPublic,
    AnswerPublic,
    DataRequestCreate,
    DataRequestPublic,
)
from service.snapshots import cache
from service.snapshots import store as snapshot_store

GWP = "gwp100_kg_co2e"
PLAUSIBLE_FACTOR = 10.0
BUYER_ROLES = {"buyer", "admin"}
SUPPLIER_ROLES = {"supplier", "admin"}


# ------------------------------------------------------------------------------ partners


def code_digest(code: str) -> bytes:
    """What is stored for an invitation code: its SHA-256 (the code has 192 random bits)."""
    return hashlib.sha256(code.encode()).digest()


async def invite(conn: asyncpg.Connection, principal: Principal, *, note: str | None,
                 expires_in_days: int, request_id: str | None) -> tuple[UUID, str, datetime]:
    """A new invitation and its one-time code."""
    code = "tnjinv_" + secrets.token_urlsafe(24)
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
    async with conn.transaction():
        row = await store.insert_invitation(conn, buyer_tenant_id=principal.tenant_id,
                                            code_hash=code_digest(code), note=note,
                                            expires_at=expires_at)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="partner_invitation", object_id=str(row["id"]),
                    request_id=request_id)
    return row["id"], code, row["expires_at"]


async def accept_invitation(conn: asyncpg.Connection, principal: Principal, *, code: str,
                            request_id: str | None) -> asyncpg.Record:
    """The partnership the code creates; NotFound for a wrong, used, expired or own code."""
    async with conn.transaction():
        claimed = await store.claim_invitation(conn, code_hash=code_digest(code),
                                               supplier_tenant_id=principal.tenant_id)
        if claimed is None:
            raise NotFound("no such invitation (wrong, used or expired code)")
        partnership_id = await store.insert_partnership(
            conn, buyer_tenant_id=claimed["buyer_tenant_id"],
            supplier_tenant_id=principal.tenant_id, invitation_id=claimed["id"])
        if partnership_id is None:
            raise Conflict("the two organisations are partners already")
        for tenant_id in (claimed["buyer_tenant_id"], principal.tenant_id):
            await audit(conn, tenant_id=tenant_id, actor=principal.actor, action="create",
                        object_type="partnership", object_id=str(partnership_id),
                        request_id=request_id)
        return await store.get_partnership(conn, partnership_id)


def partnership_side(principal: Principal, row: Mapping[str, Any]) -> str:
    """Which side of the partnership the caller's tenant is on."""
    return "buyer" if row["buyer_tenant_id"] == principal.tenant_id else "supplier"


# ------------------------------------------------------------------------------ requests


def side(principal: Principal, request: Mapping[str, Any]) -> str | None:
    """``buyer`` or ``supplier`` when the caller may see the request in that role, else None."""
    roles = set(principal.roles)
    if request["buyer_tenant_id"] == principal.tenant_id and roles & BUYER_ROLES:
        return "buyer"
    if request["supplier_tenant_id"] == principal.tenant_id and roles & SUPPLIER_ROLES:
        return "supplier"
    return None


async def visible_request(conn: asyncpg.Connection, principal: Principal, request_id: UUID,
                          *, as_side: str | None = None) -> tuple[asyncpg.Record, str]:
    """The request and the caller's side; NotFound for anyone else (or the wrong side)."""
    row = await store.get_request(conn, principal.tenant_id, request_id)
    who = side(principal, row) if row is not None else None
    if who is None or (as_side is not None and who != as_side):
        raise NotFound("no such data request")
    return row, who


def request_public(row: Mapping[str, Any], who: str, *, today: date | None = None
                   ) -> DataRequestPublic:
    """A request as the caller sees it, with its derived status."""
    today = today or datetime.now(UTC).date()
    overdue = row["state"] in ("open", "rejected") and row["due_date"] < today
    fields = {k: row[k] for k in ("id", "buyer_tenant_id", "buyer_name", "supplier_tenant_id",
                                  "supplier_name", "product_id", "bom_revision_id", "parts",
                                  "due_date", "message", "state", "created_at", "updated_at")}
    return DataRequestPublic(**fields, side=who, overdue=overdue,
                             status="overdue" if overdue else row["state"],
                             template_csv_url=f"/v1/requests/{row['id']}/template.csv",
                             template_xlsx_url=f"/v1/requests/{row['id']}/template.xlsx")


async def create_request(conn: asyncpg.Connection, principal: Principal, body: DataRequestCreate,
                         *, request_id: str | None) -> tuple[UUID, list[UUID]]:
    """Store an open request for leaf lines of the buyer's revision; returns its id and the
    supplier's webhook deliveries to send."""
    partnership_id = await store.find_partnership(conn, buyer_tenant_id=principal.tenant_id,
                                                  supplier_tenant_id=body.supplier_tenant_id)
    if partnership_id is None:
        raise NotFound("no such partner supplier")
    revision = await bom_store.get_revision(conn, principal.tenant_id, body.bom_revision_id)
    if revision is None or revision["product_id"] != body.product_id:
        raise NotFound("no such BOM revision of this product")
    lines = await bom_store.get_lines(conn, revision["id"])
    parents = {line["parent_line_id"] for line in lines}
    by_id = {line["line_id"]: line for line in lines}
    issues: list[dict[str, Any]] = []
    chosen: dict[str, dict[str, Any]] = {}
    for i, line_id in enumerate(body.line_ids):
        if line_id not in by_id:
            issues.append({"field": f"line_ids.{i}", "message": f"no line {line_id!r}"})
        else:
            chosen[line_id] = by_id[line_id]
    for i, part_number in enumerate(body.part_numbers):
        matches = [line for line in lines if line["part_number"] == part_number]
        if not matches:
            issues.append({"field": f"part_numbers.{i}",
                           "message": f"no line has part number {part_number!r}"})
        chosen.update((line["line_id"], line) for line in matches)
    for line_id in chosen:
        if line_id in parents:
            issues.append({"field": "line_ids", "message": f"line {line_id!r} has sub-lines: "
                                                           "ask for its leaf lines"})
    if body.due_date < datetime.now(UTC).date():
        issues.append({"field": "due_date", "message": "in the past"})
    if issues:
        raise InvalidInput("the request cannot be made", issues=issues)
    parts = [{"line_id": line["line_id"], "part_number": line["part_number"],
              "description": line["description"], "unit": line["unit"],
              "supplier": line["supplier"]} for line in chosen.values()]
    async with conn.transaction():
        new_id = await store.insert_request(
            conn, buyer_tenant_id=principal.tenant_id, supplier_tenant_id=body.supplier_tenant_id,
            partnership_id=partnership_id, product_id=body.product_id,
            bom_revision_id=revision["id"], parts=parts, due_date=body.due_date,
            message=body.message)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="data_request", object_id=str(new_id), request_id=request_id)
        deliveries = await webhooks.emit(
            conn, tenant_id=body.supplier_tenant_id, event_type="data_request.created",
            data={"request_id": str(new_id), "due_date": body.due_date.isoformat(),
                  "parts": [p["part_number"] for p in parts]})
    return new_id, deliveries


# ------------------------------------------------------------------------------ answers


def _pydantic_issues(exc: ValidationError, prefix: str) -> list[dict[str, Any]]:
    return [{"field": prefix + ".".join(str(p) for p in e["loc"]) if e["loc"] else
             prefix.rstrip("."), "message": e["msg"]} for e in exc.errors()]


def items_from_json(body: AnswerCreate) -> tuple[str, list[dict[str, Any]]]:
    """The form and ``{line_id, record, notes}`` per item of a JSON answer, or InvalidInput."""
    issues: list[dict[str, Any]] = []
    items = []
    forms = set()
    for i, item in enumerate(body.items):
        prefix = f"items.{i}."
        try:
            if item.declared is not None:
                forms.add("declared")
                record, notes = supplier_template.declared_record(
                    item.declared.model_dump(mode="json"))
            elif item.process is not None:
                forms.add("process")
                record, notes = supplier_template.process_record(
                    item.process.model_dump(mode="json"))
            else:
                forms.add("pact")
                record, notes = _pact_record(item.pact or {})
        except supplier_template.TemplateInvalid as exc:
            sub = {"declared": "declared.", "process": "process.", "pact": "pact."}
            form = "declared" if item.declared else "process" if item.process else "pact"
            issues += [{"field": prefix + sub[form] + str(e["field"] or ""),
                        "message": e["message"]} for e in exc.issues]
            continue
        items.append({"line_id": item.line_id, "record": record, "notes": notes})
    if issues:
        raise InvalidInput("the answer is refused", issues=issues)
    return (forms.pop() if len(forms) == 1 else "mixed"), items


def _pact_record(document: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    try:
        from connectors import pact
    except ImportError:  # the PACT connector ships separately
        raise supplier_template.TemplateInvalid("PACT documents are not supported here", [
            {"row": None, "field": "", "message": "not supported"}]) from None
    try:
        parsed = pact.parse_product_footprint(document)
    except pact.SchemaError as exc:
        issues = list(getattr(exc, "issues", []) or [str(exc)])
        raise supplier_template.TemplateInvalid("not a valid PACT ProductFootprint", [
            {"row": None, "field": "", "message": str(m)} for m in issues]) from None
    record = {k: v for k, v in parsed["declared"].items() if k != "pact"}
    return record, [f"from PACT ProductFootprint {parsed['pf_id']} v{parsed['version']}"]


def _item_index(field_name: str) -> int | None:
    parts = field_name.split(".")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "items" and parts[1].isdigit() \
        else None


def _with_row(item: Mapping[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
    """For an answer from a file, the spreadsheet row the problem is on (when known)."""
    rows = item.get("rows")
    if not rows or "row" in issue:
        return issue
    field_parts = str(issue.get("field", "")).split(".")
    name = next((p for p in reversed(field_parts) if p in rows), None)
    if name is None and "reference_period" in str(issue.get("field")):
        name = "reference_period_start"
    return {**issue, "row": rows.get(name) if name else rows.get("kind")}


def validate_items(request: Mapping[str, Any],
                   items: Sequence[Mapping[str, Any]]) -> list[tuple[dict, PrimaryDataCreate]]:
    """Every part answered once, each record valid, in a unit of the part's dimension, with a
    reference period; InvalidInput listing every problem otherwise."""
    parts = {p["line_id"]: p for p in request["parts"]}
    issues: list[dict[str, Any]] = []
    out = []
    seen: set[str] = set()
    today = datetime.now(UTC).date()
    for i, item in enumerate(items):
        prefix = f"items.{i}."
        part = parts.get(item["line_id"])
        if part is None:
            issues.append({"field": prefix + "line_id",
                           "message": f"{item['line_id']!r} is not a part of this request"})
            continue
        if item["line_id"] in seen:
            issues.append({"field": prefix + "line_id", "message": "answered twice"})
            continue
        seen.add(item["line_id"])
        try:
            record = PrimaryDataCreate.model_validate(item["record"])
        except ValidationError as exc:
            issues += [_with_row(item, {**e, "line_id": item["line_id"]})
                       for e in _pydantic_issues(exc, prefix)]
            continue
        try:
            conversion_factor(part["unit"], record.declared_unit)
        except UnitError:
            issues.append({"field": prefix + "declared_unit", "line_id": item["line_id"],
                           "message": f"{record.declared_unit!r} does not measure the part, "
                                      f"which the BOM counts in {part['unit']!r}"})
        if record.reference_period_start is None or record.reference_period_end is None:
            issues.append({"field": prefix + "reference_period", "line_id": item["line_id"],
                           "message": "a reference period (start and end) is required"})
        elif record.reference_period_start > today:
            issues.append({"field": prefix + "reference_period_start",
                           "line_id": item["line_id"], "message": "in the future"})
        out.append((dict(item), record))
    issues = [_with_row(items[i], issue) if "line_id" in issue and i is not None else issue
              for issue in issues
              for i in [_item_index(issue.get("field", ""))]]
    missing = [line_id for line_id in parts if line_id not in seen]
    issues += [{"field": "items", "line_id": m, "message": f"part {m!r} is not answered"}
               for m in missing]
    if issues:
        raise InvalidInput("the answer is refused", issues=issues)
    return out


def _per_unit_engine(records: Sequence[Mapping[str, Any]], snapshot: Any,
                     table: Any) -> dict[str, dict[str, float | None] | str]:
    """Indicator totals per declared unit of each record, on the buyer's background."""
    links, problems = resolve_records(records, snapshot)
    out: dict[str, dict[str, float | None] | str] = {}
    for record in records:
        key = str(record["id"])
        if key in problems:
            out[key] = problems[key]
            continue
        leaf = {"line_id": key, "amount": 1.0, "unit": record["declared_unit"],
                "link_hint": f"primary:{key}"}
        linked = link_leaves([leaf], snapshot, [], primary=links, primary_problems=problems)
        fp = footprint(linked.lines, table, snapshot)
        out[key] = {i: float(v) for i, v in zip(fp.indicator_ids, fp.total, strict=True)}
    return out


async def per_unit_totals(conn: asyncpg.Connection, settings: Settings, buyer_tenant_id: UUID,
                          records: Sequence[PrimaryDataCreate]
                          ) -> tuple[list[dict[str, float | None] | None], list[str]]:
    """Totals per declared unit: declared values as given; process data computed by the
    engine on the buyer's latest background snapshot (None when there is none)."""
    totals: list[dict[str, float | None] | None] = []
    bases: list[str] = []
    snapshot_hash = None
    process = [(i, r) for i, r in enumerate(records) if r.kind == "process"]
    computed: dict[str, Any] = {}
    if process:
        snapshot_hash = await snapshot_store.latest_snapshot(conn, buyer_tenant_id)
        if snapshot_hash is not None:
            snapshot, table = await cache.load(conn, snapshot_hash,
                                               settings.data_dir / "snapshots")
            rows = [{"id": str(i), "kind": r.kind, "declared_unit": r.declared_unit,
                     "location": r.location, "payload": r.payload()} for i, r in process]
            computed = await asyncio.to_thread(_per_unit_engine, rows, snapshot, table)
    for i, record in enumerate(records):
        if record.kind == "declared":
            totals.append(dict(record.values))
            bases.append("declared")
        elif snapshot_hash is None:
            totals.append(None)
            bases.append("not computed: the buyer has no background snapshot")
        elif isinstance(computed.get(str(i)), str):
            totals.append(None)
            bases.append(f"not computed: {computed[str(i)]}")
        else:
            totals.append(computed[str(i)])
            bases.append(f"computed on the buyer's background snapshot {snapshot_hash[:12]}")
    return totals, bases


def plausibility_flags(request: Mapping[str, Any], result: Mapping[str, Any] | None,
                       explosion: Sequence[Mapping[str, Any]],
                       checked: Sequence[tuple[str, str, float | None]]) -> list[dict[str, Any]]:
    """Flags for parts whose supplier GWP100 per unit is over 10x or under 1/10 of the
    background line of the buyer's current result. ``checked``: (line_id, declared_unit,
    supplier gwp100 per declared unit)."""
    if not result:
        return []
    lines = {line["line_id"]: line for line in result.get("lines", [])}
    leaves = {leaf["line_id"]: leaf for leaf in explosion}
    parts = {p["line_id"]: p for p in request["parts"]}
    flags = []
    for line_id, declared_unit, supplier_gwp in checked:
        line, leaf = lines.get(line_id), leaves.get(line_id)
        if supplier_gwp is None or line is None or leaf is None:
            continue
        link = line.get("link") or {}
        background = (line.get("values") or {}).get(GWP)
        if link.get("type") != "background" or background is None or not leaf["amount"]:
            continue
        background_per_unit = background / float(leaf["amount"])
        try:
            supplier_per_unit = supplier_gwp * conversion_factor(leaf["unit"], declared_unit)
        except UnitError:
            continue
        if background_per_unit <= 0:
            continue
        ratio = supplier_per_unit / background_per_unit
        if ratio > PLAUSIBLE_FACTOR or ratio < 1 / PLAUSIBLE_FACTOR:
            flags.append({
                "line_id": line_id, "part_number": parts[line_id]["part_number"],
                "kind": "implausible", "indicator": GWP, "unit": leaf["unit"],
                "supplier_value_per_unit": supplier_per_unit,
                "background_value_per_unit": background_per_unit, "ratio": ratio,
                "background_dataset": f"{link.get('database')}:{link.get('code')}",
                "message": f"the supplier's {GWP} per {leaf['unit']} is {ratio:.3g} times the "
                           "background value (plausible: 1/10 to 10 times)"})
    return flags


async def submit_answer(conn: asyncpg.Connection, settings: Settings, principal: Principal,
                        request: Mapping[str, Any], *, form: str,
                        items: Sequence[Mapping[str, Any]], share_detail: bool,
                        comment: str | None, request_id: str | None
                        ) -> tuple[asyncpg.Record, list[UUID]]:
    """Validate, compute, flag, then store records + answer at once; returns the answer and
    the buyer's webhook deliveries to send."""
    if request["state"] not in ("open", "rejected"):
        raise Conflict(f"the request is {request['state']}: it takes no answer now")
    validated = validate_items(request, items)
    records = [record for _, record in validated]
    totals, bases = await per_unit_totals(conn, settings, request["buyer_tenant_id"], records)
    revision = await bom_store.get_revision(conn, request["buyer_tenant_id"],
                                            request["bom_revision_id"])
    result = await store.latest_result(conn, request["buyer_tenant_id"], revision["id"])
    flags = plausibility_flags(
        request, result, revision["explosion"],
        [(item["line_id"], record.declared_unit, (total or {}).get(GWP))
         for (item, record), total in zip(validated, totals, strict=True)])
    parts = {p["line_id"]: p for p in request["parts"]}
    async with conn.transaction():
        if await store.lock_request(conn, request["id"]) not in ("open", "rejected"):
            raise Conflict("the request was answered meanwhile")
        stored_items = []
        for (item, record), total, basis in zip(validated, totals, bases, strict=True):
            row = await primary_store.insert(conn, principal.tenant_id, record)
            await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                        action="create", object_type="primary_data", object_id=str(row["id"]),
                        detail={"kind": record.kind, "data_request": str(request["id"])},
                        request_id=request_id)
            stored_items.append({
                "line_id": item["line_id"], "part_number": parts[item["line_id"]]["part_number"],
                "primary_data_id": str(row["id"]), "kind": record.kind, "name": record.name,
                "declared_unit": record.declared_unit,
                "reference_period_start": _iso(record.reference_period_start),
                "reference_period_end": _iso(record.reference_period_end),
                "standard": record.standard, "verification": record.verification,
                "per_unit": total, "per_unit_basis": basis, "notes": list(item["notes"])})
        answer = await store.insert_answer(
            conn, request_id=request["id"], supplier_tenant_id=principal.tenant_id, form=form,
            items=stored_items, share_detail=share_detail, flags=flags, comment=comment)
        await store.set_request_state(conn, request["id"], "answered")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="data_answer", object_id=str(answer["id"]),
                    detail={"data_request": str(request["id"]), "flags": len(flags)},
                    request_id=request_id)
        deliveries = await webhooks.emit(
            conn, tenant_id=request["buyer_tenant_id"], event_type="data_request.answered",
            data={"request_id": str(request["id"]), "answer_id": str(answer["id"]),
                  "flags": len(flags), "parts": [i["part_number"] for i in stored_items]})
    return answer, deliveries


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


async def answer_public(conn: asyncpg.Connection, answer: Mapping[str, Any], who: str
                        ) -> AnswerPublic:
    """An answer as one side sees it: process detail only for the supplier, or for the buyer
    when the supplier chose ``share_detail``."""
    items = []
    show_detail = who == "supplier" or answer["share_detail"]
    for item in answer["items"]:
        detail = None
        if show_detail:
            row = await primary_store.get(conn, answer["supplier_tenant_id"],
                                          UUID(item["primary_data_id"]))
            detail = row["payload"] if row else None
        items.append(AnswerItemPublic(**item, detail=detail))
    outcome = answer["outcome"] if who == "buyer" else (
        {"accepted": True} if answer["state"] == "accepted" else None)
    return AnswerPublic(id=answer["id"], request_id=answer["request_id"], form=answer["form"],
                        state=answer["state"], share_detail=answer["share_detail"], items=items,
                        flags=answer["flags"], comment=answer["comment"],
                        reject_reason=answer["reject_reason"], outcome=outcome,
                        created_at=answer["created_at"], decided_at=answer["decided_at"])


# ------------------------------------------------------------------------------ decisions


def _relinked(lines: Sequence[Mapping[str, Any]], record_by_line: Mapping[str, str],
              units: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """The lines with ``primary:<id>`` on the answered leaves; None when nothing changes."""
    parents = {line["parent_line_id"] for line in lines}
    changed = False
    out = []
    for line in lines:
        new = dict(line)
        record_id = record_by_line.get(line["line_id"])
        if record_id and line["line_id"] not in parents:
            try:
                conversion_factor(line["unit"], units[record_id])
            except UnitError:
                record_id = None
        if record_id and line["link_hint"] != f"primary:{record_id}":
            new["link_hint"] = f"primary:{record_id}"
            changed = True
        out.append(new)
    return out if changed else None


async def accept_answer(conn: asyncpg.Connection, settings: Settings, celery: Celery,
                        principal: Principal, request: Mapping[str, Any],
                        answer: Mapping[str, Any], *, request_id: str | None
                        ) -> tuple[asyncpg.Record, list[UUID]]:
    """Share the records, relink the parts in new revisions, queue footprints."""
    items = answer["items"]
    by_line = {i["line_id"]: i["primary_data_id"] for i in items}
    by_part = {i["part_number"]: i["primary_data_id"] for i in items}
    units = {i["primary_data_id"]: i["declared_unit"] for i in items}
    suppliers = {p["part_number"]: p.get("supplier") for p in request["parts"]}
    buyer = principal.tenant_id
    revisions: list[dict[str, Any]] = []
    jobs: list[UUID] = []
    async with conn.transaction():
        if await store.lock_request(conn, request["id"]) != "answered":
            raise Conflict("the request has no answer waiting for a decision")
        await store.share_records(conn, [UUID(r) for r in set(by_line.values())],
                                  owner_tenant_id=request["supplier_tenant_id"],
                                  shared_with_tenant_id=buyer, answer_id=answer["id"])
        bases = [(request["product_id"], request["bom_revision_id"], True)]
        bases += [(r["product_id"], r["id"], False) for r in
                  await store.latest_revisions_with_parts(
                      conn, buyer, except_product=request["product_id"],
                      part_numbers=list(by_part))]
        for product_id, revision_id, same_revision in bases:
            lines = await bom_store.get_lines(conn, revision_id)
            if same_revision:
                mapping = by_line
            else:  # the same part from the same supplier in another product
                mapping = {line["line_id"]: by_part[line["part_number"]] for line in lines
                           if line["part_number"] in by_part
                           and line["supplier"] == suppliers.get(line["part_number"])}
            relinked = _relinked(lines, mapping, units)
            if relinked is None:
                continue
            bom = validate_rows(list(enumerate(relinked, start=1)),
                                max_lines=settings.max_bom_lines)
            row, created = await bom_store.insert_revision(
                conn, tenant_id=buyer, product_id=product_id, bom=bom,
                source=f"data-request:{request['id']}")
            if created:
                await audit(conn, tenant_id=buyer, actor=principal.actor, action="create",
                            object_type="bom_revision", object_id=str(row["id"]),
                            detail={"bom_revision_hash": bom.revision_hash,
                                    "from_revision": str(revision_id),
                                    "data_answer": str(answer["id"])}, request_id=request_id)
            job, job_created = await job_store.create_job(
                conn, tenant_id=buyer, kind="footprint",
                request=FootprintRequest(bom_revision_id=row["id"]).model_dump(mode="json"),
                idempotency_key=f"data-answer:{answer['id']}:{row['id']}")
            if job_created:
                await audit(conn, tenant_id=buyer, actor=principal.actor, action="create",
                            object_type="job", object_id=str(job["id"]),
                            detail={"kind": "footprint"}, request_id=request_id)
            jobs.append(job["id"])
            revisions.append({"product_id": str(product_id), "from_revision": str(revision_id),
                              "bom_revision_id": str(row["id"]), "job_id": str(job["id"]),
                              "job_url": f"/v1/jobs/{job['id']}"})
        outcome = {"revisions": revisions}
        decided = await store.decide_answer(conn, answer["id"], state="accepted", reason=None,
                                            outcome=outcome)
        if decided is None:
            raise Conflict("the answer was decided meanwhile")
        await store.set_request_state(conn, request["id"], "accepted")
        await audit(conn, tenant_id=buyer, actor=principal.actor, action="accept",
                    object_type="data_answer", object_id=str(answer["id"]),
                    detail=outcome, request_id=request_id)
        deliveries = await webhooks.emit(
            conn, tenant_id=request["supplier_tenant_id"], event_type="data_answer.accepted",
            data={"request_id": str(request["id"]), "answer_id": str(answer["id"])})
        deliveries += await webhooks.emit(
            conn, tenant_id=buyer, event_type="data_answer.accepted",
            data={"request_id": str(request["id"]), "answer_id": str(answer["id"]),
                  "revisions": revisions})
    for job_id in jobs:
        await dispatch.send(celery, job_id)
    return decided, deliveries


async def reject_answer(conn: asyncpg.Connection, principal: Principal,
                        request: Mapping[str, Any], answer: Mapping[str, Any], *, reason: str,
                        request_id: str | None) -> tuple[asyncpg.Record, list[UUID]]:
    """Reject a submitted answer; the supplier may answer again."""
    async with conn.transaction():
        if await store.lock_request(conn, request["id"]) != "answered":
            raise Conflict("the request has no answer waiting for a decision")
        decided = await store.decide_answer(conn, answer["id"], state="rejected", reason=reason,
                                            outcome=None)
        if decided is None:
            raise Conflict("the answer was decided already")
        await store.set_request_state(conn, request["id"], "rejected")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="reject",
                    object_type="data_answer", object_id=str(answer["id"]),
                    detail={"reason": reason}, request_id=request_id)
        deliveries = await webhooks.emit(
            conn, tenant_id=request["supplier_tenant_id"], event_type="data_answer.rejected",
            data={"request_id": str(request["id"]), "answer_id": str(answer["id"]),
                  "reason": reason})
    return decided, deliveries
