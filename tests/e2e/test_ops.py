"""Operations endpoints and request ids over real HTTP."""

from __future__ import annotations

import httpx


async def test_health_ready_metrics(api_url: str, make_tenant) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert (await http.get("/metrics")).status_code == 401
        echoed = await http.get("/healthz", headers={"X-Request-ID": "trace-me-42"})
        assert echoed.headers["x-request-id"] == "trace-me-42"
        assert len((await http.get("/healthz")).headers["x-request-id"]) >= 16
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        assert (await http.get("/metrics")).status_code == 403
    async with await tenant.client("admin") as http:
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert "tanji_http_requests_total" in metrics.text


async def test_unknown_route_is_a_problem_document(api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        response = await http.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
