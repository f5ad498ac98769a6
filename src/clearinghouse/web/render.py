"""Templates (Jinja2, autoescaped) and the helpers every page uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from clearinghouse.participants.models import OrganizationKind, Role
from clearinghouse.store import utcnow
from clearinghouse.web.sessions import Viewer

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE")

FRONTIER_KINDS = frozenset(
    {OrganizationKind.ai_developer, OrganizationKind.evaluator, OrganizationKind.coordinator}
)


def _moment(value: datetime | str | None) -> datetime | None:
    """A datetime, or an RFC 3339 timestamp as the parts' JSON views give them."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def when(value: datetime | str | None) -> str:
    moment = _moment(value)
    if moment is None:
        return str(value) if value else "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(value: datetime | str | None) -> str:
    moment = _moment(value)
    if moment is None:
        return str(value) if value else "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = int(((now or utcnow()) - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def severity_class(rating: str | None) -> str:
    return f"sev-{(rating or 'unknown').lower()}"


def label(value: str | None) -> str:
    """``under_investigation`` -> ``under investigation``; enum values for people."""
    return (value or "").replace("_", " ").replace("-", " ")


def web_link(url: object) -> str:
    """An http(s) URL from outside data, or "" (never ``javascript:`` or ``data:``)."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""


def query(base: str, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{base}?{urlencode(kept, doseq=True)}" if kept else base


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(
    when=when,
    day=day,
    ago=ago,
    severity_class=severity_class,
    label=label,
    web_link=web_link,
)
environment.globals.update(query=query, SEVERITY_ORDER=SEVERITY_ORDER)


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    text: str
    section: str


def navigation(viewer: Viewer | None) -> list[NavItem]:
    if viewer is None:
        return []
    principal = viewer.principal
    items = [
        NavItem("/", "Dashboard", "dashboard"),
        NavItem("/systems", "Systems", "systems"),
        NavItem("/exposures", "Exposures", "exposures"),
    ]
    if principal.is_coordinator and principal.role.allows(Role.analyst):
        items.append(NavItem("/triage", "Triage", "triage"))
    items.append(NavItem("/advisories", "Advisories", "advisories"))
    if principal.organization_kind in FRONTIER_KINDS:
        items.append(NavItem("/frontier", "Frontier models", "frontier"))
    if principal.role.allows(Role.admin):
        items.append(NavItem("/settings/notifications", "Notifications", "notifications"))
        items.append(NavItem("/people", "People", "people"))
    return items


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    title: str,
    section: str = "",
    status: int = 200,
    anonymous_csrf: str = "",
    **context: Any,
) -> HTMLResponse:
    html = environment.get_template(template).render(
        request=request,
        viewer=viewer,
        title=title,
        section=section,
        nav=navigation(viewer),
        csrf_token=viewer.csrf_token if viewer is not None else anonymous_csrf,
        flash=viewer.flash if viewer is not None else None,
        now=utcnow(),
        **context,
    )
    return HTMLResponse(html, status_code=status)
