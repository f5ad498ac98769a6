"""Sending one webhook: signed JSON POSTed to the address the SSRF policy checked.

Receivers verify ``X-Clearinghouse-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact
body bytes with the subscription's secret (compare in constant time), and drop a repeated
``Idempotency-Key`` (it is also the body's ``id``): deliveries are at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from clearinghouse import __version__
from clearinghouse.notifications.targets import IPNetwork, TargetError, parse_webhook_url, resolve

SIGNATURE_HEADER = "X-Clearinghouse-Signature"
TIMESTAMP_HEADER = "X-Clearinghouse-Timestamp"
EVENT_HEADER = "X-Clearinghouse-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = f"Clearinghouse-Webhooks/{__version__}"
ERROR_BODY_BYTES = 512


class _RedactQueries(logging.Filter):
    """httpx logs each request's URL; a webhook URL's query often carries a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            url = args[1]
            if url.query:
                record.args = (args[0], f"{url.copy_with(query=None)}?<redacted>", *args[2:])
        return True


def redact_request_logs() -> None:
    """Keep webhook URLs' query strings (tokens) out of the logs."""
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactQueries) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactQueries())


@dataclass(frozen=True, slots=True)
class Attempt:
    """What happened when one notification was sent once."""

    delivered: bool
    status: int | None = None
    """HTTP status or SMTP reply code, when the peer answered."""
    error: str | None = None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute over the raw body and compare in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def webhook_headers(
    secret: str, body: bytes, *, event_type: str, idempotency_key: str, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, body),
        TIMESTAMP_HEADER: str(timestamp),
        EVENT_HEADER: event_type,
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def _pinned_url(url: httpx.URL, address: str) -> httpx.URL:
    return url.copy_with(host=address)


def post_webhook(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allowed_networks: Sequence[IPNetwork],
) -> Attempt:
    """POST once; 2xx is delivered, anything else (or no answer) is a failed attempt."""
    try:
        target = parse_webhook_url(url)
        addresses = resolve(target, allowed_networks)
    except TargetError as exc:
        return Attempt(False, error=f"refused: {exc}")
    request_url = httpx.URL(url)
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    request_headers = {**headers, "Host": target.url.netloc}
    failure = Attempt(False, error="no address answered")
    for address in addresses:
        try:
            with client.stream(
                "POST",
                _pinned_url(request_url, str(address)),
                content=body,
                headers=request_headers,
                extensions=extensions,
            ) as response:
                if response.is_success:
                    return Attempt(True, status=response.status_code)
                excerpt = _excerpt(response)
                return Attempt(
                    False,
                    status=response.status_code,
                    error=f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else ""),
                )
        except httpx.ConnectError as exc:
            failure = Attempt(False, error=f"cannot connect to {address}: {exc}")
        except httpx.HTTPError as exc:
            return Attempt(False, error=f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc))
    return failure


def _excerpt(response: httpx.Response) -> str:
    received = b""
    try:
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    return received[:ERROR_BODY_BYTES].decode("utf-8", "replace").strip()
