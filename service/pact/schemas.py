"""Bodies of the /v1 PACT routes: publish, partners, events to send, pulls, received data."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, model_validator

from connectors.pact import CROSS_SECTORAL, CROSS_SECTORAL_USED, REGIONS


class Dqi(BaseModel):
    """PACT data-quality indicators as the publisher assessed them."""

    model_config = ConfigDict(extra="forbid")
    coveragePercent: float = Field(ge=0, le=100)
    technologicalDQR: float = Field(ge=1, le=3)
    temporalDQR: float = Field(ge=1, le=3)
    geographicalDQR: float = Field(ge=1, le=3)
    completenessDQR: float = Field(ge=1, le=3)
    reliabilityDQR: float = Field(ge=1, le=3)


class PublishRequest(BaseModel):
    """POST /v1/footprints/{result_id}/pact-publish: what the publisher declares.

    Every field is optional; docs/pact.md says what is used when one is missing. Masses and
    carbon contents are per product unit (the unit the footprint result is per).
    """

    model_config = ConfigDict(extra="forbid")
    reference_period_start: AwareDatetime | None = None
    reference_period_end: AwareDatetime | None = None
    product_mass_kg: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    product_category_cpc: str | None = Field(default=None, pattern=r"^\d{1,5}$")
    product_description: str | None = Field(default=None, max_length=2000)
    extra_product_ids: list[str] = Field(default_factory=list, max_length=20,
                                         description="more product URNs (e.g. urn:gtin:...)")
    geography_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    geography_subdivision: str | None = Field(default=None, pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
    geography_region: Literal[REGIONS] | None = None  # type: ignore[valid-type]
    fossil_carbon_content_kg: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    biogenic_carbon_content_kg: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    packaging_emissions_included: bool = False
    exempted_emissions_percent: float | None = Field(default=None, ge=0, le=100)
    exempted_emissions_description: str | None = Field(default=None, max_length=2000)
    cross_sectoral_standards: list[Literal[CROSS_SECTORAL]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["ISO14040-44"], min_length=1)
    cross_sectoral_standards_used: list[Literal[CROSS_SECTORAL_USED]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["ISO Standard 14044"], min_length=1)
    dqi: Dqi | None = None
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _urns(self) -> PublishRequest:
        bad = [p for p in self.extra_product_ids if not p.lower().startswith("urn:")]
        if bad:
            raise ValueError(f"extra_product_ids must be URNs: {bad}")
        return self


class PactPublished(BaseModel):
    """A footprint made public through the PACT API."""

    pf_id: UUID
    version: int
    status: str
    document: dict[str, Any]
    deprecated_pf_ids: list[UUID]


class PartnerCreate(BaseModel):
    """A PACT partner: where its API is, how we authenticate, which client it calls us with.

    Give ``client_secret`` (kept sealed with the service's key-encryption key) or
    ``credentials_ref`` = ``env:NAME`` (the secret is read from that variable when sending).
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    base_url: str = Field(pattern=r"^https?://[^\s]+$", max_length=500,
                          description="the partner's PACT API base (we POST {base}/2/events)")
    token_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=500,
                                  description="default {base}/auth/token")
    client_id: str = Field(min_length=1, max_length=300)
    client_secret: SecretStr | None = None
    credentials_ref: str | None = Field(default=None, pattern=r"^env:[A-Za-z_][A-Za-z0-9_]*$")
    inbound_client_id: str | None = Field(
        default=None, max_length=100,
        description="the client id (of this tenant) the partner uses to call our /2/ API")
    data_requests: bool = Field(
        default=False,
        description="hold the partner's requests for products without a published footprint "
                    "as requests for this tenant's users (GET /v1/pact/requests), answered "
                    "Fulfilled on publication, instead of answering Rejected at once")
    notify_published: bool = Field(
        default=False,
        description="send ProductFootprint.Published to the partner on every publication")

    @model_validator(mode="after")
    def _one_secret(self) -> PartnerCreate:
        if (self.client_secret is None) == (self.credentials_ref is None):
            raise ValueError("give exactly one of client_secret and credentials_ref")
        return self


