from pydantic import Field

from frontdoor_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    http_port: int = Field(default=8004, ge=0, le=65535)
    reporting_batch_size: int = Field(default=1000, ge=1, le=10_000)
    council_timezone: str = "Europe/London"
    council_name: str = Field(default="The council", min_length=1, max_length=200)
    service_level_seconds: float = Field(default=20, gt=0, le=3600, description="Calls answered within this count")
    short_abandon_seconds: float = Field(default=5, ge=0, le=600, description="Abandons sooner are not counted")
    surge_min_ratio: float = Field(default=2.0, gt=1, description="A surge is this many times the usual month")
    surge_min_rise: int = Field(default=25, ge=1, description="... and at least this many above it")
    repeat_contact_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="First-contact resolution by repeat contact: a contact from a known customer followed by another "
        "to the same department or partner agency within this many days was not resolved first time",
    )
