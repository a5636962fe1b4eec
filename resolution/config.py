"""Run configuration: how input files map onto the contract, extra match fields, resolver knobs.

The configuration is a TOML file (see ``docs/CONFIG.md``). Every field has a default, so a run on
files that already follow the input contract needs no configuration at all.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resolution.contract import CONTACT_COLUMNS, INTERACTION_COLUMNS
from resolution.errors import ConfigError

FIELD_TYPES = ("string", "short_string", "exact", "text", "set")
# The column (and match field) of a configured extra field is its name behind this prefix, so it
# can never clash with a contract column.
EXTRA_PREFIX = "f_"
INPUT_KINDS = ("contacts", "interactions")
# Golden-record fields of a profile and the rules that pick their value (docs/CONFIG.md).
GOLDEN_FIELDS = ("name", "city")
SURVIVORSHIP_RULES = ("most_frequent", "most_recent", "source_priority")


@dataclass(frozen=True)
class InputSpec:
    """One kind of input file: a glob relative to each input folder and its column mapping."""

    pattern: str
    kind: str
    source: str | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtraField:
    """A match field beyond the contract (birth date, address, national ID...)."""

    name: str
    columns: tuple[str, ...]
    type: str = "string"
    identifier: bool = False

    @property
    def column(self) -> str:
        """The field's column in raw and normalized contacts, and its name in the model."""
        return EXTRA_PREFIX + self.name


ENGINES = ("duckdb", "spark")


MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)")
"""A DuckDB memory size: a number and a unit (checked here, since it is spliced into SQL)."""


@dataclass(frozen=True)
class ResolutionSettings:
    """Knobs of the resolver. Defaults follow REFERENCE.md's hub caps and dedupe's guidance."""

    threshold: float = 0.5
    hub_max_people: int = 10  # a value shared by more distinct people stops being evidence
    max_cluster_size: int = 50  # larger clusters go to review instead of publishing
    # a run that erases or merges away more than this share of the live profiles does not publish
    # (a drop mistaken for a full export); `edin run --accept-mass-change` overrides it
    max_lost_share: float = 0.2
    # a run putting operator-labelled "not the same person" pairs into one profile so often that
    # the precision on the labelled pairs falls below this does not publish (from 20 such pairs)
    min_labelled_precision: float = 0.9
    # snapshots kept: the newest `keep_snapshots`, and all younger than `keep_days` days
    keep_snapshots: int = 7
    keep_days: int = 30
    max_block_size: int = 1000  # blocks larger than this are skipped (they cover namesakes)
    training_sample: int = 2000  # records the blocking learner sees (bounds its memory)
    max_seed_pairs: int = 1500  # per seed-label category
    # the saved model is reused until the contacts grow by more than this share (then retrained)
    retrain_growth: float = 0.25
    recall: float = 0.99  # share of matched training pairs blocking must cover
    # the classifier's C (inverse regularisation strength): fixed, not cross-validated (see
    # resolution.training.fit.REGULARIZATION_C for why); sklearn's default
    regularization: float = 1.0
    score_chunk: int = 200_000  # candidate pairs scored per chunk
    seed: int = 42
    default_region: str = "RU"
    workers: int = 0  # processes that normalize contacts; 0: one per available core
    # where the heavy stages run: "duckdb" (this process) or "spark" (resolution.spark)
    engine: str = "duckdb"
    # DuckDB's memory for the warehouse (its buffer cache and operators; it spills to the
    # home's disk beyond it); "" for DuckDB's own default, 80 % of the machine's memory, which
    # it fills with cached pages. At 1M contacts 1.5GB keeps a run's peak near 3.5 GB.
    memory_limit: str = "1.5GB"


@dataclass(frozen=True)
class ProfileSettings:
    """How each golden-record field picks its value among the profile's contacts."""

    name: str = "most_frequent"
    city: str = "most_frequent"
    source_priority: tuple[str, ...] = ()  # best source first; unlisted sources rank after

    def rule(self, field_name: str) -> str:
        return str(getattr(self, field_name))


@dataclass(frozen=True)
class EdinConfig:
    inputs: tuple[InputSpec, ...]
    fields: tuple[ExtraField, ...] = ()
    resolution: ResolutionSettings = ResolutionSettings()
    profile: ProfileSettings = ProfileSettings()


DEFAULT_INPUTS = (
    InputSpec(pattern="**/contacts.*", kind="contacts"),
    InputSpec(pattern="**/interactions.*", kind="interactions"),
)


def default_config() -> EdinConfig:
    return EdinConfig(inputs=DEFAULT_INPUTS)


def load_config(path: Path | None) -> EdinConfig:
    """Read a TOML config; ``None`` gives the default (files that already follow the contract)."""
    if path is None:
        return default_config()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, origin=str(path))


