"""The domain modules, in the order their models, blueprints and commands are wired."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS = ("accounts", "organisations", "audit", "workflow", "projects", "execution",
           "documents", "notifications", "oversight", "reporting", "delegations", "amendments",
           "showcase", "jobs")


def domain_submodules(submodule: str) -> list[ModuleType]:
    """Import `tadafur.<domain>.<submodule>` for each domain that has one."""
    found = []
    for domain in DOMAINS:
        name = f"tadafur.{domain}.{submodule}"
        if importlib.util.find_spec(f"tadafur.{domain}") is None:
            continue
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return found
