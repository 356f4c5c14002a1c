from datetime import date

from pydantic import Field

from frontdoor_shared.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    http_port: int = Field(default=8003, ge=0, le=65535)
    complaints_batch_size: int = Field(default=200, ge=1, le=10_000)
    council_timezone: str = "Europe/London"
    council_closure_days: list[date] = Field(
        default=[], description="Days the council is closed beyond weekends and bank holidays, e.g. 2010-12-29"
    )
    deadline_check_seconds: float = Field(default=60, gt=0, le=86_400)
    at_risk_working_days: int = Field(default=2, ge=0, le=20)
    statutory_teams: dict[str, str] = Field(
        default={
            "adult_social_care_complaints": "adult_social_care",
            "childrens_social_care_complaints": "childrens_social_care",
        },
        description="Destination code of each statutory complaints team, and the procedure it runs",
    )
