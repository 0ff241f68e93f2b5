"""OAuth2 client credentials over real HTTP: tokens, errors, expiry, revocation, hashing."""

from __future__ import annotations

import asyncpg
import httpx

from service.auth import store as auth_store
from service.auth.security import token_digest


async def test_token_and_use(make_tenant, api_url: str) -> None:
    tenant = await make_tenant()
    client_id, secret = tenant.credentials["buyer"]
    async with httpx.AsyncClient(base_url=api_url) as http:
        response = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                   auth=(client_id, secret))
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] > 0
        assert response.headers["cache-control"] == "no-store"
        ok = await http.get("/v1/products",
                            headers={"Authorization": f"Bearer {body['access_token']}"})
        assert ok.status_code == 200


async def test_token_errors_follow_rfc6749(make_tenant, api_url: str) -> None:
    tenant = await make_tenant()
    client_id, secret = tenant.credentials["buyer"]
    async with httpx.AsyncClient(base_url=api_url) as http:
        wrong = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                auth=(client_id, secret + "x"))
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"
        unknown = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                  auth=("tnj_nobody", secret))
        assert unknown.status_code == 401
        grant = await http.post("/auth/token", data={"grant_type": "password"},
                                auth=(client_id, secret))
        assert grant.status_code == 400
        assert grant.json()["error"] == "unsupported_grant_type"
        none = await http.post("/auth/token", data={"grant_type": "client_credentials"})
        assert none.status_code == 401


async def test_bad_expired_and_revoked_tokens_are_refused(make_tenant, api_url: str,
                                                          conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    token = await tenant.token("buyer")
    async with httpx.AsyncClient(base_url=api_url) as http:
        assert (await http.get("/v1/products")).status_code == 401
        bad = await http.get("/v1/products", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.headers["content-type"].startswith("application/problem+json")
        await conn.execute("update access_token set expires_at = now() - interval '1 second' "
                           "where token_hash = $1", token_digest(token))
        expired = await http.get("/v1/products", headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401
        token = await tenant.token("buyer")
        assert await auth_store.revoke_client(conn, client_id=tenant.credentials["buyer"][0],
                                              actor="test")
        revoked = await http.get("/v1/products", headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401
        again = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                auth=tenant.credentials["buyer"])
        assert again.status_code == 401


async def test_secrets_are_hashed_at_rest(make_tenant, conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    client_id, secret = tenant.credentials["buyer"]
    stored = await conn.fetchval("select secret_hash from client where client_id = $1", client_id)
    assert secret not in stored
    assert stored.startswith("$argon2id$")
    token = await tenant.token("buyer")
    raw = await conn.fetch("select token_hash::text as h from access_token")
    assert all(token not in r["h"] for r in raw)


async def test_secrets_and_tokens_never_reach_the_logs(make_tenant, api_url: str,
                                                       log_dir) -> None:
    tenant = await make_tenant()
    client_id, secret = tenant.credentials["buyer"]
    async with httpx.AsyncClient(base_url=api_url) as http:
        token = (await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                 auth=(client_id, secret))).json()["access_token"]
        await http.get("/v1/products", headers={"Authorization": f"Bearer {token}"})
        await http.post("/auth/token", data={"grant_type": "client_credentials",
                                             "client_id": client_id, "client_secret": "wrong"})
    logs = "".join(p.read_text(errors="replace") for p in log_dir.glob("*.log"))
    assert "request" in logs  # the API does log requests
    assert secret not in logs
    assert token not in logs
