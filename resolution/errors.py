"""The one error base of the engine.

Every error a user can fix (a bad input file, a config typo, a missing snapshot, a decision
about an unknown contact) is an ``EdinError``: its message says what went wrong and what to do
next, and the CLI prints it and exits with status 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class EdinError(Exception):
    """Something the user can fix; the message says what to do next."""


class ConfigError(EdinError):
    """The configuration file is malformed; the message says where and how to fix it."""


class InputError(EdinError):
    """An input file cannot be read or breaks the contract; the message says how to fix it."""


class ContractError(EdinError):
    """A table does not match its contract (an input file, or a table between two stages)."""


class ModelError(EdinError):
    """Training cannot proceed (for instance no match examples), or the saved model is unusable."""


class PublishError(EdinError):
    """A snapshot failed its checks; ``current`` was left as it was."""


class NoSnapshotError(EdinError):
    """HOME has no published snapshot yet (or one that lacks what the caller needs)."""


class DecisionError(EdinError):
    """An operator decision cannot be recorded; the message says why and what to do."""


class NotFoundError(EdinError):
    """A contact or profile named by the user is not in the published snapshot."""


class OutputError(EdinError):
    """An output cannot be written where the user asked (a path, a format, a full disk)."""
