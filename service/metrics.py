"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("tanji_http_requests_total", "HTTP requests",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("tanji_http_request_seconds", "HTTP request latency", ["method", "route"])
JOBS_ACCEPTED = Counter("tanji_jobs_accepted_total", "Jobs accepted", ["kind"])