class PartnerPublic(BaseModel):
    """A registered partner (never its secret)."""

    id: UUID
    name: str
    base_url: str
    token_url: str | None
    client_id: str
    credentials_ref: str
    inbound_client_id: str | None
    data_requests: bool
    notify_published: bool
    created_at: datetime


class PartnerUpdate(BaseModel):
    """PATCH /v1/pact/partners/{id}: change the partner's opt-ins (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")
    data_requests: bool | None = None
    notify_published: bool | None = None


class PactRequestPublic(BaseModel):
    """A partner's ProductFootprintRequest held for this tenant's users: a data request whose
    requester is the registered PACT partner, answered by publishing a footprint."""

    id: UUID
    partner_id: UUID
    partner_name: str
    request_event_id: str
    product_ids: list[str]
    pf_fragment: dict[str, Any]
    comment: str | None
    state: Literal["open", "fulfilled", "rejected"]
    pf_id: UUID | None
    reject_message: str | None
    answer_event_id: UUID | None
    created_at: datetime
    decided_at: datetime | None


class PactRequestFulfil(BaseModel):
    """POST /v1/pact/requests/{id}/fulfil: publish one of the tenant's footprint results for
    the request (the requested URN productIds are added to the document's productIds) and
    answer the partner with it."""

    model_config = ConfigDict(extra="forbid")
    result_id: UUID
    publish: PublishRequest = Field(default_factory=PublishRequest)


class PactRequestReject(BaseModel):
    """POST /v1/pact/requests/{id}/reject: why the tenant will not provide the footprint."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=2000)


class EventSend(BaseModel):
    """POST /v1/pact/events: notify a partner of published footprints, or request some."""

    model_config = ConfigDict(extra="forbid")
    partner_id: UUID
    type: Literal["published", "request"]
    pf_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    product_ids: list[str] = Field(default_factory=list, max_length=100)
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _payload(self) -> EventSend:
        if self.type == "published" and not self.pf_ids:
            raise ValueError("a published event names pf_ids")
        if self.type == "request" and not self.product_ids:
            raise ValueError("a request names product_ids")
        return self


class EventPublic(BaseModel):
    """A logged PACT event and, for outgoing ones, how its delivery went."""

    id: UUID
    direction: str
    partner_id: UUID | None
    event_id: str
    event_type: str
    source: str
    body: dict[str, Any]
    delivery_state: str | None
    delivery_attempts: int
    delivery_status: int | None
    delivery_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class PullRequest(BaseModel):
    """POST /v1/pact/pulls: fetch a supplier's footprints from its PACT endpoint.

    The secret is used for this pull only and never stored.
    """

    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(pattern=r"^https?://[^\s]+$", max_length=500,
                          description="the supplier's PACT API base URL")
    token_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=500)
    client_id: str = Field(min_length=1, max_length=300)
    client_secret: SecretStr
    product_ids: list[str] = Field(default_factory=list, max_length=100,
                                   description="only footprints naming one of these")
    page_size: int | None = Field(default=None, ge=1, le=1000,
                                  description="limit per ListFootprints page (partner's default)")


class ReceivedPublic(BaseModel):
    """A partner's footprint as stored for use as primary data."""

    id: UUID
    endpoint: str
    pf_id: UUID
    pf_version: int
    status: str
    company_name: str
    company_ids: list[str]
    product_ids: list[str]
    declared: dict[str, Any]
    received_via: str
    received_at: datetime


class PullSkipped(BaseModel):
    """A footprint the pull did not store, and why."""

    pf_id: str | None
    reason: str


class PullResult(BaseModel):
    """What one pull fetched and stored."""

    endpoint: str
    pages: int
    listed: int
    stored: list[ReceivedPublic]
    already_known: list[UUID]
    skipped: list[PullSkipped]
