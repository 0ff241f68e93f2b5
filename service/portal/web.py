"""Plumbing of the portal's pages: language, sessions, CSRF, roles, rendering, error pages.

Sign-in state is a server-side session (:mod:`service.portal.users`); the browser holds only
a random session id in an HttpOnly, SameSite=Lax cookie, Secure when served over https.
Every POST carries the session's synchronizer token (``csrf_token`` form field), compared in
constant time before the route runs; the sign-in form, which has no session yet, uses a
double-submit cookie instead. Routes raise the service's domain errors; :class:`PortalRoute`
turns them into HTML pages (404 for other tenants' objects, as the API answers).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from connectors.errors import ConnectorError
from service.auth.schemas import Principal
from service.deps import Conn
from service.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from service.portal import charts, i18n, users
from service.portal.settings import PortalSettings, get_portal_settings

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PREFIX = "/portal"
SESSION_COOKIE = "tanji_portal"
LOGIN_CSRF_COOKIE = "tanji_portal_login"
LANG_COOKIE = "tanji_lang"
CSRF_FIELD = "csrf_token"
FEATURES = {"requests": False}
"""Optional parts of the portal, switched on by :mod:`service.portal.router` when present."""

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "frame-ancestors 'none'; form-action 'self'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)
templates.filters["num"] = charts.number
templates.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f} %"
templates.filters["short"] = lambda v, n=12: (str(v)[:n] if v else "–")


class NotSignedIn(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


class CsrfRefused(Forbidden):
    """A POST without the session's CSRF token."""


class PortalPrincipal(Principal):
    """A signed-in person seen as the API's principal, so domain services can be reused."""

    email: str

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"user:{self.email}"


def principal(user: users.User) -> PortalPrincipal:
    """The user as a principal for the domain services (audit names the user)."""
    return PortalPrincipal(client_pk=user.id, client_id=f"portal:{user.id}",
                           tenant_id=user.tenant_id, roles=list(user.roles), email=user.email)


# -- language -----------------------------------------------------------------------------


