"""One adapter per channel: each speaks the format that channel's systems already send."""
