import socket
from pathlib import Path

from pydantic import Field

from frontdoor_shared.settings import ServiceSettings

_CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "config"


class RoutingSettings(ServiceSettings):
    http_port: int = Field(default=8002, ge=0, le=65535)
    routing_directory_path: Path = _CONFIG / "directory.yaml"
    routing_rules_path: Path = _CONFIG / "routing-rules.yaml"
    routing_instance: str = Field(
        default_factory=socket.gethostname,
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Stable name of this instance; a restarted instance with the same name fences its predecessor",
    )
    routing_batch_size: int = Field(default=500, ge=1, le=10_000)
    routing_escalation_check_seconds: float = Field(default=15, gt=0, le=3600)
    routing_repeat_window_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="How long routing remembers where it first read each received contact, to recognise a repeat "
        "copy from intake; older positions are forgotten",
    )
    routing_repeat_sweep_seconds: float = Field(
        default=3600, gt=0, le=86_400, description="How often positions older than the repeat window are forgotten"
    )
    routing_reload_seconds: float = Field(default=5, gt=0, le=3600, description="How often the rules file is checked")

    @property
    def transactional_id(self) -> str:
        return f"{self.topic_prefix}frontdoor-routing-{self.routing_instance}"
