"""The match model declared as data: which fields dedupe compares, how, and how they may block.

Each field names a dedupe variable type and the small set of blocking predicates it may offer
the blocking learner. Keeping that set small and free of index predicates (TF-IDF, Levenshtein
canopies) is what keeps training within a few GB: dedupe materialises every pair each
candidate predicate covers in its training sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dedupe
import dedupe.predicates as P
import dedupe.variables
import polars as pl

from resolution._typing import Record
from resolution.config import EdinConfig

# Record key (not a compared field) holding how many contacts bear the record's name.
NAME_COUNT = "_name_count"


@dataclass(frozen=True)
class FieldSpec:
    """One compared field: the record key, the dedupe variable type and its blocking predicates."""

    name: str
    type: str  # String | ShortString | Exact | Text | Set
    predicates: tuple[str, ...]
    identifier: bool = False  # strong identifier: used for seed labels and always blocks
    # Derived from an identifier (an e-mail's local part, a handle's nickname): not evidence for
    # seed labels, but damaged and blanked together with the identifiers when training.
    from_identifier: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "predicates": list(self.predicates),
            "identifier": self.identifier,
            "from_identifier": self.from_identifier,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FieldSpec:
        return cls(
            name=d["name"],
            type=d["type"],
            predicates=tuple(d["predicates"]),
            identifier=bool(d.get("identifier", False)),
            from_identifier=bool(d.get("from_identifier", False)),
        )


NAME_PREDICATES = (
    "wholeFieldPredicate",
    "tokenFieldPredicate",
    "sameFiveCharStartPredicate",
    "metaphoneToken",
    "sortedAcronym",
)
PART_PREDICATES = (
    "wholeFieldPredicate",
    "sameThreeCharStartPredicate",
    "sameFiveCharStartPredicate",
    "metaphoneToken",
)
SET_PREDICATES = ("commonSetElementPredicate",)
EXACT_PREDICATES = ("wholeFieldPredicate",)
EXTRA_PREDICATES = {
    "string": (
        "wholeFieldPredicate",
        "firstTokenPredicate",
        "sameFiveCharStartPredicate",
        "commonFourGram",
        "firstIntegerPredicate",
    ),
    "short_string": (
        "wholeFieldPredicate",
        "sameThreeCharStartPredicate",
        "sameFiveCharStartPredicate",
        "commonFourGram",
    ),
    "exact": EXACT_PREDICATES,
    "text": ("wholeFieldPredicate", "commonTwoTokens", "commonThreeTokens"),
    "set": SET_PREDICATES,
}
EXTRA_TYPES = {
    "string": "String",
    "short_string": "ShortString",
    "exact": "Exact",
    "text": "Text",
    "set": "Set",
}

# Contact fields: (record key, normalized_contacts column, variable type, predicates, identifier)
CONTACT_FIELDS = (
    FieldSpec("name", "String", NAME_PREDICATES),
    FieldSpec("given", "ShortString", PART_PREDICATES),
    FieldSpec("surname", "ShortString", PART_PREDICATES),
    FieldSpec("phones", "Set", SET_PREDICATES, identifier=True),
    FieldSpec("emails", "Set", SET_PREDICATES, identifier=True),
    FieldSpec("handles", "Set", SET_PREDICATES, identifier=True),
    FieldSpec("nicknames", "Set", SET_PREDICATES, from_identifier=True),
    FieldSpec(
        "email_local",
        "ShortString",
        ("wholeFieldPredicate", "sameSevenCharStartPredicate"),
        from_identifier=True,
    ),
    FieldSpec("city", "Exact", EXACT_PREDICATES),
    # When the contact was created, in days: one person's contacts tend to come closer in time
    # than two strangers' (a customer writes on VK, then calls the same week).
    FieldSpec("created", "Custom", ()),
)
# Where each contact field comes from in normalized_contacts.
FIELD_COLUMNS = {
    "name": "name_key",
    "given": "given_key",
    "surname": "surname_key",
    "phones": "phones",
    "emails": "emails",
    "handles": "handles",
    "nicknames": "nicknames",
    "email_local": "email_local",
    "city": "city_key",
    "created": "created_at",
}
DAY_SECONDS = 86_400.0


def days_apart(a: float, b: float) -> float:
    """How far apart two creation times (in days) are, on a log scale: a day and a week
    differ as much as a year and seven."""
    return math.log1p(abs(a - b))


# Comparators of the Custom fields, by field name (a model file names the field, not code).
CUSTOM_COMPARATORS = {"created": days_apart}


def field_specs(config: EdinConfig) -> tuple[FieldSpec, ...]:
    """The contact fields plus the configured extra fields."""
    extras = tuple(
        FieldSpec(f.column, EXTRA_TYPES[f.type], EXTRA_PREDICATES[f.type], identifier=f.identifier)
        for f in config.fields
    )
    return CONTACT_FIELDS + extras


def identifier_columns(specs: Iterable[FieldSpec]) -> tuple[str, ...]:
    """The strong identifiers (phones, e-mails, handles, configured identifier fields): the
    columns whose shared values make seed matches, always block, and link clusters."""
    return tuple(s.name for s in specs if s.identifier)


def hub_columns(specs: Iterable[FieldSpec]) -> tuple[str, ...]:
    """The columns whose values stop counting once too many people share them: the strong
    identifiers and the nicknames taken from them (an e-mail's local part is one value per
    contact, not a shared one, and is compared, never joined on)."""
    return tuple(s.name for s in specs if s.identifier or (s.from_identifier and s.type == "Set"))


def variables(specs: Iterable[FieldSpec]) -> list[Any]:
    """dedupe variables for the specs, restricted to the declared blocking predicates."""
    out = []
    for spec in specs:
        if spec.type == "Custom":
            out.append(
                dedupe.variables.Custom(
                    spec.name, comparator=CUSTOM_COMPARATORS[spec.name], has_missing=True
                )
            )
            continue
        var = getattr(dedupe.variables, spec.type)(spec.name, has_missing=True)
        allowed = set(spec.predicates)
        var.predicates = [
            p
            for p in var.predicates
            if isinstance(p, P.SimplePredicate) and p.func.__name__ in allowed
        ]
        out.append(var)
    return out


def n_features(specs: Iterable[FieldSpec]) -> int:
    """How many distance features (classifier weights) dedupe makes of these fields."""
    return len(dedupe.datamodel.DataModel(variables(specs)))


def name_counts(contacts: pl.DataFrame) -> pl.Series:
    """Per contact, (sorted name tokens, how many contacts bear that name), or None if unnamed.

    A one-word name ("Игорь") counts every contact of that given name, with or without a
    surname: all of them are people it may be.
    """
    # the tokens sorted once per distinct name (a tenth of the time at a million contacts)
    keys = contacts.select(pl.col("name_key").unique()).with_columns(
        pl.col("name_key").str.split(" ").list.sort().list.join(" ").alias("key")
    )
    keyed = contacts.select("name_key", "given_key").join(
        keys, on="name_key", how="left", nulls_equal=True, maintain_order="left"
    )
    single = ~pl.col("name_key").str.contains(" ")
    counted = keyed.select(
        "key",
        single.alias("single"),
        pl.len().over("key").alias("n_name"),
        pl.when(pl.col("given_key").is_not_null())
        .then(pl.len().over("given_key"))
        .alias("n_given"),
    )
    # name_key is the given key alone for a one-word name, so both counts are of one value.
    count = (
        pl.when(pl.col("single") & pl.col("n_given").is_not_null())
        .then(pl.max_horizontal("n_given", "n_name"))
        .otherwise(pl.col("n_name"))
    )
    return counted.select(
        pl.when(pl.col("key").is_not_null())
        .then(pl.struct(pl.col("key"), count.alias("n")))
        .alias("name_freq")
    ).to_series()


def _column(contacts: pl.DataFrame, spec: FieldSpec) -> pl.Expr:
    """The normalized_contacts column a field's values come from (creation times in days)."""
    name = FIELD_COLUMNS.get(spec.name, spec.name)
    if spec.name != "created":
        return pl.col(name)
    if name not in contacts.columns:
        return pl.lit(None, dtype=pl.Float64).alias(spec.name)
    return (pl.col(name).dt.epoch("s") / DAY_SECONDS).alias(spec.name)


