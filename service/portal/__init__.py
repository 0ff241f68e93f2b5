"""The web portal: server-rendered pages (Jinja2) for people who sign in with a password.

Buyers see products, BOMs and footprint results with charts; suppliers send primary data;
exporters download certificates and compliance files. Every page goes through the same
tenant-scoped store functions as the API, with the same role rules.

Mount it with ``app.include_router(service.portal.router.router)``: static files are
served by the router itself (``/portal/static/...``), so nothing else is needed.
"""
