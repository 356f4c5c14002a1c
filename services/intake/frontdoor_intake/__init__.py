"""Frontdoor intake: adapters that turn each channel's own payloads into ContactReceived events."""
