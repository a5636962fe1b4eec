"""City names to a comparison key: "г. Москва", "Moscow", "Msk" → "москва"."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from normalizers.text import clean_text

_DICTIONARY = Path(__file__).resolve().parent / "dictionaries" / "cities.csv"
_PREFIX = re.compile(r"^(?:г\.|г\s|город\s|gorod\s|city of\s|pos\.|пос\.|с\.)\s*", re.IGNORECASE)
_SPACES = re.compile(r"[\s\-]+")


def _load_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    with _DICTIONARY.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for variant in row["variants"].split("|"):
                aliases[_fold(variant)] = row["canonical"]
    return aliases


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()


_ALIASES = _load_aliases()


def normalize_city(raw: object) -> str | None:
    """A lowercase comparison key for a city; known aliases map to one canonical Cyrillic name."""
    return _normalize_city(raw if isinstance(raw, str) else clean_text(raw))


@lru_cache(maxsize=65536)
def _normalize_city(raw: str | None) -> str | None:
    text = clean_text(raw)
    if text is None:
        return None
    folded = _fold(_PREFIX.sub("", text.lower()))
    if not folded:
        return None
    return _ALIASES.get(folded, folded)