def _columns(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a column name or a list of column names, got {value!r}")


def parse_config(raw: dict[str, Any], origin: str = "<config>") -> EdinConfig:
    unknown = set(raw) - {"inputs", "fields", "resolution", "profile"}
    if unknown:
        raise ConfigError(
            f"{origin}: unknown section(s) {sorted(unknown)}; "
            "expected [[inputs]], [[fields]], [resolution], [profile]"
        )
    inputs = []
    for i, spec in enumerate(raw.get("inputs", [])):
        where = f"{origin}: [[inputs]] #{i + 1}"
        kind = spec.get("kind", "contacts")
        if kind not in INPUT_KINDS:
            raise ConfigError(f"{where}: kind must be one of {INPUT_KINDS}, got {kind!r}")
        if "pattern" not in spec:
            raise ConfigError(f'{where}: `pattern` (a file glob such as "vk/*.csv") is required')
        contract = CONTACT_COLUMNS if kind == "contacts" else INTERACTION_COLUMNS
        columns = {}
        for target, source in spec.get("columns", {}).items():
            if target not in contract:
                raise ConfigError(
                    f"{where}: `{target}` is not a {kind} contract column; "
                    f"contract columns are {', '.join(contract)}"
                )
            columns[target] = _columns(source, f"{where}.columns.{target}")
        inputs.append(
            InputSpec(
                pattern=spec["pattern"], kind=kind, source=spec.get("source"), columns=columns
            )
        )
    fields = []
    for i, spec in enumerate(raw.get("fields", [])):
        where = f"{origin}: [[fields]] #{i + 1}"
        name = spec.get("name")
        if not name or not str(name).isidentifier():
            raise ConfigError(f"{where}: `name` must be a simple identifier, got {name!r}")
        ftype = spec.get("type", "string")
        if ftype not in FIELD_TYPES:
            raise ConfigError(f"{where}: type must be one of {FIELD_TYPES}, got {ftype!r}")
        fields.append(
            ExtraField(
                name=name,
                columns=_columns(spec.get("column", name), where),
                type=ftype,
                identifier=bool(spec.get("identifier", False)),
            )
        )
    if len({f.name for f in fields}) != len(fields):
        raise ConfigError(f"{origin}: two [[fields]] share a name")
    res_raw = raw.get("resolution", {})
    known = set(ResolutionSettings.__dataclass_fields__)
    bad = set(res_raw) - known
    if bad:
        raise ConfigError(
            f"{origin}: unknown [resolution] key(s) {sorted(bad)}; "
            f"known keys: {', '.join(sorted(known))}"
        )
    resolution = ResolutionSettings(**res_raw)
    if resolution.engine not in ENGINES:
        raise ConfigError(f"{origin}: [resolution] engine must be one of {', '.join(ENGINES)}")
    if resolution.workers < 0:
        raise ConfigError(f"{origin}: [resolution] workers must be 0 (one per core) or more")
    if resolution.keep_snapshots < 1 or resolution.keep_days < 0:
        raise ConfigError(
            f"{origin}: [resolution] keep_snapshots must be 1 or more and keep_days 0 or more"
        )
    if not 0 < resolution.max_lost_share <= 1:
        raise ConfigError(f"{origin}: [resolution] max_lost_share must be above 0 and at most 1")
    if not 0 <= resolution.min_labelled_precision <= 1:
        raise ConfigError(f"{origin}: [resolution] min_labelled_precision must be between 0 and 1")
    if not resolution.regularization > 0:
        raise ConfigError(
            f"{origin}: [resolution] regularization must be above 0 (sklearn's C; "
            "the default 1.0 suits most data)"
        )
    if not 0 < resolution.threshold < 1:
        raise ConfigError(f"{origin}: [resolution] threshold must be between 0 and 1")
    if resolution.memory_limit and not MEMORY_LIMIT.fullmatch(resolution.memory_limit):
        raise ConfigError(
            f'{origin}: [resolution] memory_limit must be like "1.5GB" or "800MB" (or "" for '
            f"DuckDB's default), got {resolution.memory_limit!r}"
        )
    return EdinConfig(
        inputs=tuple(inputs) or DEFAULT_INPUTS,
        fields=tuple(fields),
        resolution=resolution,
        profile=_profile(raw.get("profile", {}), origin),
    )


def _profile(raw: dict[str, Any], origin: str) -> ProfileSettings:
    bad = set(raw) - {*GOLDEN_FIELDS, "source_priority"}
    if bad:
        raise ConfigError(
            f"{origin}: unknown [profile] key(s) {sorted(bad)}; known keys: "
            f"{', '.join(GOLDEN_FIELDS)}, source_priority"
        )
    rules = {}
    for name in GOLDEN_FIELDS:
        rule = raw.get(name, "most_frequent")
        if rule not in SURVIVORSHIP_RULES:
            raise ConfigError(
                f"{origin}: [profile] {name} = {rule!r}; expected one of "
                f"{', '.join(SURVIVORSHIP_RULES)}"
            )
        rules[name] = rule
    order = raw.get("source_priority", [])
    if not isinstance(order, list) or not all(isinstance(s, str) for s in order):
        raise ConfigError(
            f"{origin}: [profile] source_priority must be a list of sources, "
            'best first, such as ["crm", "email", "vk"]'
        )
    if "source_priority" in rules.values() and not order:
        raise ConfigError(
            f"{origin}: [profile] uses the source_priority rule but lists no "
            'sources; add source_priority = ["crm", "email", ...]'
        )
    return ProfileSettings(**rules, source_priority=tuple(order))
