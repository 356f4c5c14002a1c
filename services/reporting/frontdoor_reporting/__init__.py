"""Frontdoor reporting: projections of the contact stream for departments and committees."""
