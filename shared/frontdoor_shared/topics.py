"""Topic names: Frontdoor's public contract with channel integrations and departmental teams."""

from dataclasses import dataclass

DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    """Topic names under an optional prefix (a deployment or test run's own namespace)."""

    prefix: str = ""

    @property
    def contacts_received(self) -> str:
        """Every contact as intake received it, keyed by contact id."""
        return f"{self.prefix}contacts.received"

    @property
    def contacts_routed(self) -> str:
        """Every routing decision, keyed by contact id."""
        return f"{self.prefix}contacts.routed"

    @property
    def contacts_follow_ups(self) -> str:
        """Further messages on contacts already received (email replies and the like), keyed by contact id."""
        return f"{self.prefix}contacts.follow_ups"

    @property
    def telephony_calls(self) -> str:
        """Call events from the telephony platform: offered, answered, abandoned, ended."""
        return f"{self.prefix}telephony.calls"

    @property
    def hub_visits(self) -> str:
        """Visits to One Stop Shops and community hubs: checked in, seen, closed."""
        return f"{self.prefix}hubs.visits"

    @property
    def survey_responses(self) -> str:
        """Customers' answers to satisfaction surveys, focus groups and mystery shopping, keyed by response id."""
        return f"{self.prefix}surveys.responses"

    @property
    def contacts_accepted(self) -> str:
        """Departments and partner agencies saying they have taken a contact from their queue."""
        return f"{self.prefix}contacts.accepted"

    @property
    def complaints_events(self) -> str:
        """Every step in every complaint's lifecycle, keyed by case id."""
        return f"{self.prefix}complaints.events"

    def queue(self, destination_code: str) -> str:
        """A department's or partner agency's own queue of contacts to work."""
        return f"{self.prefix}queue.{destination_code}"

    @staticmethod
    def dead_letters(topic: str) -> str:
        return f"{topic}{DEAD_LETTER_SUFFIX}"
