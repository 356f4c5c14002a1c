from pydantic import Field

from frontdoor_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    http_port: int = Field(default=8004, ge=0, le=65535)
    reporting_batch_size: int = Field(default=1000, ge=1, le=10_000)
    council_timezone: str = "Europe/London"
