"""The one configuration object: every setting comes from a DISPMON_* environment variable."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from app.deps import SettingsDep as SettingsDep

MIN_SECRET_KEY_LENGTH = 32
DEMO_SECRET_KEY = "dispmon-demo-only-not-secret-key-0000"  # the demo's data is public anyway


class Settings(BaseSettings):
    """Settings of one process; see the README's configuration table for each variable."""

    model_config = SettingsConfigDict(env_prefix="DISPMON_", extra="ignore")

    database_url: str = "sqlite:///./var/dispmon.db"
    scheduler: Literal["embedded", "off"] = "embedded"
    scheduler_tick_seconds: float = Field(default=5.0, gt=0)
    demo: bool = False
    public_read: bool = False
    household_size: int = Field(default=5, ge=1, le=30)
    household_sizes: dict[str, int] = Field(default_factory=dict)
    freshness_days: int = Field(default=14, ge=1, le=365)
    # which figures wait for a person before they count (app/pipeline.py, hold_for_review)
    review: Literal["off", "low_confidence", "alerting", "all"] = Field(
        default="off", description="off: every figure counts as read; low_confidence: those "
        "below DISPMON_REVIEW_THRESHOLD wait; alerting: those that would raise or escalate a "
        "critical alert wait; all: every figure waits"
    )
    review_threshold: float = Field(default=0.6, ge=0, le=1)
    max_report_bytes: int = Field(default=1_000_000, ge=1_000)
    max_request_bytes: int = Field(default=2_000_000, ge=1_000)
    page_size: int = Field(default=50, ge=1, le=500)
    # reads whose cost is bounded by the answer (app/series/router.py)
    series_days: int = Field(default=90, ge=1, le=36_600, description="the days a series answer "
                             "covers when no `start` is given: up to its last point")
    series_max_points: int = Field(default=1000, ge=7, le=100_000, description="the most points "
                                   "one series answer carries; a cursor gives the rest")
    gzip_min_bytes: int = Field(default=1000, ge=0, description="answers this large or larger "
                                "are gzipped for clients that accept it")
    log_level: str = "info"
    # database connections under load (app/db.py): requests wait for a slot without a thread
    db_pool_size: int = Field(
        default=10, ge=1, le=100, description="database connections API requests share; "
        "requests beyond it wait for one in the event loop, holding no server thread"
    )
    db_wait_seconds: float = Field(
        default=1.0, gt=0, le=60, description="how long a request waits for a database "
        "connection before it is answered 503 with Retry-After"
    )
    # the dashboard on the open web (app/dashboard/security.py, app/security_headers.py)
    public_url: str | None = Field(
        default=None, description="where users reach the service, e.g. https://dispmon.example.org;"
        " https makes cookies Secure, and the dashboard's forms must be posted from this origin"
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 90,
                                 description="how long a dashboard sign-in lasts")
    # secrets at rest (app/crypto.py): webhook signing secrets are encrypted with this key
    secret_key: SecretStr | None = Field(
        default=None, description="32 characters or more, random; required unless DISPMON_DEMO"
    )
    secret_key_previous: SecretStr | None = Field(
        default=None, description="the key before DISPMON_SECRET_KEY: still decrypts until "
        "`dispmon rekey` has re-encrypted everything with the current one"
    )
    replay_dir: Path | None = Field(
        default=None, description="the folder replay sources may read (besides the demo's)"
    )
    # the outbound gate (app/http.py): every request the service makes goes through it
    outbound_allowlist: str = Field(
        default="", description="addresses or CIDRs (comma-separated) let through although private"
    )
    outbound_timeout_seconds: float = Field(default=20.0, gt=0)
    outbound_max_bytes: int = Field(default=10_000_000, ge=1_000)
    user_agent: str = "DisplacementMonitor/0.1 (+https://github.com/dispmon/dispmon)"
    dtm_api_key: SecretStr | None = Field(
        default=None, description="the IOM DTM API v3 subscription key dtm sources send "
        "(Ocp-Apim-Subscription-Key); without it, dtm sources fail as misconfigured")
    source_lease_seconds: float = Field(
        default=600.0, ge=1, description="how long a worker's claim on a source lasts unrenewed"
    )
    sources_file: Path | None = Field(
        default=None, description="YAML file of sources declared at start (upserted by name)"
    )
    gdelt_min_interval_seconds: float = Field(
        default=5.0, ge=0, description="the least time between two GDELT API requests"
    )
    # alerts and webhooks (app/alerts, app/webhooks)
    alert_quiet_hours: float = Field(
        default=72.0, gt=0, description="an alert with no new trigger for this long resolves itself"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_lease_seconds: float = Field(
        default=60.0, gt=0, description="how long a worker holds a delivery it is sending; "
        "a dead worker's deliveries are sent again after it"
    )
    webhook_disable_after_days: float = Field(default=5.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1, le=64,
                                     description="deliveries one process sends at once")
    # e-mail and chat subscriptions (app/notify)
    incident_window_minutes: float = Field(
        default=60, gt=0, le=7 * 24 * 60, description="alerts of one place, the places "
        "within it and its parents, or of places of one region (below the country level), that "
        "open within this long of an incident's first join it (app/incidents)")
    incident_wait_seconds: float = Field(
        default=30, ge=0, le=3600, description="a subscription's message of an incident, or of "
        "its update, waits this long for further alerts to join it")
    smtp_host: str | None = Field(default=None, description="the mail relay e-mail goes through; "
                                  "without it, e-mail subscriptions cannot be sent")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls: upgrade after connecting (port 587); tls: "
        "TLS from the start (port 465); none: plain, for a relay on the same host only")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="Displacement Monitor <dispmon@localhost>",
                           description="the From of every e-mail")
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    smtp_ca_file: Path | None = Field(default=None, description="CA certificates (PEM) the "
                                      "relay's certificate is checked against, for a private CA")
    telegram_api_url: str = Field(default="https://api.telegram.org",
                                  description="Telegram's Bot API (a local Bot API server "
                                  "or a test receiver may stand in)")

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> Settings:
        # a lease shorter than a send would let a second worker send the same attempt
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("DISPMON_WEBHOOK_LEASE_SECONDS must exceed "
                             "DISPMON_WEBHOOK_TIMEOUT_SECONDS")
        return self

    @model_validator(mode="after")
    def _has_a_secret_key(self) -> Settings:
        for name, key in (("DISPMON_SECRET_KEY", self.secret_key),
                          ("DISPMON_SECRET_KEY_PREVIOUS", self.secret_key_previous)):
            if key is not None and len(key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(f"{name} must be {MIN_SECRET_KEY_LENGTH} characters or more")
        return self

    def require_secret_key(self) -> Settings:
        """Refuses to go on without DISPMON_SECRET_KEY (outside the demo). Checked by what stores
        or reads secrets (serve, worker, migrate...), not by `extract`, which needs none."""
        if self.secret_key is None and not self.demo:
            raise ValueError("DISPMON_SECRET_KEY is required (a random string of "
                             f"{MIN_SECRET_KEY_LENGTH} characters or more, e.g. from "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        return self

    @property
    def encryption_key(self) -> str:
        """The key secrets are encrypted with; the demo has a fixed one, known to all."""
        return self.secret_key.get_secret_value() if self.secret_key else DEMO_SECRET_KEY

    @field_validator("public_url")
    @classmethod
    def _origin_like(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"DISPMON_PUBLIC_URL {value!r} is not an http(s) URL with a host")
        return value.strip().rstrip("/")

    @property
    def https(self) -> bool:
        """Users reach the service over https (cookies are Secure, HSTS is sent)."""
        return self.public_url is not None and urlsplit(self.public_url).scheme == "https"

    @property
    def incident_window(self) -> timedelta:
        """DISPMON_INCIDENT_WINDOW_MINUTES as the alert stage takes it."""
        return timedelta(minutes=self.incident_window_minutes)

    @field_validator("household_sizes")
    @classmethod
    def _upper_country_codes(cls, value: dict[str, int]) -> dict[str, int]:
        for code, size in value.items():
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"household size key {code!r} is not an ISO 3166-1 alpha-2 code")
            if not 1 <= size <= 30:
                raise ValueError(f"household size for {code} must be between 1 and 30")
        return {code.upper(): size for code, size in value.items()}

    def household_size_for(self, country: str | None) -> int:
        if country and country.upper() in self.household_sizes:
            return self.household_sizes[country.upper()]
        return self.household_size


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment (CLI and tests build their own)."""
    return Settings().require_secret_key()


def __getattr__(name: str) -> object:
    # SettingsDep is FastAPI's: it lives in app/deps.py, so the CLI starts without FastAPI
    if name == "SettingsDep":
        from app.deps import SettingsDep

        return SettingsDep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
