from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Base of every event contract: unknown fields are rejected, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
