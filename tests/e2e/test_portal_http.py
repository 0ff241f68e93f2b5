"""The web portal over plain HTTP: sign-in, cookie flags, CSRF refusals, sessions, tenancy,
roles, and that every visible string has an English and a Chinese message."""

from __future__ import annotations

import re
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import asyncpg
import httpx
import pytest

from service.auth.security import token_digest
from service.portal import admin, i18n, users
from tests.browser.fixtures import csrf_from, make_user, portal_url, sign_in

__all__ = ["portal_url"]  # a fixture, imported for pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "portal" / "templates"


def _cookie(response: httpx.Response, name: str) -> SimpleCookie:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            jar = SimpleCookie()
            jar.load(header)
            return jar
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


@pytest.fixture
async def tenant_with_users(make_tenant, conn: asyncpg.Connection):
    tenant = await make_tenant("portal")
    return tenant, {role: await make_user(conn, tenant.tenant_id, role)
                    for role in ("buyer", "supplier", "exporter")}


async def test_sign_in_sets_a_session_cookie_with_safe_flags(
        portal_url: str, tenant_with_users, conn: asyncpg.Connection) -> None:
    _, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        response = await sign_in(http, people["buyer"])
        cookie = _cookie(response, "tanji_portal")["tanji_portal"]
        assert cookie["httponly"] is True
        assert cookie["samesite"].lower() == "lax"
        assert cookie["path"] == "/"
        assert not cookie["secure"], "plain http: no Secure flag"
        assert int(cookie["max-age"]) > 0
        session_id = cookie.value
        stored = await conn.fetchrow("select id_hash, expires_at from portal_session "
                                     "where id_hash = $1", token_digest(session_id))
        assert stored is not None, "the session row keeps the id's SHA-256"
        assert not await conn.fetchval(
            "select count(*) from portal_session where id_hash = convert_to($1, 'UTF8')",
            session_id), "the clear session id is never stored"
        assert response.headers["location"] == "/portal/"
        home = await http.get("/portal/")
        assert home.status_code == 303
        assert home.headers["location"] == "/portal/products"
        page = await http.get("/portal/products")
        assert page.status_code == 200
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    async with httpx.AsyncClient(base_url=portal_url,
                                 headers={"X-Forwarded-Proto": "https"}) as http:
        page = await http.get("/portal/login")
        login_cookie = _cookie(page, "tanji_portal_login")["tanji_portal_login"]
        assert login_cookie["secure"], "served over https: Secure"
        http.cookies.set("tanji_portal_login", login_cookie.value)  # httpx keeps it for https
        response = await http.post("/portal/login", data={
            "email": people["buyer"].email, "password": people["buyer"].password,
            "csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        assert _cookie(response, "tanji_portal")["tanji_portal"]["secure"]


async def test_wrong_password_and_login_without_token_are_refused(
        portal_url: str, tenant_with_users) -> None:
    _, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        page = await http.get("/portal/login")
        token = csrf_from(page.text)
        assert _cookie(page, "tanji_portal_login")["tanji_portal_login"]["httponly"]
        bad = await http.post("/portal/login", data={"email": people["buyer"].email,
                                                     "password": "not the password",
                                                     "csrf_token": token})
        assert bad.status_code == 401
        assert "tanji_portal=" not in " ".join(bad.headers.get_list("set-cookie"))
        missing = await http.post("/portal/login", data={"email": people["buyer"].email,
                                                         "password": people["buyer"].password})
        assert missing.status_code == 403
    async with httpx.AsyncClient(base_url=portal_url) as http:  # no cookie: forged form
        forged = await http.post("/portal/login", data={
            "email": people["buyer"].email, "password": people["buyer"].password,
            "csrf_token": token})
        assert forged.status_code == 403
        assert "tanji_portal=" not in " ".join(forged.headers.get_list("set-cookie"))


async def test_posts_without_the_session_token_are_refused(
        portal_url: str, tenant_with_users, conn: asyncpg.Connection) -> None:
    tenant, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, people["buyer"])
        for data in ({"part_number": "CSRF-1", "name": "x"},
                     {"part_number": "CSRF-1", "name": "x", "csrf_token": "forged"}):
            refused = await http.post("/portal/products", data=data)
            assert refused.status_code == 403, refused.text
        assert not await conn.fetchval(
            "select count(*) from product where tenant_id = $1 and part_number = 'CSRF-1'",
            tenant.tenant_id)
        page = await http.get("/portal/products")
        created = await http.post("/portal/products", data={
            "part_number": "CSRF-1", "name": "x", "csrf_token": csrf_from(page.text)})
        assert created.status_code == 303
        assert created.headers["location"].startswith("/portal/products/")
        upload = await http.post(created.headers["location"] + "/boms",
                                 files={"file": ("b.csv", b"part_number,description\n")})
        assert upload.status_code == 403
        logout = await http.post("/portal/logout", data={})
        assert logout.status_code == 403, "logout is a POST with the token too"


async def test_logout_ends_the_session_on_the_server(
        portal_url: str, tenant_with_users, conn: asyncpg.Connection) -> None:
    _, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        response = await sign_in(http, people["supplier"])
        session_id = _cookie(response, "tanji_portal")["tanji_portal"].value
        page = await http.get("/portal/supplier")
        assert page.status_code == 200
        out = await http.post("/portal/logout", data={"csrf_token": csrf_from(page.text)})
        assert out.status_code == 303
        assert out.headers["location"] == "/portal/login"
        assert not await conn.fetchval("select count(*) from portal_session where id_hash = $1",
                                       token_digest(session_id))
    async with httpx.AsyncClient(base_url=portal_url,
                                 cookies={"tanji_portal": session_id}) as http:
        again = await http.get("/portal/supplier")
        assert again.status_code == 303
        assert again.headers["location"].startswith("/portal/login?next=")


async def test_expired_sessions_sign_out(portal_url: str, tenant_with_users,
                                         conn: asyncpg.Connection) -> None:
    _, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        response = await sign_in(http, people["exporter"])
        session_id = _cookie(response, "tanji_portal")["tanji_portal"].value
        assert (await http.get("/portal/exports")).status_code == 200
        await conn.execute("update portal_session set expires_at = now() - interval '1 second' "
                           "where id_hash = $1", token_digest(session_id))
        assert (await http.get("/portal/exports")).status_code == 303


async def test_other_tenants_pages_are_404_and_roles_apply(
        portal_url: str, tenant_with_users, make_tenant, conn: asyncpg.Connection) -> None:
    tenant_a, people_a = tenant_with_users
    async with await tenant_a.client("buyer") as api:
        product = (await api.post("/v1/products", json={"part_number": "SECRET-1",
                                                        "name": "A's product"})).json()
        revision = (await api.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"part_number": "X", "description": "x", "quantity": 1, "unit": "kg"}]})).json()
    tenant_b = await make_tenant("other")
    buyer_b = await make_user(conn, tenant_b.tenant_id, "buyer")
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, buyer_b)
        for path in (f"/portal/products/{product['id']}", f"/portal/revisions/{revision['id']}",
                     f"/portal/results/{revision['id']}", f"/portal/jobs/{revision['id']}",
                     f"/portal/exports/results/{revision['id']}/report.pdf"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "SECRET-1" not in response.text
        page = await http.get("/portal/products")
        assert "SECRET-1" not in page.text
        forged = await http.post(f"/portal/revisions/{revision['id']}/footprints",
                                 data={"csrf_token": csrf_from(page.text)})
        assert forged.status_code == 404
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, people_a["supplier"])
        assert (await http.get("/portal/products")).status_code == 403
        assert (await http.get("/portal/supplier")).status_code == 200
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, people_a["buyer"])
        assert (await http.get(f"/portal/products/{product['id']}")).status_code == 200
        assert (await http.get("/portal/login?next=https://evil.example/")).status_code == 200


