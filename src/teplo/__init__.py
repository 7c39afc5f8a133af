"""teplo: plan and stress-test decentralized heat supply for a city under attack."""

from __future__ import annotations

from teplo.errors import InputError, TeploError, TeploWarning

__version__ = "0.1.0"

__all__ = ["InputError", "TeploError", "TeploWarning", "__version__"]