def records(contacts: pl.DataFrame, specs: Iterable[FieldSpec]) -> dict[int, Record]:
    """dedupe records keyed by record_id: strings or None, sets as tuples (empty → None)."""
    specs = list(specs)
    return frame_records(record_frame(contacts, specs), specs)


def record_frame(contacts: pl.DataFrame, specs: Iterable[FieldSpec]) -> pl.DataFrame:
    """What ``records`` reads of the contacts, as a frame: record_id, name_freq (computed over
    all the contacts) and one column per field. Any slice of its rows makes the same records
    (``frame_records``): the Spark engine ships it to its executors."""
    specs = list(specs)
    cols = [_column(contacts, s) for s in specs]
    return contacts.with_columns(name_counts(contacts)).select("record_id", "name_freq", *cols)


def frame_records(frame: pl.DataFrame, specs: Iterable[FieldSpec]) -> dict[int, Record]:
    """The records of (rows of) a ``record_frame``, keyed by record_id."""
    return FrameRecords(frame, specs).all()


class FrameRecords(Mapping[int, Record]):
    """The records of a ``record_frame`` by record_id, each made when first asked for.

    The frame's columns are turned into record values a column at a time (a name's tokens
    sorted once per distinct name); a record is only put together from them when read, so a
    reader of a few thousand records of a million (training) pays for those alone. Reading a
    record twice gives the same object."""

    def __init__(self, frame: pl.DataFrame, specs: Iterable[FieldSpec]) -> None:
        self.frame = frame
        self.specs = list(specs)
        self.keys_ = (NAME_COUNT, *(s.name for s in self.specs))
        ids = frame["record_id"].to_list()
        self.position = {record_id: i for i, record_id in enumerate(ids)}
        # positions in record-id order, when the frame is not in that order already
        self.order: list[int] | None = (
            None if frame["record_id"].is_sorted() else frame["record_id"].arg_sort().to_list()
        )
        self._columns: list[list[Any]] | None = None
        self.made: dict[int, Record] = {}

    @property
    def columns(self) -> list[list[Any]]:
        """Each key's values in the records, in the frame's order (made on first use)."""
        if self._columns is None:
            counts = self.frame["name_freq"].struct.field("n").to_list()
            self._columns = [counts] + [
                _record_values(self.frame.to_series(i + 2), spec)
                for i, spec in enumerate(self.specs)
            ]
        return self._columns

    def series(self, field: str) -> pl.Series:
        """One key's values as a polars column in ascending record-id order, null where the
        record holds None (sets as lists): no Python object per value."""
        frame = self.frame if self.order is None else self.frame.sort("record_id")
        if field == NAME_COUNT:
            return frame["name_freq"].struct.field("n").cast(pl.Int64).rename(NAME_COUNT)
        i = self.keys_.index(field) - 1
        return _record_series(frame.to_series(i + 2), self.specs[i]).rename(field)

    def id_series(self) -> pl.Series:
        """The record ids in ascending order."""
        return self.frame["record_id"].sort().cast(pl.Int64)

    def __getitem__(self, record_id: int) -> Record:
        rec = self.made.get(record_id)
        if rec is None:
            pos = self.position[record_id]
            if self._columns is not None:
                rec = dict(zip(self.keys_, [c[pos] for c in self._columns], strict=True))
            else:  # one row: a reader of a few records does not convert whole columns
                row = self.frame.row(pos)
                rec = {NAME_COUNT: row[1]["n"] if row[1] else None}
                for spec, value in zip(self.specs, row[2:], strict=True):
                    rec[spec.name] = _record_value(value, spec)
            self.made[record_id] = rec
        return rec

    def __iter__(self) -> Iterator[int]:
        return iter(self.position)

    def __len__(self) -> int:
        return len(self.position)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.position

    def sorted_ids(self) -> list[int]:
        """The record ids, in ascending order."""
        ids = list(self.position)
        return ids if self.order is None else [ids[p] for p in self.order]

    def column(self, field: str) -> list[Any]:
        """One key's values in the records, in ascending record-id order (no record made)."""
        values = self.columns[self.keys_.index(field)]
        return values if self.order is None else [values[p] for p in self.order]

    def all(self) -> dict[int, Record]:
        """Every record, keyed by record_id in the frame's order (a plain dict)."""
        keys = self.keys_
        return {
            record_id: self.made.get(record_id) or dict(zip(keys, values, strict=True))
            for record_id, values in zip(
                self.position, zip(*self.columns, strict=True), strict=True
            )
        }


