"""The project page's tabs that other features fill.

The project page (tadafur.projects.views) sits below the features that extend it: execution,
reporting and amendments register, from their hooks modules, what their tab shows, so the
project page never imports their views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# tab name -> callable(project, tab, **posted_forms) -> the tab's template context
TAB_CONTEXTS: dict[str, Callable[..., dict]] = {}


def register(tab: str, context: Callable[..., dict]) -> None:
    TAB_CONTEXTS[tab] = context


def context_of(project: Any, tab: str, **forms: Any) -> dict:
    """What a registered tab shows; nothing when no feature registered it."""
    provider = TAB_CONTEXTS.get(tab)
    return provider(project, tab, **forms) if provider is not None else {}
