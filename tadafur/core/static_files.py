"""Static files: cached by the browser instead of asked for again on every page.

Flask answers a static file with `Cache-Control: no-cache` by default, so every page made
the browser revalidate its stylesheet, scripts and fonts: six more requests per page, each
through the app's before-request hooks (the user loaded from the database). Every URL built
with `url_for("static", ...)` now carries a short hash of the file (`?v=`): such a URL never
changes its content and is cached for a year; a new file gets a new URL. What is linked
without it (the fonts, from the stylesheet) is cached for a day.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

VERSIONED_MAX_AGE = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 24 * 3600


@lru_cache(maxsize=256)
def _fingerprint(path: Path, modified: float) -> str:
    """The file's hash, computed again when the file changes (`modified` is its mtime)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def fingerprint(static_folder: str, filename: str) -> str | None:
    path = Path(static_folder) / filename
    try:
        return _fingerprint(path, path.stat().st_mtime)
    except OSError:  # not a file: the URL is built as asked, and answers 404
        return None


def register(app: Flask) -> None:
    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = fingerprint(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    def max_age(_filename: str | None) -> int:
        return VERSIONED_MAX_AGE if request.args.get("v") else UNVERSIONED_MAX_AGE

    app.get_send_file_max_age = max_age  # used by the static route (no other view sends files)