async def test_open_redirects_are_refused(portal_url: str, tenant_with_users) -> None:
    _, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        page = await http.get("/portal/login")
        for target in ("https://evil.example/", "//evil.example/portal/", "/portal/\\evil"):
            response = await http.post("/portal/login", data={
                "email": people["buyer"].email, "password": people["buyer"].password,
                "csrf_token": csrf_from(page.text), "next": target})
            assert response.headers["location"] == "/portal/", target
            page = await http.get("/portal/login")


async def test_language_by_query_cookie_and_accept_language(portal_url: str) -> None:
    async with httpx.AsyncClient(base_url=portal_url) as http:
        assert "Sign in" in (await http.get("/portal/login")).text
        zh = await http.get("/portal/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert "登录" in zh.text
        assert 'lang="zh-CN"' in zh.text
        switched = await http.get("/portal/login?lang=zh")
        assert "登录" in switched.text
        assert http.cookies.get("tanji_lang") == "zh"
        assert "登录" in (await http.get("/portal/login")).text, "the cookie keeps it"
        assert "Sign in" in (await http.get("/portal/login?lang=en")).text


def test_every_message_key_exists_in_both_languages() -> None:
    assert set(i18n.EN) == set(i18n.ZH), set(i18n.EN) ^ set(i18n.ZH)
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_.]+)["']""", path.read_text()))
    dynamic = {k for k in used if k.endswith(".")}
    missing = sorted(k for k in used - dynamic if k not in i18n.EN)
    assert not missing, missing
    for prefix in ("job.state.", "result.status.", "stage.", "ghg.", "pollutant.",
                   "primary.kind.", "link.", "nav."):
        assert any(k.startswith(prefix) for k in i18n.EN), prefix
    for key in ("error.not_found", "error.forbidden", "error.csrf", "error.invalid",
                "error.too_large"):
        assert key + ".title" in i18n.ZH
        assert key + ".text" in i18n.ZH
    untranslated = sorted(k for k in i18n.ZH if i18n.ZH[k] == i18n.EN[k])
    assert not untranslated, untranslated


