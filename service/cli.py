"""The ``tanji`` command: run everything locally, or manage tenants and clients.

    tanji run                      API + worker (+ embedded PostgreSQL / file broker when unset)
    tanji api | tanji worker       one part only
    tanji migrate
    tanji tenant create NAME
    tanji client create --tenant ID --role buyer [--role ...] [--name NAME]
    tanji client revoke CLIENT_ID
    tanji user create --tenant ID --email EMAIL --role buyer [--role ...] [--name NAME]
                      [--password-stdin]      a portal user; prints a generated password once
    tanji snapshot import uslci|tiangong|tiangong+uslci [--tenant ID]
    tanji openapi [--check]        write (or check) openapi/openapi.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

from service import db
from service.auth import store as auth_store
from service.auth.security import ROLES
from service.config import Settings, get_settings
from service.jobs import store as job_store
from service.logging import configure
from service.portal.admin import create_user_command, ensure_demo_user
from service.portal.users import UserError

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def _dsn(settings: Settings) -> str:
    if settings.database_url is None:
        sys.exit("DATABASE_URL is not set (tanji run starts an embedded PostgreSQL)")
    return settings.database_url


async def _migrate(dsn: str) -> list[str]:
    async with db.connect(dsn) as conn:
        return await db.migrate(conn)


async def _create_tenant(dsn: str, name: str) -> UUID:
    async with db.connect(dsn) as conn:
        await db.migrate(conn)
        return await auth_store.create_tenant(conn, name=name, actor="cli")


async def _create_client(dsn: str, tenant_id: UUID, name: str, roles: list[str]) -> dict:
    async with db.connect(dsn) as conn:
        await db.migrate(conn)
        created = await auth_store.create_client(conn, tenant_id=tenant_id, name=name,
                                                 roles=roles, actor="cli")
        return created.model_dump(mode="json")


async def _revoke(dsn: str, client_id: str) -> bool:
    async with db.connect(dsn) as conn:
        return await auth_store.revoke_client(conn, client_id=client_id, actor="cli")


async def _ensure_demo(dsn: str, credentials_file: Path) -> dict | None:
    """Create the demo tenant and an all-roles client on the first start."""
    async with db.connect(dsn) as conn:
        await db.migrate(conn)
        if await conn.fetchval("select count(*) from tenant") > 0:
            return None
        tenant_id = await auth_store.create_tenant(conn, name="demo", actor="tanji-run")
        created = await auth_store.create_client(conn, tenant_id=tenant_id, name="demo",
                                                 roles=list(ROLES), actor="tanji-run")
        # Background data for the demo, as an ordinary job: the API's reaper sends it.
        job, _ = await job_store.create_job(
            conn, tenant_id=tenant_id, kind="import_database",
            request={"source": "uslci", "name": None, "max_unlinked_share": 0.05},
            idempotency_key="demo-uslci")
        portal_user = await ensure_demo_user(conn, tenant_id, list(ROLES))
    data = {**created.model_dump(mode="json"), "import_job_id": str(job["id"]),
            **(portal_user or {})}
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


def _worker_command(pool: str, concurrency: int) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "service.jobs.tasks", "worker",
            "--loglevel", "INFO", "--pool", pool, "--concurrency", str(concurrency),
            "--queues", "tanji", "--without-heartbeat", "--without-gossip", "--without-mingle"]


def _api_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
            "--host", host, "--port", str(port), "--no-access-log"]


def cmd_run(args: argparse.Namespace) -> int:
    """Start PostgreSQL (embedded if unset), the worker and the API; stop all on Ctrl-C."""
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TANJI_DATA_DIR=str(data_dir),
               TANJI_PUBLIC_URL=f"http://{args.host}:{args.port}")
    pg_server = None
    if settings.database_url is None:
        from service.embedded import start_postgres

        pg_server, dsn = start_postgres(data_dir / "postgres")
        env["DATABASE_URL"] = dsn
        print(f"embedded PostgreSQL: {data_dir / 'postgres'}")
    else:
        dsn = settings.database_url
    if settings.celery_broker_url is None:
        print(f"embedded file broker: {settings.broker_dir}")
    credentials_file = data_dir / "demo-credentials.json"
    demo = asyncio.run(_ensure_demo(dsn, credentials_file))
    if demo is None and credentials_file.exists():
        demo = json.loads(credentials_file.read_text())
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        children.append(subprocess.Popen(_worker_command("solo", 1), env=env))
        children.append(subprocess.Popen(_api_command(args.host, args.port), env=env))
        base = f"http://{args.host}:{args.port}"
        print(f"Tanji API: {base}   interactive docs: {base}/docs")
        if demo:
            print(f"demo tenant {demo['tenant_id']}: client_id={demo['client_id']} "
                  f"client_secret={demo['client_secret']}")
            if demo.get("portal_email"):
                print(f"web portal: {base}/portal/  email={demo['portal_email']} "
                      f"password={demo['portal_password']}")
            if demo.get("import_job_id"):
                print(f"US LCI is being imported for the demo tenant: GET {base}/v1/jobs/"
                      f"{demo['import_job_id']}")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if pg_server is not None:
            pg_server.cleanup()
        print("stopped.", flush=True)
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    """Run the API only."""
    return subprocess.call(_api_command(args.host, args.port))


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a worker only."""
    return subprocess.call(_worker_command(args.pool, args.concurrency))


def cmd_migrate(_: argparse.Namespace) -> int:
    """Apply pending migrations."""
    applied = asyncio.run(_migrate(_dsn(get_settings())))
    print(f"applied {len(applied)} migration(s)")
    return 0


