"""Errors about what a user gave awal (a language code, a profile, a file, a line).

Every one of them is an :class:`InputError`; the ``awal`` command prints its message and
exits with code 2.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input or usage, with a message that says what and where."""