async def test_own_primary_data_upload_fix_and_link(
        portal_url: str, tenant_with_users, conn: asyncpg.Connection) -> None:
    tenant, people = tenant_with_users
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, people["supplier"])
        page = await http.get("/portal/supplier")
        token = csrf_from(page.text)
        template = await http.get("/portal/supplier/template.csv")
        assert template.text.lstrip("\ufeff").startswith("kind,item,amount,unit")
        assert (await http.get("/portal/supplier/template.xlsx")).content[:2] == b"PK"
        form = {"csrf_token": token, "name": "Plating, line 2", "declared_unit": "kg",
                "location": "CN-JS"}
        bad = b"kind,item,amount,unit\nemission,so2,2,g\nemission,nox,lots,g\nemission,xx,1,kg\n"
        review = await http.post("/portal/supplier/upload", data=form,
                                 files={"file": ("plating.csv", bad)})
        assert review.status_code == 422
        cells = re.findall(r'<tr data-row="(\d+)" class="bad-row">.*?<td data-field="(\w+)" '
                           r'class="bad">', review.text, flags=re.S)
        assert ("3", "amount") in cells
        assert "unknown substance" in review.text
        assert not await conn.fetchval("select count(*) from primary_data where tenant_id = $1",
                                       tenant.tenant_id)
        fixed = {**form, "action": "submit", "kind": ["emission", "emission"],
                 "item": ["so2", "nox"], "amount": ["2", "1"], "unit": ["g", "g"]}
        done = await http.post("/portal/supplier/submit", data=fixed)
        assert done.status_code == 303, done.text
        record_id = done.headers["location"].rsplit("=", 1)[-1]
        stored = await conn.fetchrow("select kind, location, payload from primary_data "
                                     "where tenant_id = $1 and id = $2", tenant.tenant_id,
                                     uuid.UUID(record_id))
        assert stored["kind"] == "process"
        assert stored["location"] == "CN-JS"
        assert {e["substance"] for e in stored["payload"]["emissions"]} == {"so2", "nox"}
    async with await tenant.client("buyer") as api:
        product = (await api.post("/v1/products", json={"part_number": "P-1",
                                                        "name": "Plated part"})).json()
        revision = (await api.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"line_id": "plating", "part_number": "X", "description": "Plating",
             "quantity": 0.2, "unit": "kg"}]})).json()
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, people["buyer"])
        page = await http.get(f"/portal/revisions/{revision['id']}")
        assert "Plating, line 2" in page.text
        linked = await http.post(f"/portal/revisions/{revision['id']}/primary-data", data={
            "csrf_token": csrf_from(page.text), "line_id": "plating",
            "primary_data_id": record_id})
        assert linked.status_code == 303, linked.text
        assert linked.headers["location"].startswith("/portal/jobs/")
        hint = await conn.fetchval(
            "select l.link_hint from bom_line l join bom_revision r on r.id = l.bom_revision_id "
            "where r.tenant_id = $1 and r.product_id = $2 and r.id <> $3", tenant.tenant_id,
            uuid.UUID(product["id"]), uuid.UUID(revision["id"]))
        assert hint == f"primary:{record_id}"
        job = await http.get(linked.headers["location"] + "/status")
        assert job.json()["state"] in ("queued", "running", "succeeded")


