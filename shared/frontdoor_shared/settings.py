"""Settings every service reads from its environment."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .topics import Topics


class ServiceSettings(BaseSettings):
    """Common settings; each service extends this with its own."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", secrets_dir=None)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", min_length=1)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    topic_partitions: int = Field(default=3, ge=1, le=1000)
    topic_replication_factor: int = Field(default=1, ge=1, le=10)
    mongodb_url: str = Field(default="mongodb://127.0.0.1:27017", pattern=r"^mongodb(\+srv)?://")
    mongodb_database: str = Field(default="frontdoor", pattern=r"^[A-Za-z0-9_-]{1,60}$")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    max_delivery_attempts: int = Field(
        default=5, ge=1, le=100, description="Attempts at one message before it goes to its dead-letter topic"
    )

    @model_validator(mode="after")
    def _sasl_is_complete(self) -> "ServiceSettings":
        sasl = (self.kafka_sasl_mechanism, self.kafka_sasl_username, self.kafka_sasl_password)
        if self.kafka_security_protocol.startswith("SASL") and not all(sasl):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def group_id(self, service: str) -> str:
        return f"{self.topic_prefix}frontdoor-{service}"
