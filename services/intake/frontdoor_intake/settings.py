from pydantic import Field, SecretStr

from frontdoor_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(default=8001, ge=0, le=65535)
    customer_ref_key: SecretStr = Field(
        min_length=16,
        description="Secret key that turns a customer's email or phone number into a pseudonymous reference",
    )
