"""Delivering due notifications: claim a batch, send each once, record each outcome.

The clock and the random source are injectable, so retry times are deterministic in tests.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from clearinghouse.notifications import outbox
from clearinghouse.notifications.email import notification_email, send_email
from clearinghouse.notifications.models import Channel
from clearinghouse.notifications.sealing import SealingError, sealer_for
from clearinghouse.notifications.targets import parse_networks
from clearinghouse.notifications.webhooks import (
    Attempt,
    post_webhook,
    redact_request_logs,
    webhook_headers,
)
from clearinghouse.settings import Settings
from clearinghouse.store import Database, utcnow

Clock = Callable[[], datetime]


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    cancelled: int = 0
    released: int = 0
    lost: int = 0
    """Outcomes not recorded because the lease had passed to another worker meanwhile."""

    def add(self, other: DispatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        owner: str | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.owner = owner or worker_identity()
        self.clock = clock
        self.rng = rng or random.Random()
        self.allowed_networks = parse_networks(settings.webhook_allowed_networks)
        self._transport = transport
        redact_request_logs()
        longest = max(settings.webhook_timeout, settings.smtp_timeout)
        if settings.delivery_lease_seconds <= longest:
            raise ValueError(
                f"the delivery lease ({settings.delivery_lease_seconds}s) must be longer than "
                f"the webhook and SMTP timeouts ({longest}s), or nothing is ever attempted"
            )

    def _client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.settings.webhook_timeout,
            follow_redirects=False,
            trust_env=False,
            transport=self._transport,
        )

    def run_batch(self) -> DispatchReport:
        """Claim up to one batch of due notifications and attempt each once."""
        report = DispatchReport()
        with self.db.session() as session:
            claims = outbox.claim_due(
                session,
                owner=self.owner,
                now=self.clock(),
                lease_seconds=self.settings.delivery_lease_seconds,
                limit=self.settings.delivery_batch_size,
                max_attempts=self.settings.delivery_max_attempts,
            )
        report.claimed = len(claims)
        if not claims:
            return report
        with self._client() as client:
            for index, claim in enumerate(claims):
                if not self._lease_allows_attempt(claim):
                    with self.db.session() as session:
                        outbox.release(session, claims[index:])
                    report.released += len(claims) - index
                    break
                self._attempt(client, claim, report)
        return report

    def run_until_idle(self, max_batches: int = 1000) -> DispatchReport:
        """Keep claiming batches until nothing is due (or ``max_batches`` were run)."""
        total = DispatchReport()
        for _ in range(max_batches):
            report = self.run_batch()
            total.add(report)
            if report.claimed == 0 or report.released:
                break
        return total

    def next_due(self) -> datetime | None:
        with self.db.session() as session:
            return outbox.next_due_at(session)

    def _lease_allows_attempt(self, claim: outbox.Claim) -> bool:
        budget = timedelta(seconds=self._attempt_timeout(claim.channel))
        return self.clock() + budget < claim.lease_expires_at

    def _attempt_timeout(self, channel: str) -> float:
        if channel == Channel.email.value:
            return self.settings.smtp_timeout
        return self.settings.webhook_timeout

    def _attempt(self, client: httpx.Client, claim: outbox.Claim, report: DispatchReport) -> None:
        if claim.subscription_deleted:
            with self.db.session() as session:
                recorded = outbox.record_cancelled(session, claim)
            report.cancelled += recorded
            report.lost += not recorded
            return
        attempt = self._send(client, claim)
        now = self.clock()
        with self.db.session() as session:
            if attempt.delivered:
                recorded = outbox.record_delivered(session, claim, now, attempt.status)
                report.delivered += recorded
            else:
                retry_at = self._retry_at(claim, now)
                recorded = outbox.record_failed(
                    session,
                    claim,
                    status=attempt.status,
                    error=attempt.error or "failed",
                    retry_at=retry_at,
                )
                if retry_at is None:
                    report.dead += recorded
                else:
                    report.retrying += recorded
        report.lost += not recorded

    def _retry_at(self, claim: outbox.Claim, now: datetime) -> datetime | None:
        if claim.attempt >= self.settings.delivery_max_attempts:
            return None
        delay = outbox.retry_delay(
            claim.attempt,
            self.settings.delivery_backoff_seconds,
            self.settings.delivery_backoff_max_seconds,
            self.rng,
        )
        return now + timedelta(seconds=delay)

    def _send(self, client: httpx.Client, claim: outbox.Claim) -> Attempt:
        if claim.channel == Channel.email.value:
            message = notification_email(
                claim.payload,
                sender=self.settings.smtp_from,
                recipient=claim.target,
                idempotency_key=claim.idempotency_key,
                event_type=claim.event_type,
            )
            return send_email(self.settings, message)
        if claim.sealed_secret is None:
            return Attempt(False, error="the webhook has no signing secret")
        try:
            secret = sealer_for(self.settings).open(claim.sealed_secret)
        except SealingError as exc:
            return Attempt(False, error=str(exc))
        body = claim.payload.encode()
        headers = webhook_headers(
            secret,
            body,
            event_type=claim.event_type,
            idempotency_key=claim.idempotency_key,
            timestamp=int(self.clock().timestamp()),
        )
        return post_webhook(client, claim.target, body, headers, self.allowed_networks)
