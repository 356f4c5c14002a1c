"""Pseudonymous customer references: raw personal details never leave intake."""

import hashlib
import hmac


def customer_ref(key: bytes, *, email: str | None = None, phone: str | None = None) -> str | None:
    """A stable reference for the same person on any channel, from their email (preferred) or phone.

    Keyed with a secret, so the reference cannot be reversed by hashing guesses.
    """
    if email and email.strip():
        identity = "email:" + email.strip().casefold()
    elif phone and any(ch.isdigit() for ch in phone):
        digits = "".join(ch for ch in phone if ch.isdigit())
        if digits.startswith("44"):
            digits = "0" + digits[2:]
        identity = "phone:" + digits
    else:
        return None
    return "cust_" + hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()[:32]
