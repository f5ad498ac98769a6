"""Settings from the environment (``CLEARINGHOUSE_*``), read once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

OSV_BUCKET = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_FEED = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "clearinghouse"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    """Where the embedded SQLite database and queue live (created on first use)."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite in ``data_dir``."""
    osv_base_url: str = OSV_BUCKET
    """Base URL serving the OSV bucket layout (``<base>/<Ecosystem>/all.zip``)."""
    kev_url: str = KEV_FEED
    max_input_bytes: int = 128 * 1024 * 1024
    """Largest SBOM, lockfile or upload accepted."""
    max_archive_bytes: int = 8 * 1024 * 1024 * 1024
    """Largest total uncompressed size accepted from one advisory archive (zip-bomb guard)."""
    http_timeout: float = 60.0

    # -- background work and notifications -------------------------------------------------------
    redis_url: str = ""
    """Redis for the task queue (``redis://host:6379/0``); empty means SQLite in ``data_dir``."""
    queue_name: str = "clearinghouse"
    """Name of the task queue (its Redis key prefix / SQLite queue), one per deployment."""
    secret_key: str = ""
    """Fernet key(s) sealing webhook secrets, comma-separated, newest first; empty means the key
    file ``data_dir/secret.key`` (created on first use). Every process must share it."""
    webhook_allowed_networks: tuple[str, ...] = ()
    """Non-public networks (CIDR) webhooks may target, e.g. ``127.0.0.0/8`` for local testing;
    loopback, private, link-local and reserved addresses are refused otherwise (SSRF)."""
    webhook_timeout: float = 10.0
    delivery_max_attempts: int = 10
    """Attempts before a notification is dead-lettered."""
    delivery_backoff_seconds: float = 30.0
    """First retry delay; doubles with each attempt (with jitter) up to the maximum below."""
    delivery_backoff_max_seconds: float = 6 * 3600.0
    delivery_lease_seconds: float = 120.0
    """How long a worker owns a claimed notification; after that another worker re-sends it."""
    delivery_batch_size: int = 20
    smtp_host: str = ""
    """SMTP relay for email notifications; empty means email cannot be sent (it is retried)."""
    smtp_port: int = 25
    smtp_from: str = "clearinghouse@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    """Implicit TLS (usually port 465) instead of plain SMTP or STARTTLS."""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    feed_sync_ecosystems: tuple[str, ...] = ()
    """OSV ecosystems the worker re-imports from ``osv_base_url`` periodically; empty: none."""
    feed_sync_cron: str = "17 */6 * * *"
    """When that feed sync runs (minute hour day month weekday, UTC)."""
    feed_sync_kev: bool = True
    """The feed sync also reloads CISA's KEV catalog from ``kev_url``."""

    # -- covered-frontier-model program ------------------------------------------------------------
    government_access_days: int = 30
    """Length of the government-access window before a planned partner release."""
    incident_initial_report_hours: int = 72
    """An incident's initial report is due this long after its discovery."""
    signing_key_path: Path | None = None
    """Ed25519 private key (PEM) signing referral packets; None means
    ``data_dir/signing-ed25519.pem``, generated on first use."""

    # -- findings intake and triage --------------------------------------------------------------
    finding_max_batch: int = 10_000
    """Most findings accepted in one submission."""
    finding_max_attachment_bytes: int = 1024 * 1024
    """Largest proof-of-concept attachment (decoded bytes) accepted with one finding."""
    dedup_near_threshold: float = 0.2
    """TF-IDF cosine from which a finding joins a vulnerability as a near duplicate."""
    dedup_known_threshold: float = 0.2
    """The same, for a finding that restates a knowledge-base advisory of its package."""
    dedup_cwe_penalty: float = 0.15
    """Subtracted from the score when both sides name CWE ids and none is shared."""
    triage_weights: str = ""
    """The triage queue's weights: JSON text or the path of a JSON file (docs/triage.md);
    empty means the documented defaults."""

    @property
    def signing_key_file(self) -> Path:
        return self.signing_key_path or self.data_dir / "signing-ed25519.pem"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'clearinghouse.db'}"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CLEARINGHOUSE_{name}", default)


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name, "").split(",") if item.strip())


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"CLEARINGHOUSE_{name} must be true or false, not {value!r}")


