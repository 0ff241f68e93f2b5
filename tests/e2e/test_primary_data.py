"""Primary data through the API: validation refuses bad records whole; tenants kept apart."""

from __future__ import annotations

import pytest

PROCESS = {"kind": "process", "name": "Casting", "declared_unit": "kg",
           "emissions": [{"substance": "so2", "amount_kg": 0.01}],
           "inputs": [{"link_hint": "uslci:abc", "amount": 2, "unit": "kWh"}]}


@pytest.mark.parametrize(("change", "field"), [
    ({"declared_unit": "bananas"}, "declared_unit"),
    ({"emissions": [{"substance": "kryptonite", "amount_kg": 1}]}, "emissions"),
    ({"emissions": [{"substance": "so2", "amount_kg": -1}]}, "emissions"),
    ({"inputs": [{"link_hint": "no-colon", "amount": 1, "unit": "kg"}]}, "inputs"),
    ({"kind": "declared"}, ""),
    ({"kind": "declared", "emissions": [], "inputs": [],
      "values": {"gwp100_kg_co2e": 1, "gwp100_fossil_kg_co2e": 2,
                 "gwp100_biogenic_kg_co2e": 0, "gwp100_luc_kg_co2e": 0}}, ""),
    ({"reference_period_start": "2025-12-31", "reference_period_end": "2025-01-01"}, ""),
])
async def test_bad_records_are_refused(make_tenant, conn, change: dict, field: str) -> None:
    tenant = await make_tenant()
    async with await tenant.client("supplier") as http:
        response = await http.post("/v1/primary-data", json={**PROCESS, **change})
        assert response.status_code == 422, response.text
        assert any(field in issue["field"] for issue in response.json()["issues"])
    assert await conn.fetchval("select count(*) from primary_data where tenant_id = $1",
                               tenant.tenant_id) == 0


async def test_records_belong_to_their_tenant(make_tenant) -> None:
    owner, other = await make_tenant("owner"), await make_tenant("other")
    async with await owner.client("supplier") as http:
        created = await http.post("/v1/primary-data", json=PROCESS)
        assert created.status_code == 201
        record = created.json()
        assert record["link_hint"] == f"primary:{record['id']}"
        assert (await http.get(f"/v1/primary-data/{record['id']}")).status_code == 200
    async with await other.client("buyer") as http:
        assert (await http.get(f"/v1/primary-data/{record['id']}")).status_code == 404
        assert (await http.get("/v1/primary-data")).json() == []
    async with await owner.client("verifier") as http:
        assert (await http.get("/v1/primary-data")).status_code == 403
