"""A client for a partner's PACT v2 API: token, list (following Link rel="next"), get, events.

Authentication is OAuth 2.0 client credentials with HTTP Basic (as the spec's conformance
tests do) at ``token_url`` (default ``{base}/auth/token``). Errors carry the partner's
status and PACT error code when it sent one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin

import httpx

MAX_PAGES = 1000
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


class PartnerError(RuntimeError):
    """The partner's API failed or answered something that is not PACT."""

    def __init__(self, message: str, *, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def next_link(header: str | None, base: str) -> str | None:
    """The absolute URL of ``rel="next"`` in an RFC 8288 Link header, if any."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        params = match.group(2) or ""
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return urljoin(base, match.group(1).strip())
    return None


def _error(response: httpx.Response, what: str) -> PartnerError:
    code = message = None
    try:
        body = response.json()
        if isinstance(body, dict):
            code = body.get("code") or body.get("error")
            message = body.get("message") or body.get("error_description")
    except ValueError:
        pass
    text = f"{what}: HTTP {response.status_code}" + (f" {code}" if code else "") + (
        f" ({message})" if message else "")
    return PartnerError(text, status=response.status_code, code=code)


class PactClient:
    """One partner API, one set of client credentials."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 token_url: str | None = None, http: httpx.AsyncClient | None = None,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url or f"{self.base_url}/auth/token"
        self._credentials = (client_id, client_secret)
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None
        self._token: str | None = None

    async def __aenter__(self) -> PactClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_http:
            await self._http.aclose()

    async def token(self, *, refresh: bool = False) -> str:
        """An access token (cached until refused)."""
        if self._token is None or refresh:
            try:
                response = await self._http.post(
                    self.token_url, data={"grant_type": "client_credentials"},
                    auth=self._credentials, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise PartnerError(f"token request failed: {exc}") from exc
            if response.status_code != 200:
                raise _error(response, "token request refused")
            token = (response.json() or {}).get("access_token")
            if not isinstance(token, str) or not token:
                raise PartnerError("the token response has no access_token")
            self._token = token
        return self._token

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        extra_headers = kwargs.pop("headers", {})
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.token(refresh=attempt == 2)}",
                       **extra_headers}
            try:
                response = await self._http.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                raise PartnerError(f"{method} {url} failed: {exc}") from exc
            if response.status_code == 401 and attempt == 1:
                continue  # token expired: get a new one once
            return response
        return response

    async def pages(self, *, limit: int | None = None,
                    filter_text: str | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of ListFootprints, following Link rel="next" until there is none."""
        params: dict[str, Any] | None = {}
        if limit:
            params["limit"] = limit
        if filter_text:
            params["$filter"] = filter_text
        url: str | None = f"{self.base_url}/2/footprints"
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = await self._request("GET", url, params=params)
            if response.status_code not in (200, 202):
                raise _error(response, "ListFootprints refused")
            data = (response.json() or {}).get("data")
            if not isinstance(data, list):
                raise PartnerError("ListFootprints answered without a data list")
            yield data
            params = None  # the next link carries everything (httpx drops its query if given {})
            url = next_link(response.headers.get("link"), str(response.url))
            if url in seen:
                raise PartnerError("the partner's next link repeats itself")
            if url:
                seen.add(url)
        raise PartnerError(f"more than {MAX_PAGES} pages")

    async def list_footprints(self, *, limit: int | None = None,
                              filter_text: str | None = None) -> list[dict[str, Any]]:
        """Every footprint the partner lists for us."""
        found: list[dict[str, Any]] = []
        async for page in self.pages(limit=limit, filter_text=filter_text):
            found.extend(page)
        return found

    async def get_footprint(self, pf_id: str) -> dict[str, Any]:
        """GetFootprint; :class:`PartnerError` with ``code`` NoSuchFootprint when unknown."""
        response = await self._request("GET", f"{self.base_url}/2/footprints/{pf_id}")
        if response.status_code != 200:
            raise _error(response, f"GetFootprint {pf_id} refused")
        data = (response.json() or {}).get("data")
        if not isinstance(data, dict):
            raise PartnerError("GetFootprint answered without a data object")
        return data

    async def send_event(self, event: dict[str, Any]) -> httpx.Response:
        """POST a CloudEvent to the partner's /2/events; raises unless 2xx."""
        response = await self._request(
            "POST", f"{self.base_url}/2/events", json=event,
            headers={"Content-Type": "application/cloudevents+json; charset=UTF-8"})
        if not response.is_success:
            raise _error(response, "the partner refused the event")
        return response