def _from_accept_language(header: str) -> str | None:
    best: tuple[float, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in i18n.LANGUAGES and quality > 0:
            key = (quality - position * 1e-6, language)
            if best is None or key > best:
                best = key
    return best[1] if best else None


def language(request: Request) -> str:
    """``?lang=``, then the language cookie, then Accept-Language, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in i18n.LANGUAGES:
            return candidate
    return _from_accept_language(request.headers.get("accept-language", "")) or "en"


# -- cookies and sessions -----------------------------------------------------------------


def portal_settings() -> PortalSettings:
    """The portal's settings (a dependency, so tests may override it)."""
    return get_portal_settings()


def cookie_secure(request: Request) -> bool:
    """Whether cookies get the Secure flag: configured, else when served over https."""
    configured = get_portal_settings().cookie_secure
    if configured is not None:
        return configured
    forwarded = request.headers.get("x-forwarded-proto", "")
    public_url = str(getattr(request.app.state.settings, "public_url", ""))
    return (request.url.scheme == "https" or forwarded == "https"
            or public_url.startswith("https://"))


def set_cookie(response: Response, request: Request, name: str, value: str, *,
               max_age: int | None, http_only: bool = True) -> None:
    """A cookie with the portal's flags: Path=/, SameSite=Lax, HttpOnly, Secure on https."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only,
                        samesite="lax", secure=cookie_secure(request))


def delete_cookie(response: Response, request: Request, name: str) -> None:
    """Expire a cookie set by :func:`set_cookie`."""
    response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                           secure=cookie_secure(request))


async def current_user(request: Request, conn: Conn) -> users.User:
    """The signed-in user; :class:`NotSignedIn` when the session is missing or over."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 200:
        raise NotSignedIn
    user = await users.user_for_session(conn, session_id)
    if user is None:
        raise NotSignedIn
    request.state.tenant_id = str(user.tenant_id)
    request.state.portal_user = user
    return user


CurrentUser = Annotated[users.User, Depends(current_user)]


async def _form_token(request: Request) -> str:
    if request.method != "POST":
        return ""
    try:
        form = await request.form()
    except Exception:  # malformed body: no token
        return ""
    token = form.get(CSRF_FIELD)
    return token if isinstance(token, str) else ""


async def checked_user(request: Request, user: CurrentUser) -> users.User:
    """The signed-in user of a POST that carries the session's CSRF token."""
    token = await _form_token(request)
    if not token or not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
        logger.warning("portal csrf refused", extra={"tenant_id": str(user.tenant_id)})
        raise CsrfRefused("the form's security token is missing or stale")
    return user


CheckedUser = Annotated[users.User, Depends(checked_user)]


def login_csrf(request: Request) -> str:
    """The double-submit token of the sign-in form (the cookie's, or a new one)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    return token if token and len(token) <= 100 else secrets.token_urlsafe(32)


async def check_login_csrf(request: Request) -> None:
    """Refuse a sign-in POST whose form token differs from its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    token = await _form_token(request)
    if not cookie or not token or not hmac.compare_digest(cookie.encode(), token.encode()):
        raise CsrfRefused("the form's security token is missing or stale")


def role(*roles: str) -> Callable[..., Any]:
    """A dependency: the signed-in user when holding one of ``roles`` (admin always does)."""

    def check(user: CurrentUser) -> users.User:
        if not user.has(*roles):
            raise Forbidden(f"this page needs one of the roles {sorted({*roles, 'admin'})}")
        return user

    return check


def checked_role(*roles: str) -> Callable[..., Any]:
    """Like :func:`role` for POSTs: also checks the CSRF token."""

    def check(user: CheckedUser) -> users.User:
        if not user.has(*roles):
            raise Forbidden(f"this action needs one of the roles {sorted({*roles, 'admin'})}")
        return user

    return check


# -- rendering ----------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """A redirect target inside the portal (never another site)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") \
            and "\\" not in value and "\n" not in value and "\r" not in value:
        return value
    return PREFIX + "/"


def nav(user: users.User | None) -> list[tuple[str, str]]:
    """(catalog key, path) of the pages the user may open."""
    if user is None:
        return []
    items = []
    if user.has("buyer"):
        items.append(("nav.products", f"{PREFIX}/products"))
        if FEATURES["requests"]:
            items.append(("nav.requests", f"{PREFIX}/requests"))
    if user.has("supplier", "buyer"):
        items.append(("nav.supplier", f"{PREFIX}/supplier"))
    if user.has("exporter", "buyer"):
        items.append(("nav.exports", f"{PREFIX}/exports"))
    return items


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, user: users.User | None = None) -> HTMLResponse:
    """A page in the request's language; ``?lang=`` also sets the language cookie."""
    lang = language(request)
    user = user or getattr(request.state, "portal_user", None)
    page = templates.get_template(template).render(
        **(context or {}), request=request, user=user, lang=lang, t=i18n.translator(lang),
        nav=nav(user), features=FEATURES, csrf_token=user.csrf_token if user else "", prefix=PREFIX,
        current_path=request.url.path, other_lang="zh" if lang == "en" else "en")
    response = HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        set_cookie(response, request, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


def redirect(path: str) -> RedirectResponse:
    """303 See Other (after a POST, the browser GETs ``path``)."""
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, key: str, detail: str = "") -> HTMLResponse:
    """An error page in the request's language."""
    return render(request, "error.html", {"status": status, "key": key, "detail": detail},
                  status_code=status)


class PortalRoute(APIRoute):
    """Routes whose domain errors become HTML pages instead of problem documents."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                target = request.url.path
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                return redirect(f"{PREFIX}/login?next={quote(safe_next(target), safe='')}")
            except CsrfRefused:
                return error_page(request, 403, "error.csrf")
            except (Forbidden, Unauthorized):
                return error_page(request, 403, "error.forbidden")
            except NotFound:
                return error_page(request, 404, "error.not_found")
            except RequestValidationError as exc:
                if any(e["loc"][:1] == ("path",) for e in exc.errors()):
                    return error_page(request, 404, "error.not_found")
                return error_page(request, 400, "error.invalid")
            except Conflict as exc:
                return error_page(request, 409, "error.conflict", str(exc))
            except PayloadTooLarge:
                return error_page(request, 413, "error.too_large")
            except (InvalidInput, ConnectorError) as exc:
                return error_page(request, 422, "error.invalid", str(exc))

        return portal_handler
