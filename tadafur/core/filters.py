"""Reading list filters from query arguments: a malformed value is dropped and reported,
never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping


def optional_id(args: Mapping, name: str, errors: list[str]) -> int | None:
    raw = (args.get(name) or "").strip()
    if raw.isdigit():
        return int(raw)
    if raw:
        errors.append(name)
    return None


def optional_date(args: Mapping, name: str, errors: list[str]) -> dt.date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(name)
        return None
