"""The platform's public address (TADAFUR_PUBLIC_BASE_URL), for every URL that leaves the
browser: QR codes and footers of documents, links in e-mails and notifications, invitation
links. Without it such URLs named whatever host a request came through
("http://127.0.0.1:5000/..."), which a printed convention then carried for ever.
"""

from __future__ import annotations

import os

from flask import current_app, url_for


def public_base_url() -> str | None:
    base = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("TADAFUR_PUBLIC_BASE_URL")
    return base.rstrip("/") if base else None


def public_url(endpoint: str, **values) -> str | None:
    """An absolute URL under the public address; without one, the request's host (or
    SERVER_NAME); None when neither is known (a command run without settings)."""
    base = public_base_url()
    if base:
        adapter = current_app.url_map.bind("public.invalid", script_name="/")
        return base + adapter.build(endpoint, values)
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:
        return None
