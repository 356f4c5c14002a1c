from pathlib import Path

from pydantic import Field, SecretStr

from frontdoor_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(default=8001, ge=0, le=65535)
    customer_ref_key: SecretStr = Field(
        min_length=16,
        description="Secret key that turns a customer's email or phone number into a pseudonymous reference",
    )
    intake_batch_limit: int = Field(default=1000, ge=1, le=100_000, description="Most contacts in one batch request")
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, description="Largest HTTP request body accepted")
    open311_api_keys: dict[str, SecretStr] = Field(
        default={}, description='Open311 integrations: name -> api_key, e.g. {"fixmystreet": "..."}'
    )
    open311_jurisdiction_id: str = "frontdoor.example.gov.uk"
    facebook_app_secret: SecretStr | None = None
    facebook_verify_token: SecretStr | None = None
    x_consumer_secret: SecretStr | None = None
    webhook_max_age_seconds: int = Field(default=300, ge=1, description="Older signed webhook deliveries are refused")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=0, le=65535)
    smtp_max_message_bytes: int = Field(default=10_000_000, ge=10_000)
    smtp_max_attachment_bytes: int = Field(default=5_000_000, ge=1_000)
    smtp_recipients: list[str] = Field(
        default=[], description="The council addresses mail is taken for; empty takes any recipient"
    )
    attachment_dir: Path = Field(default=Path(".frontdoor/attachments"), description="Where email attachments are kept")
    personal_data_retention_days: int = Field(
        default=730,
        ge=1,
        le=36_500,
        description="Days raw personal details are kept (attachments, Open311 descriptions and locations, email "
        "Message-IDs); older ones are removed by the retention sweep",
    )
    retention_sweep_seconds: float = Field(default=3600, gt=0, le=86_400, description="How often the sweep runs")
    intake_rate_limit_per_minute: int = Field(
        default=600, ge=1, le=1_000_000, description="Requests a minute each integration may send (token bucket)"
    )
    intake_rate_limit_burst: int = Field(
        default=100, ge=1, le=1_000_000, description="Requests an integration may send at once before the limit bites"
    )
    integration_api_keys: dict[str, SecretStr] = Field(
        default={},
        description="Machine integrations (telephony platform, hub system, scanning bureau, casework system): "
        "name -> key, sent as the X-Api-Key header",
    )
