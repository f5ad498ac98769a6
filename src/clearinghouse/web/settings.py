"""Settings of the web interface, from the environment (``CLEARINGHOUSE_*``).

Kept beside the pages rather than in :mod:`clearinghouse.settings`: only the web adapter reads
them. Tests hand a :class:`WebSettings` to the app as ``app.state.web_settings``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class WebSettings:
    login_max_failures: int = 5
    """Wrong passwords in ``login_failure_window`` that lock an account."""
    login_failure_window: timedelta = timedelta(minutes=15)
    lockout_duration: timedelta = timedelta(minutes=15)
    """How long a locked account refuses every password, the right one included."""
    session_idle_timeout: timedelta = timedelta(hours=8)
    session_max_age: timedelta = timedelta(days=7)
    """A session ends this long after sign-in, however active."""
    invitation_lifetime: timedelta = timedelta(days=7)
    cookie_secure: bool | None = None
    """Mark cookies ``Secure``: None means "when the request came over https"."""


def _number(name: str, default: float) -> float:
    raw = os.environ.get(f"CLEARINGHOUSE_{name}", "").strip()
    if not raw:
        return default
    value = float(raw)
    if value <= 0:
        raise ValueError(f"CLEARINGHOUSE_{name} must be positive, not {raw!r}")
    return value


def _secure() -> bool | None:
    raw = os.environ.get("CLEARINGHOUSE_COOKIE_SECURE", "").strip().lower()
    if raw in {"", "auto"}:
        return None
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"CLEARINGHOUSE_COOKIE_SECURE must be auto, true or false, not {raw!r}")


def load_web_settings() -> WebSettings:
    d = WebSettings()
    return WebSettings(
        login_max_failures=int(_number("LOGIN_MAX_FAILURES", d.login_max_failures)),
        login_failure_window=timedelta(
            minutes=_number(
                "LOGIN_FAILURE_WINDOW_MINUTES", d.login_failure_window.total_seconds() / 60
            )
        ),
        lockout_duration=timedelta(
            minutes=_number("LOCKOUT_MINUTES", d.lockout_duration.total_seconds() / 60)
        ),
        session_idle_timeout=timedelta(
            minutes=_number("SESSION_IDLE_MINUTES", d.session_idle_timeout.total_seconds() / 60)
        ),
        session_max_age=timedelta(hours=_number("SESSION_MAX_HOURS", d.session_max_age.days * 24)),
        invitation_lifetime=timedelta(days=_number("INVITATION_DAYS", d.invitation_lifetime.days)),
        cookie_secure=_secure(),
    )
