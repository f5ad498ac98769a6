"""Email notifications over SMTP (plain, STARTTLS or implicit TLS, optional login).

Each message's ``Message-ID`` is derived from the notification's idempotency key, so a message
re-sent after a lost acknowledgement is recognisably the same message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import orjson

from clearinghouse.notifications.webhooks import Attempt
from clearinghouse.settings import Settings

MAX_SUBJECT = 200


def _one_line(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _subject(payload: dict[str, Any]) -> str:
    data = payload.get("data", {})
    advisory = data.get("advisory", {})
    rating = (advisory.get("severity") or {}).get("rating") or "UNRATED"
    kev = " [KEV]" if advisory.get("kev") else ""
    system = (data.get("system") or {}).get("name")
    component = (data.get("component") or {}).get("purl")
    verb = {
        "exposure.resolved": "no longer affects",
        "exposure.kev": "is now exploited in the wild, and affects",
    }.get(str(payload.get("type")), "affects")
    subject = f"[Clearinghouse] {rating}{kev} {advisory.get('id')} {verb} {system}: {component}"
    subject = _one_line(subject)
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def _body(payload: dict[str, Any]) -> str:
    data = payload.get("data", {})
    advisory = data.get("advisory", {})
    severity = advisory.get("severity") or {}
    component = data.get("component") or {}
    score = severity.get("score")
    lines = [
        f"Advisory:     {advisory.get('id')}"
        + (f" ({', '.join(advisory['aliases'])})" if advisory.get("aliases") else ""),
        f"Summary:      {_one_line(advisory.get('summary')) or '-'}",
        f"Severity:     {severity.get('rating') or 'unrated'}"
        + (f" ({score})" if score is not None else ""),
        "Exploited:    "
        + ("yes, listed in CISA's KEV catalog" if advisory.get("kev") else "not in KEV"),
        f"System:       {_one_line((data.get('system') or {}).get('name'))}",
        f"Component:    {component.get('purl')}"
        + (f" version {component.get('version')}" if component.get("version") else ""),
        f"Remediation:  {_one_line(data.get('remediation')) or 'none known yet'}",
        f"State:        {data.get('state')}",
        "",
        f"Event {payload.get('type')}, notification {payload.get('id')}.",
    ]
    return "\n".join(lines) + "\n"


def notification_email(
    payload_json: str, *, sender: str, recipient: str, idempotency_key: str, event_type: str
) -> EmailMessage:
    payload = orjson.loads(payload_json)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _subject(payload)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{idempotency_key}@clearinghouse.invalid>"
    message["X-Clearinghouse-Event"] = event_type
    message.set_content(_body(payload))
    message.add_attachment(
        payload_json.encode(),
        maintype="application",
        subtype="json",
        filename="notification.json",
    )
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.smtp_ssl:
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.smtp_timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)


def send_email(settings: Settings, message: EmailMessage) -> Attempt:
    """Hand the message to the configured relay once; its acceptance is delivery."""
    if not settings.smtp_host:
        return Attempt(False, error="email is not configured (CLEARINGHOUSE_SMTP_HOST)")
    try:
        with _connect(settings) as smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        return Attempt(False, status=code, error=f"SMTP {code}: {_reply(reason)}")
    except smtplib.SMTPResponseException as exc:
        code = exc.smtp_code
        return Attempt(False, status=code, error=f"SMTP {code}: {_reply(exc.smtp_error)}")
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(False, error=f"{type(exc).__name__}: {exc}")
    if refused:
        code, reason = next(iter(refused.values()))
        return Attempt(False, status=code, error=f"SMTP {code}: {_reply(reason)}")
    return Attempt(True, status=250)


def _reply(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
