from frontdoor_shared.service import run_service

from .app import create_app
from .settings import ComplaintsSettings


def main() -> None:
    run_service("complaints", ComplaintsSettings, create_app)


if __name__ == "__main__":
    main()
