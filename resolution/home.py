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
```

Every path is spelled here and only here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
