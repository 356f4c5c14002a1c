"""Operating Frontdoor: bringing up its infrastructure and services, and the `frontdoor` command."""