async def test_data_request_pages_follow_the_api_rules(
        portal_url: str, make_tenant, conn: asyncpg.Connection) -> None:
    buyer_t, supplier_t, third_t = (await make_tenant("rq-buyer"), await make_tenant("rq-sup"),
                                    await make_tenant("rq-third"))
    async with await buyer_t.client("admin") as api:
        code = (await api.post("/v1/partners/invitations", json={})).json()["code"]
    async with await supplier_t.client("admin") as api:
        assert (await api.post("/v1/partners", json={"code": code})).status_code == 201
    async with await buyer_t.client("buyer") as api:
        product = (await api.post("/v1/products", json={"part_number": "RQ-1",
                                                        "name": "Requested"})).json()
        revision = (await api.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"line_id": "cast", "part_number": "C", "description": "Casting",
             "quantity": 1, "unit": "kg", "supplier": "S"}]})).json()
    buyer = await make_user(conn, buyer_t.tenant_id, "buyer")
    supplier = await make_user(conn, supplier_t.tenant_id, "supplier")
    supplier_buyer = await make_user(conn, supplier_t.tenant_id, "buyer")
    outsider = await make_user(conn, third_t.tenant_id, "supplier", "buyer")
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, buyer)
        page = await http.get(f"/portal/revisions/{revision['id']}")
        assert f'value="{supplier_t.tenant_id}"' in page.text
        sent = await http.post(f"/portal/revisions/{revision['id']}/requests", data={
            "csrf_token": csrf_from(page.text), "line_id": "cast",
            "supplier_tenant_id": str(supplier_t.tenant_id), "due_date": "2099-01-01"})
        assert sent.status_code == 303, sent.text
        request_path = sent.headers["location"]
        request_id = request_path.rsplit("/", 1)[-1]
        assert (await http.get(request_path)).status_code == 200
        assert "RQ-1" in (await http.get("/portal/requests")).text
    paths = [f"/portal/supplier/requests/{request_id}",
             f"/portal/supplier/requests/{request_id}/template.csv"]
    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, supplier)
        for path in paths:
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get(request_path)).status_code == 303, "the supplier's own page"
        page = await http.get(paths[0])
        no_token = await http.post(f"/portal/supplier/requests/{request_id}/upload",
                                   files={"file": ("a.csv", b"x")})
        assert no_token.status_code == 403
        refused = await http.post(f"/portal/supplier/requests/{request_id}/upload",
                                  data={"csrf_token": csrf_from(page.text)},
                                  files={"file": ("a.csv", b"line_id,part_number\n")})
        assert refused.status_code == 422
        assert "missing column" in refused.text
    for person in (outsider, supplier_buyer):
        async with httpx.AsyncClient(base_url=portal_url) as http:
            await sign_in(http, person)
            page = await http.get("/portal/supplier")
            assert request_id not in page.text
            for path in [*paths, request_path]:
                response = await http.get(path)
                assert response.status_code in (403, 404), (person.roles, path)
                assert "RQ-1" not in response.text
            forged = await http.post(f"/portal/supplier/requests/{request_id}/upload",
                                     data={"csrf_token": csrf_from(page.text)},
                                     files={"file": ("a.csv", b"x")})
            assert forged.status_code in (403, 404)


async def test_operators_create_users_with_argon2_hashes(
        database_url: str, make_tenant, conn: asyncpg.Connection) -> None:
    tenant = await make_tenant("ops")
    email = f"ops-{uuid.uuid4().hex[:8]}@example.test"
    created = await admin.create_user_command(database_url, tenant_id=tenant.tenant_id,
                                              email=email, roles=["buyer", "exporter"])
    assert created["roles"] == ["buyer", "exporter"]
    assert len(created["password"]) >= users.MIN_PASSWORD_LENGTH
    stored = await conn.fetchval("select password_hash from portal_user where email = $1", email)
    assert stored.startswith("$argon2id$")
    assert created["password"] not in stored
    signed_in = await users.authenticate(conn, email.upper(), created["password"])
    assert signed_in is not None
    assert signed_in.tenant_id == tenant.tenant_id
    assert await users.authenticate(conn, email, "wrong password!") is None
    for kwargs in ({"email": email, "roles": ["buyer"]},
                   {"email": "x-" + email, "roles": ["root"]},
                   {"email": "y-" + email, "roles": ["buyer"], "password": "short"}):
        with pytest.raises(users.UserError):
            await admin.create_user_command(database_url, tenant_id=tenant.tenant_id, **kwargs)
    given = await admin.create_user_command(database_url, tenant_id=tenant.tenant_id,
                                            email="z-" + email, roles=["supplier"],
                                            password="a long enough password")
    assert "password" not in given
    if not await conn.fetchval("select 1 from portal_user where email = $1", admin.DEMO_EMAIL):
        demo = await admin.ensure_demo_user(conn, tenant.tenant_id, ["admin", "buyer"])
        assert demo is not None
        assert demo["portal_email"] == admin.DEMO_EMAIL
        assert await users.authenticate(conn, admin.DEMO_EMAIL, demo["portal_password"])
    assert await admin.ensure_demo_user(conn, tenant.tenant_id, ["buyer"]) is None