def sorted_columns(
    records: Mapping[int, Record], fields: Iterable[str]
) -> tuple[list[int], dict[str, list[Any]]]:
    """The record ids in ascending order, and each of ``fields``' values (None where a record
    lacks it) in that order: straight from the columns of ``FrameRecords``."""
    if isinstance(records, FrameRecords):
        return records.sorted_ids(), {f: records.column(f) for f in fields}
    ids = sorted(records)
    rows = [records[i] for i in ids]
    return ids, {f: [r.get(f) for r in rows] for f in fields}


def _record_value(value: Any, spec: FieldSpec) -> Any:
    """One ``record_frame`` cell as its field's value in a record (as ``_record_values``)."""
    if spec.name == "name" and value:
        return " ".join(sorted(value.split()))
    if spec.type == "Set":
        return tuple(value) if value else None
    if spec.type == "Custom":
        return value
    return value or None


def _record_series(col: pl.Series, spec: FieldSpec) -> pl.Series:
    """``_record_values`` as a polars column (None as null, sets as lists)."""
    if spec.name == "name":
        distinct = col.unique().drop_nulls().to_list()
        return col.replace_strict(
            {v: " ".join(sorted(v.split())) for v in distinct if v},
            default=None,
            return_dtype=pl.String,
        )
    frame = col.to_frame("v")
    if spec.type == "Set":
        return frame.select(pl.when(pl.col("v").list.len() > 0).then(pl.col("v"))).to_series()
    if spec.type == "Custom":
        return col
    return frame.select(pl.when(pl.col("v") != "").then(pl.col("v"))).to_series()


