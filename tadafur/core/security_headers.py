"""Security headers on every response: a CSP without inline script, no framing."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request


def register(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        script_src = "'self'"
        if current_app.config.get("HTMX_USE_CDN"):
            script_src += " https://unpkg.com"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script_src}; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        return response