def cmd_tenant_create(args: argparse.Namespace) -> int:
    """Create a tenant; prints its id."""
    print(asyncio.run(_create_tenant(_dsn(get_settings()), args.name)))
    return 0


def cmd_client_create(args: argparse.Namespace) -> int:
    """Create a client; prints its id and secret (shown once)."""
    created = asyncio.run(_create_client(_dsn(get_settings()), UUID(args.tenant),
                                         args.name or "client", args.role))
    print(json.dumps(created, indent=2))
    return 0


def cmd_client_revoke(args: argparse.Namespace) -> int:
    """Revoke a client and its tokens."""
    if not asyncio.run(_revoke(_dsn(get_settings()), args.client_id)):
        print("no active client with that id", file=sys.stderr)
        return 1
    print("revoked")
    return 0


async def _import_snapshot(dsn: str, settings: Settings, source: str, name: str,
                           tenant_id: UUID | None, max_unlinked_share: float) -> str:
    import shutil
    import tempfile

    from service.snapshots.build import produce, report_summary, store_produced

    async def progress(value: int) -> None:
        print(f"  {value:3d}%", flush=True)

    work_dir = Path(tempfile.mkdtemp(prefix="tanji-import-", dir=settings.data_dir.resolve()))
    try:
        produced = await produce(source, work_dir, max_unlinked_share=max_unlinked_share,
                                 progress=progress)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    async with db.connect(dsn) as conn:
        await db.migrate(conn)
        async with conn.transaction():
            created = await store_produced(conn, produced, tenant_id=tenant_id, name=name)
            await auth_store.audit(conn, tenant_id=tenant_id, actor="cli", action="import",
                                   object_type="snapshot", object_id=produced.snapshot_hash,
                                   detail={"source": source, "created": created})
    print(json.dumps(report_summary(produced.report), indent=2))
    return produced.snapshot_hash


def cmd_snapshot_import(args: argparse.Namespace) -> int:
    """Import a bundled database into a snapshot (operator-wide unless --tenant)."""
    from service.snapshots.build import SOURCE_NAMES

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    snapshot_hash = asyncio.run(_import_snapshot(
        _dsn(settings), settings, args.source, args.name or SOURCE_NAMES[args.source],
        UUID(args.tenant) if args.tenant else None, args.max_unlinked_share))
    print(f"snapshot {snapshot_hash}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    """Create a portal user; prints the user and, when generated, the password (once)."""
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        created = asyncio.run(create_user_command(
            _dsn(get_settings()), tenant_id=UUID(args.tenant), email=args.email,
            roles=args.role, password=password, display_name=args.name or ""))
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(created, indent=2))
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    """Write openapi/openapi.json, or with --check fail when it is stale."""
    from service.openapi_doc import render

    text = render()
    if args.check:
        if not OPENAPI_PATH.exists() or OPENAPI_PATH.read_text() != text:
            print("openapi/openapi.json is stale: run `tanji openapi`", file=sys.stderr)
            return 1
        return 0
    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_text(text)
    print(f"wrote {OPENAPI_PATH}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    p = argparse.ArgumentParser(prog="tanji", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn in (("run", cmd_run), ("api", cmd_api)):
        sp = sub.add_parser(name, help=fn.__doc__)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8000)
        sp.set_defaults(fn=fn)
    sp = sub.add_parser("worker", help=cmd_worker.__doc__)
    sp.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
    sp.add_argument("--concurrency", type=int, default=2)
    sp.set_defaults(fn=cmd_worker)
    sub.add_parser("migrate", help=cmd_migrate.__doc__).set_defaults(fn=cmd_migrate)
    tenant = sub.add_parser("tenant").add_subparsers(dest="action", required=True)
    sp = tenant.add_parser("create", help=cmd_tenant_create.__doc__)
    sp.add_argument("name")
    sp.set_defaults(fn=cmd_tenant_create)
    client = sub.add_parser("client").add_subparsers(dest="action", required=True)
    sp = client.add_parser("create", help=cmd_client_create.__doc__)
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--role", action="append", required=True, choices=ROLES)
    sp.add_argument("--name")
    sp.set_defaults(fn=cmd_client_create)
    sp = client.add_parser("revoke", help=cmd_client_revoke.__doc__)
    sp.add_argument("client_id")
    sp.set_defaults(fn=cmd_client_revoke)
    user = sub.add_parser("user").add_subparsers(dest="action", required=True)
    sp = user.add_parser("create", help=cmd_user_create.__doc__)
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--email", required=True)
    sp.add_argument("--role", action="append", required=True, choices=ROLES)
    sp.add_argument("--name")
    sp.add_argument("--password-stdin", action="store_true")
    sp.set_defaults(fn=cmd_user_create)
    snapshot = sub.add_parser("snapshot").add_subparsers(dest="action", required=True)
    sp = snapshot.add_parser("import", help=cmd_snapshot_import.__doc__)
    sp.add_argument("source", choices=["uslci", "tiangong", "tiangong+uslci"])
    sp.add_argument("--tenant")
    sp.add_argument("--name")
    sp.add_argument("--max-unlinked-share", type=float, default=0.05)
    sp.set_defaults(fn=cmd_snapshot_import)
    sp = sub.add_parser("openapi", help=cmd_openapi.__doc__)
    sp.add_argument("--check", action="store_true")
    sp.set_defaults(fn=cmd_openapi)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tanji`` console script."""
    configure()
    args = parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
