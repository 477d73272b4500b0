"""htmx helpers: detect fragment requests, redirect properly, serve the pinned copy."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, redirect, request, url_for
from markupsafe import Markup

from tadafur.config import HTMX_SRI, HTMX_VERSION
from tadafur.core.navigation import visible_items


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never send a user to another host after a form."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def redirect_to(location: str) -> Response:
    """After a successful POST: a 303 for plain forms, HX-Redirect for htmx."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def unauthorized() -> Response:
    """Not logged in: plain requests go to the login page, htmx ones are told to go there."""
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def htmx_script_tag() -> Markup:
    """The local pinned htmx by default; the CDN copy with its SRI hash when configured."""
    if current_app.config.get("HTMX_USE_CDN"):
        return Markup(
            '<script src="{}" integrity="{}" crossorigin="anonymous" defer></script>'
        ).format(current_app.config["HTMX_CDN_URL"], HTMX_SRI)
    src = url_for("static", filename=f"vendor/htmx-{HTMX_VERSION}.min.js")
    return Markup('<script src="{}" defer></script>').format(src)


def template_helpers() -> dict:
    return {"htmx_script_tag": htmx_script_tag, "is_htmx": is_htmx,
            "navigation": visible_items}
