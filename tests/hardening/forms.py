"""Find every form the app shows, as a user sees it, so attack tests follow new routes by
themselves: crawl the GET routes of the URL map (and each project tab), parse the POST forms
(action, fields, choices), and map each form to the POST route that receives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.exceptions import HTTPException

TABS = ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history")
NOT_CRAWLED = {"static", "bench_floor", "accounts.logout", "audit.extract_pdf",
               "audit.evidence_package", "oversight.dashboard_xlsx"}  # binary or ends the session
FIXED = {"tab": "overview", "token": "not-a-real-token", "code": "AAAA-BBBB-CCCC",
         "grant_id": 999_999}


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, hidden, checkbox, radio, date, number, email, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    endpoint: str
    page: str
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)

    def text_fields(self) -> list[str]:
        return [n for n, f in self.fields.items() if f.kind in ("text", "textarea", "search")
                and n not in ("csrf_token",)]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict, dict[str, Field]]] = []
        self._current: dict[str, Field] | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {}
            self.forms.append((a, self._current))
        elif self._current is None or ("name" not in a and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and a["name"] in self._current:
                return
            self._current[a["name"]] = Field(a["name"], kind, a.get("value", ""))
        elif tag == "textarea":
            self._current[a["name"]] = Field(a["name"], "textarea")
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._current[a["name"]] = self._select
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select.options.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def parse_forms(html: str) -> list[tuple[dict, dict[str, Field]]]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def page_urls(app, values: dict) -> list[str]:
    """Every GET route built with `values` for its arguments, plus each project tab."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_CRAWLED:
            continue
        arguments = {a: values.get(a, FIXED.get(a)) for a in rule.arguments}
        if None in arguments.values():
            continue
        urls.append(rule.build(arguments, append_unknown=False)[1])
    if "project_id" in values:
        urls += [f"/projects/{values['project_id']}?tab={tab}" for tab in TABS]
    return sorted(set(urls))


def endpoint_of(app, url: str, method: str = "POST") -> str | None:
    adapter = app.url_map.bind("tadafur.test")
    try:
        endpoint, _args = adapter.match(url.split("?")[0], method=method)
    except HTTPException:
        return None
    return endpoint


def discover(app, client, values: dict) -> dict[str, Form]:
    """The POST forms the logged-in `client` is shown, by action URL."""
    found: dict[str, Form] = {}
    for url in page_urls(app, values):
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for attrs, fields in parse_forms(response.get_data(as_text=True)):
            if attrs.get("method", "get").lower() != "post":
                continue
            action = attrs.get("action") or url
            endpoint = endpoint_of(app, action)
            if endpoint is None or endpoint in ("accounts.logout", "accounts.choose_language"):
                continue
            key = f"{action}#{fields.get('trigger', Field('', '')).value}"
            if key not in found:
                found[key] = Form(action, endpoint, url,
                                  "multipart" in attrs.get("enctype", ""), dict(fields))
    return found


def valid_values(form: Form, text: str) -> dict[str, str]:
    """Plausible values for every field, `text` in each free-text one."""
    data = {}
    for name, spec in form.fields.items():
        if spec.kind in ("text", "textarea", "search"):
            data[name] = text
        elif spec.kind == "select":
            data[name] = spec.options[0] if spec.options else ""
        elif spec.kind == "date":
            data[name] = "2026-03-01"
        elif spec.kind == "number":
            data[name] = "5"
        elif spec.kind == "email":
            data[name] = "someone@example.org"
        elif spec.kind in ("checkbox", "radio"):
            data[name] = spec.value or "y"
        elif spec.kind == "password":
            data[name] = "correct horse battery"
        elif spec.kind == "file":
            continue
        else:  # hidden: what the page put there (version, trigger...)
            data[name] = spec.value
    return data
