from pydantic import Field, SecretStr

from frontdoor_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(default=8001, ge=0, le=65535)
    customer_ref_key: SecretStr = Field(
        min_length=16,
        description="Secret key that turns a customer's email or phone number into a pseudonymous reference",
    )
    intake_batch_limit: int = Field(default=1000, ge=1, le=100_000, description="Most contacts in one batch request")
