"""The webhook SSRF policy: public unicast addresses only, unless the operator allows a network."""

from __future__ import annotations

import ipaddress

import pytest

from clearinghouse.notifications.targets import (
    TargetError,
    address_refusal,
    check_webhook_url,
    parse_networks,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), ()) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), ()) is None


def test_an_allowed_network_opens_only_itself() -> None:
    allowed = parse_networks(["127.0.0.0/8"])
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allowed) is not None
    assert check_webhook_url("http://localhost:8080/x", allowed).port == 8080
    with pytest.raises(TargetError, match="loopback"):
        check_webhook_url("http://localhost:8080/x", ())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://exa mple.org/", "whitespace"),
        ("http://example.org/#frag", "fragment"),
        ("http://example.org:99999/", "malformed"),
        ("javascript:alert(1)", "http and https"),
        ("https://" + "a" * 2050 + ".org/", "longer than"),
    ],
)
def test_malformed_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(TargetError, match=reason):
        check_webhook_url(url, ())


def test_a_bad_allowed_network_setting_is_reported() -> None:
    with pytest.raises(ValueError, match="not a CIDR"):
        parse_networks(["localhost"])
