"""Link rules through the API: upsert, list, delete, and tenants kept apart."""

from __future__ import annotations

RULE = {"match_field": "material_class", "pattern": "aluminium", "target_database": "uslci",
        "target_code": "abc"}


async def test_rules_crud_and_tenancy(make_tenant) -> None:
    owner, intruder = await make_tenant("owner"), await make_tenant("intruder")
    async with await owner.client("buyer") as http:
        first = (await http.put("/v1/link-rules", json=RULE)).json()
        replaced = await http.put("/v1/link-rules", json={**RULE, "target_code": "def"})
        assert replaced.json()["id"] == first["id"]
        assert replaced.json()["target_code"] == "def"
        assert len((await http.get("/v1/link-rules")).json()) == 1
    async with await intruder.client("buyer") as http:
        assert (await http.get("/v1/link-rules")).json() == []
        assert (await http.delete(f"/v1/link-rules/{first['id']}")).status_code == 404
    async with await owner.client("supplier") as http:
        assert (await http.get("/v1/link-rules")).status_code == 403
    async with await owner.client("buyer") as http:
        assert (await http.delete(f"/v1/link-rules/{first['id']}")).status_code == 204
        assert (await http.get("/v1/link-rules")).json() == []
