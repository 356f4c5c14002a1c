from pydantic import Field

from frontdoor_shared.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    http_port: int = Field(default=8003, ge=0, le=65535)
    complaints_batch_size: int = Field(default=500, ge=1, le=10_000)
    statutory_teams: dict[str, str] = Field(
        default={
            "adult_social_care_complaints": "adult_social_care",
            "childrens_social_care_complaints": "childrens_social_care",
        },
        description="Destination code of each statutory complaints team, and the procedure it runs",
    )