def _record_values(col: pl.Series, spec: FieldSpec) -> list[Any]:
    """A ``record_frame`` column as the values its field takes in a record: a name's tokens
    sorted, a set as a tuple, an empty value as None (a Custom field's as it is)."""
    if spec.type == "Set":
        return _tuples(col)
    values = col.to_list()
    if spec.name == "name":
        sorted_names = {v: " ".join(sorted(v.split())) for v in set(values) if v}
        return [sorted_names[v] if v else (v or None) for v in values]
    if spec.type == "Custom":
        return values
    return [v or None for v in values]


def _tuples(col: pl.Series) -> list[tuple[Any, ...] | None]:
    """A list column as tuples, an empty or null list as None: its elements taken out of
    polars in one flat list and cut by each row's length (a Python list per row from polars
    cost four times as much: about 1 s a set field at a million contacts)."""
    flat = col.explode(empty_as_null=False, keep_nulls=False).to_list()
    out: list[tuple[Any, ...] | None] = []
    at = 0
    for n in col.list.len().fill_null(0).to_list():
        if n:
            out.append(tuple(flat[at : at + n]))
            at += n
        else:
            out.append(None)
    return out


def blank_identifiers(record: Record, specs: Iterable[FieldSpec]) -> Record:
    """A copy of the record without its strong identifiers (for learning name-based blocking)."""
    blanked = dict(record)
    for spec in specs:
        if spec.identifier or spec.from_identifier:
            blanked[spec.name] = None
    return blanked
