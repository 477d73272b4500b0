"""What the home page shows each user. Other domains add panels through `PANELS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]


PanelProvider = Callable[[Any], Panel | None]
PANELS: list[PanelProvider] = []


def panel(provider: PanelProvider) -> PanelProvider:
    """Add a panel (from a domain's hooks module); idempotent."""
    if provider not in PANELS:
        PANELS.append(provider)
    return provider


def for_user(user: Any) -> list[Panel]:
    return [p for p in (provider(user) for provider in PANELS) if p is not None]


@panel
def memberships_panel(user: Any) -> Panel:
    return Panel("core/_memberships_panel.html", {"memberships": user.memberships})
