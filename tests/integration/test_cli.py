"""The operator CLI against a real database: tenants, clients (secret shown once), revocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import asyncpg
import httpx


def tanji(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANJI_")}
    env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


async def test_tenant_client_revoke(database_url: str, api_url: str,
                                    conn: asyncpg.Connection) -> None:
    created = tanji("tenant", "create", "cli-co", database_url=database_url)
    assert created.returncode == 0, created.stderr
    tenant_id = created.stdout.strip().splitlines()[-1]
    client = tanji("client", "create", "--tenant", tenant_id, "--role", "buyer", "--role",
                   "exporter", database_url=database_url)
    assert client.returncode == 0, client.stderr
    credentials = json.loads(client.stdout[client.stdout.index("{"):])
    assert credentials["roles"] == ["buyer", "exporter"]
    stored = await conn.fetchval("select secret_hash from client where client_id = $1",
                                 credentials["client_id"])
    assert credentials["client_secret"] not in stored
    async with httpx.AsyncClient(base_url=api_url) as http:
        ok = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                             auth=(credentials["client_id"], credentials["client_secret"]))
        assert ok.status_code == 200
        revoked = tanji("client", "revoke", credentials["client_id"], database_url=database_url)
        assert revoked.returncode == 0, revoked.stderr
        token = ok.json()["access_token"]
        refused = await http.get("/v1/products", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    again = tanji("client", "revoke", credentials["client_id"], database_url=database_url)
    assert again.returncode == 1
    bad_role = tanji("client", "create", "--tenant", tenant_id, "--role", "emperor",
                     database_url=database_url)
    assert bad_role.returncode != 0
    audit = await conn.fetch("select action, object_type from audit_log where tenant_id = $1",
                             uuid.UUID(tenant_id))
    assert {("create", "tenant"), ("create", "client"), ("revoke", "client")} <= {
        (r["action"], r["object_type"]) for r in audit}
