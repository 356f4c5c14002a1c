from frontdoor_shared.service import run_service

from .app import create_app
from .settings import RoutingSettings


def main() -> None:
    run_service("routing", RoutingSettings, create_app)


if __name__ == "__main__":
    main()
