"""Supplier data exchange: partnerships, data requests, answers, shares and webhooks.

A buyer's admin invites a supplier organisation (a one-time code, kept as its SHA-256); the
supplier's admin accepts it and the two tenants become partners. The buyer asks the partner
for data on parts of a BOM revision; the supplier answers with a declared footprint, process
data, a PACT ProductFootprint or a filled template file, each stored as a primary-data record
in the *supplier's* tenant. When the buyer accepts, the record is shared with the buyer's
footprints only (``primary_share``), a new BOM revision links the parts to it, and footprint
jobs run. Webhooks tell each side what happened, signed with HMAC-SHA256; once those jobs
finish the buyer gets ``data_answer.recalculated`` with the new result ids. Deliveries the
API process did not finish are resumed by :mod:`service.requests.sweeper`.

Errors are the service's own (:mod:`service.errors`): another tenant's request, answer,
partnership or webhook is always ``NotFound``.
"""
