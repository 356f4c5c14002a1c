"""Frontdoor's event contracts: the only thing services share about each other."""

from .base import Contract
from .contact import (
    Attachment,
    Channel,
    ContactAccepted,
    ContactKind,
    ContactReceived,
    ContactRouted,
    Coordinates,
    CustomerFlag,
    DestinationKind,
    EscalationTarget,
    Location,
    OnBehalfOf,
    RunnerUp,
    UkPostcode,
)
from .envelope import EVENTS, ContactAcceptedEvent, ContactReceivedEvent, ContactRoutedEvent, Envelope, derived_event_id

__all__ = [
    "EVENTS",
    "Attachment",
    "Channel",
    "ContactAccepted",
    "ContactAcceptedEvent",
    "ContactKind",
    "ContactReceived",
    "ContactReceivedEvent",
    "ContactRouted",
    "ContactRoutedEvent",
    "Contract",
    "Coordinates",
    "CustomerFlag",
    "DestinationKind",
    "Envelope",
    "EscalationTarget",
    "Location",
    "OnBehalfOf",
    "RunnerUp",
    "UkPostcode",
    "derived_event_id",
]
