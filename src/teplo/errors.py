"""teplo's exception and warning family.

Every error a user can cause is a :class:`TeploError` whose message names the
file, object, row or column at fault and what to do about it. The CLI prints
these without a traceback and exits non-zero. Errors also subclass the
matching built-in (``ValueError``, ``FileNotFoundError``) so that generic
callers can still catch them.
"""

from __future__ import annotations


class TeploError(Exception):
    """Base class of every error teplo raises on purpose."""


class InputError(TeploError, ValueError):
    """The user's input (file, table, setting) is malformed or inconsistent."""


class InputFileNotFound(TeploError, FileNotFoundError):
    """A file the user named does not exist."""


class InfeasibleError(TeploError):
    """An optimisation has no feasible solution; the message says which constraint binds."""


class NotConvergedError(TeploError):
    """An iterative solver did not converge; the message says what failed and where."""


class TeploWarning(UserWarning):
    """Something was repaired or defaulted; the result is usable but the user should know."""