def load_settings() -> Settings:
    """Build settings from the environment, without caching (tests vary the environment)."""
    defaults = Settings()
    return Settings(
        data_dir=Path(_env("DATA_DIR", str(defaults.data_dir))).expanduser(),
        database_url=_env("DATABASE_URL", ""),
        osv_base_url=_env("OSV_BASE_URL", defaults.osv_base_url).rstrip("/"),
        kev_url=_env("KEV_URL", defaults.kev_url),
        max_input_bytes=int(_env("MAX_INPUT_BYTES", str(defaults.max_input_bytes))),
        max_archive_bytes=int(_env("MAX_ARCHIVE_BYTES", str(defaults.max_archive_bytes))),
        http_timeout=float(_env("HTTP_TIMEOUT", str(defaults.http_timeout))),
        redis_url=_env("REDIS_URL", ""),
        queue_name=_env("QUEUE_NAME", defaults.queue_name),
        secret_key=_env("SECRET_KEY", ""),
        webhook_allowed_networks=_env_list("WEBHOOK_ALLOWED_NETWORKS"),
        webhook_timeout=float(_env("WEBHOOK_TIMEOUT", str(defaults.webhook_timeout))),
        delivery_max_attempts=int(
            _env("DELIVERY_MAX_ATTEMPTS", str(defaults.delivery_max_attempts))
        ),
        delivery_backoff_seconds=float(
            _env("DELIVERY_BACKOFF_SECONDS", str(defaults.delivery_backoff_seconds))
        ),
        delivery_backoff_max_seconds=float(
            _env("DELIVERY_BACKOFF_MAX_SECONDS", str(defaults.delivery_backoff_max_seconds))
        ),
        delivery_lease_seconds=float(
            _env("DELIVERY_LEASE_SECONDS", str(defaults.delivery_lease_seconds))
        ),
        delivery_batch_size=int(_env("DELIVERY_BATCH_SIZE", str(defaults.delivery_batch_size))),
        smtp_host=_env("SMTP_HOST", ""),
        smtp_port=int(_env("SMTP_PORT", str(defaults.smtp_port))),
        smtp_from=_env("SMTP_FROM", defaults.smtp_from),
        smtp_starttls=_env_bool("SMTP_STARTTLS", defaults.smtp_starttls),
        smtp_ssl=_env_bool("SMTP_SSL", defaults.smtp_ssl),
        smtp_username=_env("SMTP_USERNAME", ""),
        smtp_password=_env("SMTP_PASSWORD", ""),
        smtp_timeout=float(_env("SMTP_TIMEOUT", str(defaults.smtp_timeout))),
        feed_sync_ecosystems=_env_list("FEED_SYNC_ECOSYSTEMS"),
        feed_sync_cron=_env("FEED_SYNC_CRON", defaults.feed_sync_cron),
        feed_sync_kev=_env_bool("FEED_SYNC_KEV", defaults.feed_sync_kev),
        government_access_days=int(
            _env("GOVERNMENT_ACCESS_DAYS", str(defaults.government_access_days))
        ),
        incident_initial_report_hours=int(
            _env("INCIDENT_INITIAL_REPORT_HOURS", str(defaults.incident_initial_report_hours))
        ),
        signing_key_path=Path(_env("SIGNING_KEY_PATH", "")).expanduser()
        if _env("SIGNING_KEY_PATH", "")
        else None,
        finding_max_batch=int(_env("FINDING_MAX_BATCH", str(defaults.finding_max_batch))),
        finding_max_attachment_bytes=int(
            _env("FINDING_MAX_ATTACHMENT_BYTES", str(defaults.finding_max_attachment_bytes))
        ),
        dedup_near_threshold=float(
            _env("DEDUP_NEAR_THRESHOLD", str(defaults.dedup_near_threshold))
        ),
        dedup_known_threshold=float(
            _env("DEDUP_KNOWN_THRESHOLD", str(defaults.dedup_known_threshold))
        ),
        dedup_cwe_penalty=float(_env("DEDUP_CWE_PENALTY", str(defaults.dedup_cwe_penalty))),
        triage_weights=_env("TRIAGE_WEIGHTS", ""),
    )


@cache
def get_settings() -> Settings:
    return load_settings()
