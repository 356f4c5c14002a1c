"""Frontdoor's event contracts: the only thing services share about each other."""

from .base import Contract
from .complaint import ComplaintAction, ComplaintEventPayload, DeadlineRef
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
from .envelope import (
    EVENTS,
    ComplaintEvent,
    ContactAcceptedEvent,
    ContactReceivedEvent,
    ContactRoutedEvent,
    Envelope,
    derived_event_id,
)

__all__ = [
    "EVENTS",
    "Attachment",
    "Channel",
    "ComplaintAction",
    "ComplaintEvent",
    "ComplaintEventPayload",
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
    "DeadlineRef",
    "DestinationKind",
    "Envelope",
    "EscalationTarget",
    "Location",
    "OnBehalfOf",
    "RunnerUp",
    "UkPostcode",
    "derived_event_id",
]
