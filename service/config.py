"""Service settings: one pydantic-settings object, injected everywhere.

``DATABASE_URL`` and ``CELERY_BROKER_URL`` keep the names operators already use;
everything else is ``TANJI_*``. Unset database or broker URL means: use the
embedded ones (see :mod:`service.embedded`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="TANJI_", extra="ignore")

    environment: str = "development"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TANJI_DATABASE_URL")
    )
    celery_broker_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CELERY_BROKER_URL", "TANJI_CELERY_BROKER_URL"),
    )
    data_dir: Path = Path("var")
    public_url: str = "http://127.0.0.1:8000"

    token_ttl_seconds: int = 3600
    max_upload_bytes: int = 5 * 1024 * 1024
    max_bom_lines: int = 20_000
    max_import_bytes: int = 200 * 1024 * 1024

    job_lease_seconds: float = 30.0
    job_heartbeat_seconds: float = 5.0
    job_requeue_after_seconds: float = 30.0
    job_reaper_interval_seconds: float = 10.0
    job_max_attempts: int = 5
    job_start_delay_seconds: float = 0.0
    """Pause before a job's work starts: a drill aid for failure tests, 0 in production."""

    demo_tenant: bool = True
    secret_pepper: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and (
            self.database_url is None or self.celery_broker_url is None
        ):
            raise ValueError("production needs DATABASE_URL and CELERY_BROKER_URL")
        return self

    @property
    def broker_dir(self) -> Path:
        """Folder of the embedded file broker (used when no broker URL is set)."""
        return (self.data_dir / "broker").resolve()

    def broker_url(self) -> str:
        """The broker URL to use: the configured one or the embedded file broker."""
        return self.celery_broker_url or "filesystem://"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
