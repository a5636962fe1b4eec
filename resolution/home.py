"""The run home: one folder holding everything a pipeline keeps between runs.

```
HOME/
  warehouse.duckdb        the pipeline's working tables (its only writer is the pipeline)
  model/                  model.json, training.json, trained.json (what it was trained on)
  snapshots/<run_id>/     every published snapshot (written as <run_id>.partial, then renamed)
  current -> snapshots/…  the latest snapshot that passed its checks (switched atomically)
  decisions.sqlite        operator decisions (merge / unmerge), SQLite in WAL mode
  labels.csv              the operator's answers to `edin label` (training labels)
  label_skipped.csv       pairs answered "unsure": not asked again
  review.sqlite           the review app's accounts, notes, skipped items and action journal
  review.key              the review app's signing key (sessions, CSRF tokens), mode 0600
  erase.key               the secret that salts erasure tombstones (`edin erase`), mode 0600
  tombstones.sqlite       salted hashes of erased contacts and identifiers: ingest drops them
  .lock                   held by the process writing the home (one writer at a time)
```

Every path is spelled here and only here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from resolution.errors import EdinError

MODEL_FILE = "model.json"
TRAINING_FILE = "training.json"
TRAINED_FILE = "trained.json"


@dataclass(frozen=True, init=False)
class Home:
    """The paths of one run home."""

    root: Path

    def __init__(self, root: Path | str) -> None:
        object.__setattr__(self, "root", Path(root))

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def model_file(self) -> Path:
        return self.model_dir / MODEL_FILE

    @property
    def training_file(self) -> Path:
        return self.model_dir / TRAINING_FILE

    @property
    def trained_file(self) -> Path:
        """What the saved model was trained from (``stages.reusable_model``)."""
        return self.model_dir / TRAINED_FILE

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def snapshot(self, run_id: str) -> Path:
        return self.snapshots / run_id

    @property
    def current(self) -> Path:
        """The symlink readers follow to the latest published snapshot."""
        return self.root / "current"

    def current_target(self) -> Path | None:
        """The snapshot folder ``current`` points at (resolved), or None."""
        if not self.current.is_symlink():
            return None
        return (self.root / os.readlink(self.current)).resolve()

    def current_run_id(self) -> str | None:
        """The run ID of the snapshot ``current`` points at, or None."""
        return Path(os.readlink(self.current)).name if self.current.is_symlink() else None

    @property
    def decisions(self) -> Path:
        return self.root / "decisions.sqlite"

    @property
    def labels(self) -> Path:
        """Where `edin label` appends answers unless told otherwise."""
        return self.root / "labels.csv"

    @property
    def skipped_labels(self) -> Path:
        return self.root / "label_skipped.csv"

    @property
    def review(self) -> Path:
        """The review app's own database: accounts, notes on profiles, skips, its journal."""
        return self.root / "review.sqlite"

    @property
    def review_key(self) -> Path:
        """The review app's secret for signing session cookies and CSRF tokens."""
        return self.root / "review.key"

    @property
    def erase_key(self) -> Path:
        """The per-home secret that salts the erasure tombstones (HMAC key), mode 0600."""
        return self.root / "erase.key"

    @property
    def tombstones(self) -> Path:
        """Salted hashes of what `edin erase` removed; ingest drops contacts that match."""
        return self.root / "tombstones.sqlite"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def lock(self, run_id: str) -> None:
        """Make this process the home's only writer until it exits (``HomeBusyError`` when
        another process is). Re-entrant: a process that holds the lock keeps it for its next
        run. DuckDB allows one writer, and two runs interleaving their stages on one warehouse
        lost contacts while both "succeeded"."""
        key = self.root.resolve()
        if key in _HELD:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_file, "a+", encoding="utf-8")  # noqa: SIM115 (held until exit)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise HomeBusyError(
                f"another run is writing {self.root} ({holder}); wait for it to finish, or run "
                "on another home"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "run_id": run_id}))
            handle.flush()
        except OSError as exc:  # a full disk: say which file, and let the lock go
            with contextlib.suppress(OSError):  # close() flushes again, and fails again
                handle.close()
            exc.filename = exc.filename or str(self.lock_file)
            raise
        _HELD[key] = handle


class HomeBusyError(EdinError):
    """Another process is writing the home."""


# Homes this process holds the lock of (the open files keep the locks until the process exits).
_HELD: dict[Path, IO[str]] = {}
