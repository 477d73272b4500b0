"""What the jobs module runs, filled by the domains from their hooks modules (the jobs module
sits low in the layers and never imports them).

- KINDS[kind] = Kind(handler, label, produces): `handler(**params)` does the work inside the
  job's transaction (flush only; the runner commits); `produces` names the document kinds it
  registers, so a gate that signs one of them waits while such a job is pending.
- CLEANUPS: callables(session) run after a job's transaction rolled back (the document store
  discards the files written by a failed job).
- CLASSIFIERS: callables(error) -> (code, params) or None: a failure as a code and parameters,
  put into words by ERRORS when read (never stored translated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Callable[..., Any]
    label: Any  # a lazy string
    produces: tuple[str, ...] = field(default=())


class JobFailure(Exception):
    """A handler's failure with its code and parameters (see ERRORS)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


KINDS: dict[str, Kind] = {}
CLEANUPS: list[Callable[[Any], None]] = []
CLASSIFIERS: list[Callable[[BaseException], tuple[str, dict] | None]] = []

# The words of each failure code, in the reader's language when shown.
ERRORS: dict[str, Any] = {
    "render_failed": _l("The document could not be rendered."),
    "seal_failed": _l("The document could not be sealed."),
    "document_failed": _l("The document could not be produced."),
    "mail_failed": _l("The e-mail could not be sent (%(error)s)."),
    "missing": _l("What this job works on no longer exists."),
    "unexpected": _l("Unexpected error (%(error)s)."),
}


def register(name: str, handler: Callable[..., Any], label: Any,
             produces: tuple[str, ...] = ()) -> None:
    """Idempotent: the same name registered again replaces the entry."""
    KINDS[name] = Kind(name, handler, label, tuple(produces))


def classify(error: BaseException) -> tuple[str, dict]:
    if isinstance(error, JobFailure):
        return error.code, error.params
    for classifier in CLASSIFIERS:
        found = classifier(error)
        if found is not None:
            return found
    return "unexpected", {"error": type(error).__name__}


def error_words(code: str | None, params: dict) -> str:
    if not code:
        return ""
    words = ERRORS.get(code)
    if words is None:
        return _("Unexpected error (%(error)s).", error=code)
    try:
        return str(words) % params if params else str(words)
    except (KeyError, TypeError, ValueError):
        return str(words)


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind is not None else name


def producing(document_kind: str) -> list[str]:
    """The job kinds that register documents of `document_kind`."""
    return [k.name for k in KINDS.values() if document_kind in k.produces]
