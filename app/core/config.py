"""Settings from environment variables and an optional `.env` file."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development default is long enough for HS256 (no weak-key warning on every login)
# and refused in production, as every other placeholder is.
DEVELOPMENT_SECRET = "dapur-development-secret-not-for-production-use-0123456789"
PLACEHOLDER_SECRETS = {
    "",
    "change-me",
    "changethis",
    "secret",
    "dev-secret-key",
    DEVELOPMENT_SECRET,
}


class Settings(BaseSettings):
    """Every knob the service reads; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./dapur.db"
    secret_key: str = DEVELOPMENT_SECRET
    first_admin_username: str | None = None
    first_admin_password: str | None = None
    access_token_minutes: int = 60
    cors_origins: str = ""
    log_level: str = "INFO"
    # Seconds a request may wait for a pooled connection or a statement before the
    # service answers 503 instead of hanging.
    db_timeout_seconds: float = 10.0
    # Connections each server process keeps open to PostgreSQL, and how many more it may
    # open for a burst. One opened above the pool is closed when its request ends, so a
    # load above the pool opens one per request: PostgreSQL forks a process for each
    # (~2.6 ms here, more than a day view's queries) and its prepared statements are lost.
    # A fixed pool as large as a process's concurrent requests keeps them all open.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # Failed logins allowed per username, and per client address, within the window;
    # the next attempt gets 429 until the oldest failure leaves the window. The client
    # limit is higher because many phones share one carrier-NAT address.
    login_max_failures: int = 5
    login_max_failures_per_client: int = 20
    login_window_seconds: int = 300
    # Password hashes (argon2, 64 MiB each) a process computes at once, and how many more
    # logins may wait for one; beyond that a login answers 503 with Retry-After.
    login_max_concurrent_hashes: int = Field(default=2, ge=1)
    login_hash_queue: int = Field(default=8, ge=0)
    # Largest request body accepted; larger ones get 413 before they are read.
    max_body_bytes: int = 1024 * 1024
    # Strict-Transport-Security max-age sent on requests that arrived over HTTPS
    # (behind a proxy: run uvicorn with --proxy-headers); 0 sends none.
    hsts_seconds: int = 31_536_000
    # How long a POST's Idempotency-Key and its stored response are kept (at least 24 h).
    idempotency_ttl_hours: int = Field(default=24, ge=24)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment == "production" and (
            self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "when ENVIRONMENT=production"
            )
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
