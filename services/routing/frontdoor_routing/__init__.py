"""Frontdoor routing: decides each contact's department or partner agency, priority and due time."""
