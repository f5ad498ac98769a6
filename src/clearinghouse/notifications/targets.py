"""Where webhooks may point: http(s) URLs whose host resolves only to public addresses.

A webhook makes the clearinghouse send requests on a participant's behalf, so without a policy
it is a server-side request forgery (SSRF) primitive against the clearinghouse's own network
(cloud metadata at 169.254.169.254, databases on loopback, the intranet). The rule:

* only ``http`` and ``https``; no credentials in the URL (they would be stored in clear);
* every address the host resolves to must be globally routable, unless it lies in a network
  the operator allows (``CLEARINGHOUSE_WEBHOOK_ALLOWED_NETWORKS``, e.g. ``127.0.0.0/8`` for
  local testing);
* the check runs when the subscription is made AND before every delivery, and the request then
  goes to the address that was checked (DNS rebinding cannot swap it); redirects are not
  followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048


class TargetError(ValueError):
    """A webhook URL that is malformed or points somewhere webhooks may not go."""


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: SplitResult
    host: str
    port: int


def parse_networks(specs: Sequence[str]) -> tuple[IPNetwork, ...]:
    networks = []
    for spec in specs:
        try:
            networks.append(ipaddress.ip_network(spec.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"webhook allowed network {spec!r} is not a CIDR: {exc}") from None
    return tuple(networks)


def parse_webhook_url(url: str) -> WebhookTarget:
    if len(url) > MAX_URL_LENGTH:
        raise TargetError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise TargetError("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"the URL is malformed: {exc}") from None
    if parts.scheme not in {"http", "https"}:
        raise TargetError("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise TargetError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetError(
            "the URL carries credentials; authenticate with the signing secret instead"
        )
    if parts.fragment:
        raise TargetError("the URL has a fragment (#...), which is never sent")
    default_port = 443 if parts.scheme == "https" else 80
    return WebhookTarget(parts, parts.hostname, port or default_port)


def address_refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Why a delivery may not go to ``address`` (None when it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a unicast address"
    if not address.is_global:
        return (
            f"{address} is a loopback, private, link-local or reserved address "
            "(allow its network with CLEARINGHOUSE_WEBHOOK_ALLOWED_NETWORKS)"
        )
    return None


def resolve(target: WebhookTarget, allowed: Sequence[IPNetwork]) -> list[IPAddress]:
    """The host's addresses, every one of them allowed; raises TargetError otherwise."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise TargetError(f"cannot resolve {target.host}: {exc}") from None
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
    if not addresses:
        raise TargetError(f"{target.host} has no address")
    for address in addresses:
        refusal = address_refusal(address, allowed)
        if refusal is not None:
            raise TargetError(f"{target.host} resolves to {refusal}")
    return addresses


def check_webhook_url(url: str, allowed: Sequence[IPNetwork]) -> WebhookTarget:
    target = parse_webhook_url(url)
    resolve(target, allowed)
    return target
