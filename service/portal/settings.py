"""Portal settings (``TANJI_PORTAL_*``), kept apart from the service's own ``Settings``."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    """What the portal reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="TANJI_PORTAL_", extra="ignore")

    cookie_secure: bool | None = None
    """Secure flag on cookies; None: set when served over https (request scheme or
    ``TANJI_PUBLIC_URL``). Set false only for local http."""
    session_ttl_seconds: int = 8 * 3600
    """A session's absolute lifetime; sign in again after it."""
    max_rows_shown: int = 500
    """Rows of an uploaded file shown back with their problems."""


@lru_cache
def get_portal_settings() -> PortalSettings:
    """The process-wide portal settings."""
    return PortalSettings()
