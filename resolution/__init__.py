"""The resolution engine: no Dagster, no CLI. Its packages read in the order the data moves:

- ``resolution.inputs``: input files onto the contract (with a quarantine), normalized match
  keys, hub values;
- ``resolution.matching``: the match model declared as data (fields), dedupe's features, the
  name-only guard, the one scoring path and its explanations;
- ``resolution.training``: cold-start seed labels, labelled-pair files, blocking rules and the
  classifier's fit;
- ``resolution.linking``: candidate pairs, the scoring stage, clustering, strong links and
  operator decisions;
- ``resolution.publishing``: stable IDs, profiles, the change feed, snapshots, ``current`` and
  exports;
- ``resolution.feedback``: what operators say back: decisions and the label queue.

``resolution.stages`` runs them over the warehouse, one function per stage. This module names
what every caller needs: the configuration, the run home, the errors and the evaluation. Each
name is imported on first use (``resolution._lazy``), so ``from resolution import EdinError``
loads nothing heavy and a reader of snapshots never loads dedupe; and a run that reuses its
model never loads dedupe's training API and scikit-learn (``resolution._dedupe``).
"""

from typing import TYPE_CHECKING

from resolution._dedupe import defer_dedupe_api
from resolution._lazy import lazy_exports

defer_dedupe_api()

# Imported on first use (resolution._lazy): the names below are the API.
if TYPE_CHECKING:
    from resolution._typing import Key, Metadata, Pair, Record, TrainingData
    from resolution.config import EdinConfig, default_config, load_config, parse_config
    from resolution.erasure import (
        Erased,
        ErasureError,
        Person,
        erase,
        find_person,
        identifier_query,
        lift,
    )
    from resolution.errors import (
        ConfigError,
        ContractError,
        DecisionError,
        EdinError,
        InputError,
        ModelError,
        NoSnapshotError,
        NotFoundError,
        OutputError,
        PublishError,
    )
    from resolution.evaluation import Scores, evaluate, format_scores
    from resolution.files import read_file
    from resolution.home import Home
    from resolution.stores import open_store

__all__ = [
    "ConfigError",
    "ContractError",
    "DecisionError",
    "EdinConfig",
    "EdinError",
    "Erased",
    "ErasureError",
    "Home",
    "InputError",
    "Key",
    "Metadata",
    "ModelError",
    "NoSnapshotError",
    "NotFoundError",
    "OutputError",
    "Pair",
    "Person",
    "PublishError",
    "Record",
    "Scores",
    "TrainingData",
    "default_config",
    "erase",
    "evaluate",
    "find_person",
    "identifier_query",
    "lift",
    "format_scores",
    "load_config",
    "open_store",
    "parse_config",
    "read_file",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
