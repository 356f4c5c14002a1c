"""Frontdoor complaints: each complaint's case, corporate or statutory, as a MongoDB projection."""
